// The delivery layer's notion of time, injectable so that unit tests drive backoff, retry_after
// and max_age with a fake clock instead of sleeping. Times are Unix milliseconds because they
// are persisted in the outbox (next attempt, enqueue time) and must mean the same after a
// restart. Nothing here may block except WaitUntil.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>

namespace codebot::notify::delivery {

// "Wait until woken": a lane with nothing scheduled.
inline constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() = 0;
  // Waits on cv (lock held, as for cv.wait) until it is notified or NowMs() reaches until_ms.
  // May return early (spuriously): callers re-check their condition and the time.
  virtual void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         int64_t until_ms) = 0;
};

// The wall clock, waiting on the steady clock for the time left (so a wall-clock step changes
// when a retry happens, never how long one wait lasts).
class RealClock final : public Clock {
 public:
  int64_t NowMs() override;
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 int64_t until_ms) override;
};

// The process-wide real clock.
Clock& DefaultClock();

}  // namespace codebot::notify::delivery
