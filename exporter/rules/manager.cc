#include "exporter/rules/manager.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <thread>

#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "exporter/rules/templates.h"

namespace codebot::rules {

struct Manager::Metrics {
  prometheus::Family<prometheus::Gauge>& last_duration;
  prometheus::Family<prometheus::Gauge>& last_timestamp;
  prometheus::Family<prometheus::Gauge>& last_samples;
  prometheus::Family<prometheus::Gauge>& interval;
  prometheus::Family<prometheus::Gauge>& rules;
  prometheus::Family<prometheus::Counter>& iterations;
  prometheus::Family<prometheus::Counter>& missed;
  prometheus::Family<prometheus::Counter>& evaluations;
  prometheus::Family<prometheus::Counter>& failures;
  prometheus::Family<prometheus::Counter>& template_failures;
  prometheus::Family<prometheus::Counter>& alerts_sent;
  prometheus::Gauge& reload_ok;
  prometheus::Gauge& reload_timestamp;
};

// The children of one group (label rule_group="file;name"); removed with the group.
struct Manager::GroupMetrics {
  GroupMetrics(Metrics& m, const std::string& key)
      : families(m),
        labels{{"rule_group", key}},
        last_duration(m.last_duration.Add(labels)),
        last_timestamp(m.last_timestamp.Add(labels)),
        last_samples(m.last_samples.Add(labels)),
        interval(m.interval.Add(labels)),
        rules(m.rules.Add(labels)),
        iterations(m.iterations.Add(labels)),
        missed(m.missed.Add(labels)),
        evaluations(m.evaluations.Add(labels)),
        template_failures(m.template_failures.Add(labels)),
        alerts_sent(m.alerts_sent.Add(labels)) {
    for (auto reason : FailureReasons()) {
      failures.emplace(std::string(reason),
                       &m.failures.Add({{"rule_group", key}, {"reason", std::string(reason)}}));
    }
  }
  ~GroupMetrics() {
    families.last_duration.Remove(&last_duration);
    families.last_timestamp.Remove(&last_timestamp);
    families.last_samples.Remove(&last_samples);
    families.interval.Remove(&interval);
    families.rules.Remove(&rules);
    families.iterations.Remove(&iterations);
    families.missed.Remove(&missed);
    families.evaluations.Remove(&evaluations);
    families.template_failures.Remove(&template_failures);
    families.alerts_sent.Remove(&alerts_sent);
    for (auto& [reason, counter] : failures) families.failures.Remove(counter);
  }
  GroupMetrics(const GroupMetrics&) = delete;
  GroupMetrics& operator=(const GroupMetrics&) = delete;

  Metrics& families;
  std::map<std::string, std::string> labels;
  prometheus::Gauge& last_duration;
  prometheus::Gauge& last_timestamp;
  prometheus::Gauge& last_samples;
  prometheus::Gauge& interval;
  prometheus::Gauge& rules;
  prometheus::Counter& iterations;
  prometheus::Counter& missed;
  prometheus::Counter& evaluations;
  prometheus::Counter& template_failures;
  prometheus::Counter& alerts_sent;
  std::map<std::string, prometheus::Counter*> failures;
  // Last error per rule, so a rule that keeps failing the same way logs one warning.
  std::map<std::string, std::string> last_errors;
  bool templates_failing = false;
};

class Manager::Runner {
 public:
  Runner(Manager* manager, std::shared_ptr<Group> group, std::unique_ptr<GroupMetrics> metrics)
      : manager_(manager), group_(std::move(group)), metrics_(std::move(metrics)) {
    metrics_->interval.Set(ToSeconds(group_->interval()));
    metrics_->rules.Set(static_cast<double>(group_->rules().size()));
  }
  ~Runner() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Evaluate(int64_t t_ms) { manager_->EvaluateGroup(*group_, *metrics_, t_ms); }

