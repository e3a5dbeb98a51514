// The scheduler's promise: a collection that overruns its interval is never stacked with the
// next one — the runs it swallowed are skipped and counted in
// codebot_exporter_source_scrapes_skipped_total — and a slow source never delays another.
#include "exporter/collect/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace codebot::collect {
namespace {

using namespace std::chrono_literals;

class SlowCollector : public Collector {
 public:
  SlowCollector(std::chrono::milliseconds duration, std::atomic<int>* calls,
                std::atomic<int>* in_flight, std::atomic<int>* max_in_flight)
      : duration_(duration), calls_(calls), in_flight_(in_flight), max_in_flight_(max_in_flight) {}

  CollectResult Collect(Deadline) override {
    const int now = ++*in_flight_;
    int seen = max_in_flight_->load();
    while (now > seen && !max_in_flight_->compare_exchange_weak(seen, now)) {
    }
    ++*calls_;
    std::this_thread::sleep_for(duration_);
    --*in_flight_;
    return {};
  }
  std::vector<std::string> ErrorReasons() const override { return {}; }
  std::string Instance() const override { return "test:1"; }

 private:
  std::chrono::milliseconds duration_;
  std::atomic<int>* calls_;
  std::atomic<int>* in_flight_;
  std::atomic<int>* max_in_flight_;
};

double CounterValue(prometheus::Registry& registry, const std::string& name,
                    const std::string& source) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "source" && label.value == source) return metric.counter.value;
      }
    }
  }
  return -1;
}

SourceSpec Spec(const std::string& name, std::chrono::milliseconds interval,
                std::unique_ptr<Collector> collector) {
  SourceSpec spec;
  spec.name = name;
  spec.job = name;
  spec.interval = interval;
  spec.timeout = interval;
  spec.collector = std::move(collector);
  return spec;
}

TEST(Scheduler, OverrunningCollectionIsSkippedAndCountedNeverStacked) {
  prometheus::Registry registry;
  Scheduler scheduler(registry, {});
  std::atomic<int> slow_calls{0}, slow_in_flight{0}, slow_max{0};
  std::atomic<int> fast_calls{0}, fast_in_flight{0}, fast_max{0};
  // The slow source takes 3.5 intervals per collection; the fast one beside it takes none.
  scheduler.Add(
      Spec("slow", 40ms,
           std::make_unique<SlowCollector>(140ms, &slow_calls, &slow_in_flight, &slow_max)));
  scheduler.Add(Spec(
      "fast", 40ms, std::make_unique<SlowCollector>(0ms, &fast_calls, &fast_in_flight, &fast_max)));
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(1000ms);
  const double skipped =
      CounterValue(registry, "codebot_exporter_source_scrapes_skipped_total", "slow");
  const double scrapes = CounterValue(registry, "codebot_exporter_source_scrapes_total", "slow");
  scheduler.StopAll();
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(slow_max.load(), 1) << "collections of one source overlapped";
  // Each collection of 140 ms swallows the slots of the 3 intervals it covered beyond its own.
  EXPECT_GE(skipped, 2.0 * (scrapes - 1)) << "scrapes " << scrapes;
  EXPECT_GT(skipped, 0);
  // Never more collections than fit back to back in the elapsed time: nothing was stacked up
  // and run in a burst.
  EXPECT_LE(slow_calls.load(), elapsed / 140ms + 1);
  // The slow source delayed nobody: the fast one kept its own schedule.
  EXPECT_GE(fast_calls.load(), 10);
  EXPECT_EQ(fast_max.load(), 1);
}

}  // namespace
}  // namespace codebot::collect
