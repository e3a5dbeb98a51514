#include "exporter/collect/scheduler.h"

#include <atomic>

#include "exporter/core/log.h"
#include "exporter/core/periodic.h"
#include "exporter/core/time.h"

namespace codebot::collect {

class Scheduler::Runner {
 public:
  Runner(SourceSpec spec, const Metrics& metrics, const std::vector<ResultSink*>& sinks)
      : spec_(std::move(spec)),
        sinks_(sinks),
        metrics_(metrics),
        scrapes_(metrics.scrapes.Add({{"source", spec_.name}})),
        skipped_(metrics.skipped.Add({{"source", spec_.name}})),
        worker_(
            {.interval = spec_.interval}, [this](int64_t) { RunOnce(SteadyClock::now()); },
            [this](int64_t skipped) { skipped_.Increment(static_cast<double>(skipped)); }) {
    for (auto& reason : spec_.collector->ErrorReasons()) ErrorCounter(reason);
    worker_.Start();
  }

  ~Runner() {
    worker_.Stop();
    if (up_ != nullptr) {
      metrics_.up.Remove(up_);
      metrics_.duration.Remove(duration_);
      metrics_.samples.Remove(samples_);
    }
    if (last_success_ != nullptr) metrics_.last_success.Remove(last_success_);
    metrics_.scrapes.Remove(&scrapes_);
    metrics_.skipped.Remove(&skipped_);
    for (auto& [reason, counter] : errors_) metrics_.errors.Remove(counter);
  }

  bool collected_once() const { return collected_once_.load(); }

 private:
  prometheus::Counter& ErrorCounter(const std::string& reason) {
    auto it = errors_.find(reason);
    if (it != errors_.end()) return *it->second;
    auto& counter = metrics_.errors.Add({{"source", spec_.name}, {"reason", reason}});
    errors_.emplace(reason, &counter);
    return counter;
  }

  void RunOnce(SteadyClock::time_point start) {
    const int64_t timestamp_ms = NowUnixMs();
    CollectResult result;
    try {
      result = spec_.collector->Collect(start + spec_.timeout);
    } catch (const std::exception& e) {
      result = CollectResult::Failure("internal", e.what());
    }
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    // Like Prometheus' up, the gauges of the last collection exist from the first one on: a
    // source_up of 0 before the first collection would read as a failure that never happened.
    if (up_ == nullptr) {
      up_ = &metrics_.up.Add({{"source", spec_.name}});
      duration_ = &metrics_.duration.Add({{"source", spec_.name}});
      samples_ = &metrics_.samples.Add({{"source", spec_.name}});
    }
    duration_->Set(seconds);
    scrapes_.Increment();
    up_->Set(result.ok ? 1 : 0);
    size_t sample_count = 0;
    for (const auto& family : result.families) sample_count += family.samples.size();
    samples_->Set(static_cast<double>(sample_count));
    if (result.ok) {
      if (last_success_ == nullptr) {
        last_success_ = &metrics_.last_success.Add({{"source", spec_.name}});
      }
      last_success_->Set(static_cast<double>(timestamp_ms) / 1000.0);
      if (!last_reason_.empty()) {
        log::Info("source recovered", {{"source", spec_.name}, {"after", last_reason_}});
      }
      last_reason_.clear();
    } else {
      ErrorCounter(result.error_reason).Increment();
      // One warning when a source starts failing or fails differently; debug while it stays so.
      const bool changed = result.error_reason != last_reason_;
      log::Write(changed ? log::Level::kWarn : log::Level::kDebug, "collection failed",
                 {{"source", spec_.name},
                  {"reason", result.error_reason},
                  {"err", result.error_message},
                  {"duration_seconds", seconds}});
      last_reason_ = result.error_reason;
    }
    Collection collection;
    collection.source = spec_.name;
    collection.job = spec_.job;
    collection.instance = spec_.collector->Instance();
    collection.timestamp_ms = timestamp_ms;
    collection.ok = result.ok;
    collection.exposed = spec_.exposed;
    collection.families = std::make_shared<const std::vector<Family>>(std::move(result.families));
    for (auto* sink : sinks_) sink->Publish(collection);
    collected_once_ = true;
  }

  SourceSpec spec_;
  const std::vector<ResultSink*>& sinks_;
  const Metrics& metrics_;
  // Created by the first collection (last_success_ by the first successful one); only the
  // worker's thread touches them until the destructor has stopped it.
  prometheus::Gauge* up_ = nullptr;
  prometheus::Gauge* duration_ = nullptr;
  prometheus::Gauge* last_success_ = nullptr;
  prometheus::Gauge* samples_ = nullptr;
  prometheus::Counter& scrapes_;
  prometheus::Counter& skipped_;
  std::map<std::string, prometheus::Counter*> errors_;
  std::string last_reason_;
  std::atomic<bool> collected_once_{false};
  PeriodicWorker worker_;  // last: it runs RunOnce, which uses everything above
};

Scheduler::Scheduler(prometheus::Registry& registry, std::vector<ResultSink*> sinks)
    : metrics_{prometheus::BuildGauge()
                   .Name("codebot_exporter_source_up")
                   .Help("1 if the last collection of the source succeeded, else 0.")
                   .Register(registry),
               prometheus::BuildGauge()
                   .Name("codebot_exporter_source_scrape_duration_seconds")
                   .Help("Duration of the last collection of the source.")
                   .Register(registry),
               prometheus::BuildGauge()
                   .Name("codebot_exporter_source_last_success_timestamp_seconds")
                   .Help("Unix time of the last successful collection of the source.")
                   .Register(registry),
               prometheus::BuildGauge()
                   .Name("codebot_exporter_source_samples")
                   .Help("Samples returned by the last collection of the source.")
                   .Register(registry),
               prometheus::BuildCounter()
                   .Name("codebot_exporter_source_scrapes_total")
                   .Help("Collections of the source, successful or not.")
                   .Register(registry),
               prometheus::BuildCounter()
                   .Name("codebot_exporter_source_scrape_errors_total")
                   .Help("Failed collections of the source, by reason.")
                   .Register(registry),
               prometheus::BuildCounter()
                   .Name("codebot_exporter_source_scrapes_skipped_total")
                   .Help("Scheduled collections skipped because the previous one was still "
                         "running.")
                   .Register(registry)},
      sinks_(std::move(sinks)) {}

Scheduler::~Scheduler() { StopAll(); }

void Scheduler::Add(SourceSpec spec) {
  const std::string name = spec.name;
  Remove(name);
  auto runner = std::make_unique<Runner>(std::move(spec), metrics_, sinks_);
  std::lock_guard lock(mutex_);
  runners_[name] = std::move(runner);
}

void Scheduler::Remove(const std::string& name) {
  std::unique_ptr<Runner> runner;
  {
    std::lock_guard lock(mutex_);
    auto it = runners_.find(name);
    if (it == runners_.end()) return;
    runner = std::move(it->second);
    runners_.erase(it);
  }
  runner.reset();  // joins outside the lock
  for (auto* sink : sinks_) sink->Forget(name);
}

void Scheduler::StopAll() {
  for (const auto& name : Names()) Remove(name);
}

std::vector<std::string> Scheduler::Names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, runner] : runners_) names.push_back(name);
  return names;
}

bool Scheduler::AllCollectedOnce() const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, runner] : runners_) {
    if (!runner->collected_once()) return false;
  }
  return true;
}

}  // namespace codebot::collect