  const std::shared_ptr<Group>& group() const { return group_; }
  std::unique_ptr<GroupMetrics> TakeMetrics() { return std::move(metrics_); }

 private:
  void Loop() {
    const int64_t interval = std::max<int64_t>(group_->interval().count(), 1);
    // Each group gets its own offset inside the interval, so that groups don't all evaluate at
    // once, and stays on the same slots across restarts.
    const auto offset = static_cast<int64_t>(std::hash<std::string>{}(group_->Key()) %
                                             static_cast<size_t>(interval));
    const int64_t now = NowUnixMs();
    int64_t next = now - (((now - offset) % interval) + interval) % interval + interval;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        const int64_t wait_ms = next - NowUnixMs();
        if (wait_ms > 0) {
          cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stop_; });
        }
        if (stop_) return;
      }
      if (NowUnixMs() < next) continue;  // woke early (clock adjustment): wait again
      Evaluate(next);
      next += interval;
      const int64_t after = NowUnixMs();
      if (after >= next) {
        // The evaluation overran: the slots it swallowed are skipped, not stacked.
        const int64_t missed = (after - next) / interval + 1;
        metrics_->missed.Increment(static_cast<double>(missed));
        metrics_->iterations.Increment(static_cast<double>(missed));
        next += missed * interval;
      }
    }
  }

  Manager* manager_;
  std::shared_ptr<Group> group_;
  std::unique_ptr<GroupMetrics> metrics_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

Manager::Manager(ManagerOptions options) : options_(std::move(options)) {
  auto& registry = *options_.registry;
  auto gauge = [&](const char* name, const char* help) -> prometheus::Family<prometheus::Gauge>& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
  };
  auto counter = [&](const char* name,
                     const char* help) -> prometheus::Family<prometheus::Counter>& {
    return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
  };
  auto& reload_ok = gauge("codebot_exporter_rules_last_reload_successful",
                          "1 if the last load of the rule files succeeded, else 0.");
  auto& reload_timestamp = gauge("codebot_exporter_rules_last_reload_success_timestamp_seconds",
                                 "Unix time of the last successful load of the rule files.");
  metrics_ = std::unique_ptr<Metrics>(new Metrics{
      gauge("codebot_exporter_rule_group_last_duration_seconds",
            "Duration of the last evaluation of the rule group."),
      gauge("codebot_exporter_rule_group_last_evaluation_timestamp_seconds",
            "Timestamp of the last evaluation of the rule group."),
      gauge("codebot_exporter_rule_group_last_evaluation_samples",
            "Samples returned by the rules of the group in its last evaluation."),
      gauge("codebot_exporter_rule_group_interval_seconds",
            "Evaluation interval of the rule group."),
      gauge("codebot_exporter_rule_group_rules", "Number of rules in the group."),
      counter("codebot_exporter_rule_group_iterations_total",
              "Scheduled evaluations of the rule group, run or missed."),
      counter("codebot_exporter_rule_group_iterations_missed_total",
              "Evaluations of the rule group skipped because the previous one ran too long."),
      counter("codebot_exporter_rule_evaluations_total", "Rule evaluations."),
      counter("codebot_exporter_rule_evaluation_failures_total",
              "Rule evaluations that failed, by reason (query, duplicate_labelset, limit)."),
      counter("codebot_exporter_rule_template_expansion_failures_total",
              "Label or annotation templates that failed to expand."),
      counter("codebot_exporter_rule_alerts_sent_total",
              "Firing and resolved alerts handed to the notification stage."),
      reload_ok.Add({}), reload_timestamp.Add({})});
  metrics_->reload_ok.Set(1);
}

Manager::~Manager() { Stop(); }

void Manager::Stop() {
  std::vector<std::shared_ptr<Runner>> runners;
  {
    std::lock_guard lock(mutex_);
    runners = runners_;
  }
  for (auto& runner : runners) runner->Stop();
}

void Manager::SetManualEvaluation() { manual_ = true; }

