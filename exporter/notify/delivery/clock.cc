#include "exporter/notify/delivery/clock.h"

#include <chrono>

#include "exporter/core/time.h"

namespace codebot::notify::delivery {

int64_t RealClock::NowMs() { return NowUnixMs(); }

void RealClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          int64_t until_ms) {
  if (until_ms == kForever) {
    cv.wait(lock);
    return;
  }
  const int64_t left = until_ms - NowUnixMs();
  if (left <= 0) return;
  cv.wait_for(lock, std::chrono::milliseconds(left));
}

Clock& DefaultClock() {
  static RealClock clock;
  return clock;
}

}  // namespace codebot::notify::delivery
