// The one periodic-worker primitive of the program: a thread that runs a task on a schedule until
// stopped. The collection scheduler runs every source on one and the rule manager every rule
// group. An iteration that overruns its interval swallows the slots it covered: they are skipped
// and counted, never stacked or run in a burst afterwards.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace codebot {

class PeriodicWorker {
 public:
  struct Schedule {
    std::chrono::milliseconds interval{1000};
    // false: the first slot is now, then one every interval after it. true: slots sit at
    // wall-clock multiples of interval plus `offset` (as Prometheus places rule-group
    // evaluations), the first one the next such instant, so they stay put across restarts.
    bool aligned = false;
    std::chrono::milliseconds offset{0};
  };
  // Called on the worker's thread with the slot's time (Unix milliseconds).
  using Task = std::function<void(int64_t slot_ms)>;
  // Called on the worker's thread after an overrun, with how many slots it swallowed.
  using SkipHandler = std::function<void(int64_t skipped)>;

  PeriodicWorker(Schedule schedule, Task task, SkipHandler on_skipped = {});
  ~PeriodicWorker();
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;

  void Start();
  // Wakes the thread and joins it; a running iteration finishes first. Idempotent.
  void Stop();
  // Runs one iteration as soon as the thread is free (with now as its slot), then goes on with
  // the schedule.
  void Wake();

  int64_t skipped() const;

 private:
  void Loop();
  int64_t FirstSlot(int64_t now_ms) const;

  const Schedule schedule_;
  const Task task_;
  const SkipHandler on_skipped_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  int64_t skipped_ = 0;
  std::thread thread_;
};

}  // namespace codebot
