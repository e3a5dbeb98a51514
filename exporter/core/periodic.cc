#include "exporter/core/periodic.h"

#include <algorithm>

#include "exporter/core/time.h"

namespace codebot {

PeriodicWorker::PeriodicWorker(Schedule schedule, Task task, SkipHandler on_skipped)
    : schedule_(schedule), task_(std::move(task)), on_skipped_(std::move(on_skipped)) {}

PeriodicWorker::~PeriodicWorker() { Stop(); }

void PeriodicWorker::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicWorker::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void PeriodicWorker::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

int64_t PeriodicWorker::skipped() const {
  std::lock_guard lock(mutex_);
  return skipped_;
}

int64_t PeriodicWorker::FirstSlot(int64_t now_ms) const {
  const int64_t interval = std::max<int64_t>(schedule_.interval.count(), 1);
  if (!schedule_.aligned) return now_ms;
  const int64_t offset = schedule_.offset.count() % interval;
  // The next instant after now that is offset past a multiple of the interval.
  const int64_t phase = ((now_ms - offset) % interval + interval) % interval;
  return now_ms - phase + interval;
}

void PeriodicWorker::Loop() {
  const int64_t interval = std::max<int64_t>(schedule_.interval.count(), 1);
  int64_t next = FirstSlot(NowUnixMs());
  for (;;) {
    int64_t slot = next;
    {
      std::unique_lock lock(mutex_);
      for (;;) {
        if (stop_) return;
        if (woken_) {
          woken_ = false;
          slot = NowUnixMs();
          break;
        }
        const int64_t now = NowUnixMs();
        if (now >= next) break;
        // A slot more than one interval away means the wall clock stepped back: start again
        // from the clock as it is now instead of sleeping through the gap.
        if (next - now > interval) next = slot = FirstSlot(now);
        cv_.wait_for(lock, std::chrono::milliseconds(std::min(next - now, interval)));
      }
    }
    task_(slot);
    if (slot >= next) next += interval;
    const int64_t after = NowUnixMs();
    if (after >= next) {
      // The iteration overran: the slots it swallowed are skipped, not stacked.
      const int64_t missed = (after - next) / interval + 1;
      next += missed * interval;
      {
        std::lock_guard lock(mutex_);
        skipped_ += missed;
      }
      if (on_skipped_) on_skipped_(missed);
    }
  }
}

}  // namespace codebot