void Manager::ReportReload(bool ok) {
  metrics_->reload_ok.Set(ok ? 1 : 0);
  if (ok) metrics_->reload_timestamp.Set(NowUnixSeconds());
}

std::shared_ptr<const EvalContext> Manager::Context() const {
  std::lock_guard lock(mutex_);
  return context_;
}

void Manager::Update(std::vector<GroupSpec> groups, const RuleSettings& settings) {
  std::lock_guard update_lock(update_mutex_);
  auto context = std::make_shared<EvalContext>();
  context->query = options_.query;
  if (!context->query && options_.storage != nullptr) {
    // Like Prometheus, a subquery without a step uses the global evaluation interval.
    promql::EvalOptions eval_options;
    eval_options.default_subquery_step_ms = settings.evaluation_interval.count();
    context->query = EngineQueryFunc(*options_.storage, eval_options);
  }
  context->expand = options_.expand ? options_.expand : DefaultExpandFunc();
  context->external_labels = settings.external_labels;
  context->external_url = settings.external_url;

  int64_t retention = promql::EvalOptions{}.lookback_delta_ms;
  for (const auto& group : groups) {
    for (const auto& rule : group.rules) {
      if (rule.query) retention = std::max(retention, promql::MaxLookbackMs(*rule.query));
    }
  }

  std::map<std::string, std::shared_ptr<Runner>> old_by_key;
  std::vector<std::string> old_writers;
  {
    std::lock_guard lock(mutex_);
    for (const auto& runner : runners_) {
      old_by_key[runner->group()->Key()] = runner;
      const auto& writers = runner->group()->writers();
      old_writers.insert(old_writers.end(), writers.begin(), writers.end());
    }
  }
  std::set<std::string> new_writers;
  std::vector<std::shared_ptr<Runner>> next;
  std::vector<Runner*> to_start;
  for (auto& spec : groups) {
    auto group = std::make_shared<Group>(std::move(spec), settings.evaluation_interval);
    new_writers.insert(group->writers().begin(), group->writers().end());
    auto old = old_by_key.find(group->Key());
    if (old != old_by_key.end() && old->second->group()->Equals(*group)) {
      next.push_back(old->second);
      old_by_key.erase(old);
      continue;
    }
    std::unique_ptr<GroupMetrics> group_metrics;
    if (old != old_by_key.end()) {
      old->second->Stop();
      group->CopyState(*old->second->group());
      group_metrics = old->second->TakeMetrics();
      old_by_key.erase(old);
      log::Info("rule group changed", {{"rule_group", group->Key()}});
    } else {
      group_metrics = std::make_unique<GroupMetrics>(*metrics_, group->Key());
      log::Info("rule group added", {{"rule_group", group->Key()},
                                     {"interval", FormatDuration(group->interval())},
                                     {"rules", group->rules().size()}});
    }
    auto runner = std::make_shared<Runner>(this, std::move(group), std::move(group_metrics));
    to_start.push_back(runner.get());
    next.push_back(std::move(runner));
  }
  for (auto& [key, runner] : old_by_key) {
    runner->Stop();
    log::Info("rule group removed", {{"rule_group", key}});
  }
  if (options_.writer != nullptr) {
    for (const auto& writer : old_writers) {
      if (!new_writers.contains(writer)) options_.writer->Forget(writer);
    }
  }
  {
    std::lock_guard lock(mutex_);
    runners_ = std::move(next);
    context_ = std::move(context);
    retention_ms_ = retention;
  }
  old_by_key.clear();  // drops the removed groups and their metrics
  if (!manual_) {
    for (auto* runner : to_start) runner->Start();
  }
  PublishAlertSeries();
}

void Manager::EvaluateAll(int64_t t_ms) {
  std::vector<std::shared_ptr<Runner>> runners;
  {
    std::lock_guard lock(mutex_);
    runners = runners_;
  }
  for (auto& runner : runners) runner->Evaluate(t_ms);
}

std::vector<std::shared_ptr<const Group>> Manager::Groups() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const Group>> groups;
  groups.reserve(runners_.size());
  for (const auto& runner : runners_) groups.push_back(runner->group());
  return groups;
}

int64_t Manager::RetentionMs() const {
  std::lock_guard lock(mutex_);
  return retention_ms_;
}

void Manager::EvaluateGroup(Group& group, GroupMetrics& metrics, int64_t t_ms) {
  const auto context = Context();
  if (!context || !context->query) return;
  GroupEvalReport report =
      group.Eval(t_ms, *context, options_.writer, options_.resend_delay.count());
  metrics.iterations.Increment();
  metrics.evaluations.Increment(static_cast<double>(group.rules().size()));
  metrics.last_duration.Set(report.seconds);
  metrics.last_timestamp.Set(static_cast<double>(t_ms) / 1000.0);
  metrics.last_samples.Set(static_cast<double>(report.samples));
  std::map<std::string, std::string> errors;
  for (const auto& failure : report.failures) {
    metrics.failures[std::string(failure.reason)]->Increment();
    errors[failure.rule] = failure.error;
    const bool changed = metrics.last_errors[failure.rule] != failure.error;
    log::Write(changed ? log::Level::kWarn : log::Level::kDebug, "evaluating rule failed",
               {{"rule_group", group.Key()},
                {"rule", failure.rule},
                {"reason", failure.reason},
                {"err", failure.error}});
  }
  for (const auto& [rule, error] : metrics.last_errors) {
    if (!error.empty() && !errors.contains(rule)) {
      log::Info("rule evaluation recovered", {{"rule_group", group.Key()}, {"rule", rule}});
    }
  }
  metrics.last_errors = std::move(errors);
  if (report.template_errors > 0) {
    metrics.template_failures.Increment(report.template_errors);
    log::Write(metrics.templates_failing ? log::Level::kDebug : log::Level::kWarn,
               "expanding alert templates failed",
               {{"rule_group", group.Key()}, {"count", report.template_errors}});
  }
  metrics.templates_failing = report.template_errors > 0;
  if (!report.to_send.empty()) {
    metrics.alerts_sent.Increment(static_cast<double>(report.to_send.size()));
    if (options_.sink != nullptr) options_.sink->Send(std::move(report.to_send));
  }
  PublishAlertSeries();
}

void Manager::PublishAlertSeries() {
  if (options_.exposition == nullptr) return;
  std::lock_guard publish_lock(publish_mutex_);
  std::vector<OutputSample> series;
  for (const auto& group : Groups()) {
    auto group_series = group->AlertSeries();
    series.insert(series.end(), std::make_move_iterator(group_series.begin()),
                  std::make_move_iterator(group_series.end()));
  }
  std::sort(series.begin(), series.end(),
            [](const OutputSample& a, const OutputSample& b) { return a.labels < b.labels; });
  auto alerts = Family::Make("ALERTS", MetricType::kGauge,
                             "Pending and firing alerts of the sidecar's alerting rules, as "
                             "Prometheus writes them.");
  auto for_state = Family::Make("ALERTS_FOR_STATE", MetricType::kGauge,
                                "Unix time at which each pending or firing alert became active.");
  for (auto& sample : series) {
    const std::string name(LabelValue(sample.labels, "__name__"));
    Labels labels;
    for (auto& label : sample.labels) {
      if (label.name != "__name__") labels.push_back(std::move(label));
    }
    (name == "ALERTS" ? alerts : for_state).Add(std::move(labels), sample.v);
  }
  collect::Collection collection;
  collection.source = "rules";
  collection.job = "rules";
  collection.timestamp_ms = NowUnixMs();
  collection.exposed = true;
  collection.families = std::make_shared<const std::vector<Family>>(
      std::vector<Family>{std::move(alerts), std::move(for_state)});
  options_.exposition->Publish(collection);
}

}  // namespace codebot::rules
