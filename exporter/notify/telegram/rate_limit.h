// Telegram's flood limits, kept on our side so that we wait instead of collecting 429s (the bots
// FAQ: about 1 message per second per chat with short bursts, at most 20 messages per minute to
// one group, about 30 messages per second in all). One limiter is shared by every Telegram
// notifier of the process; tests give a notifier their own, with their own clock.
//
// Must never block or sleep: it says how long to wait and the delivery layer waits. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>

#include "exporter/core/time.h"

namespace codebot::notify::telegram {

struct RateLimits {
  int chat_burst = 3;  // messages one chat may get at once (a long alert split in parts)
  std::chrono::milliseconds chat_interval{1000};  // then one per interval
  int group_per_minute = 20;                      // chats with a negative id: groups, channels
  int global_per_second = 30;
};

class RateLimiter {
 public:
  RateLimiter() = default;
  explicit RateLimiter(RateLimits limits) : limits_(limits) {}

  // Takes a slot for one message to chat_id at `now` and returns zero, or returns how long to
  // wait before a message to that chat would fit all three limits (and takes nothing).
  std::chrono::milliseconds Reserve(int64_t chat_id, SteadyClock::time_point now);

 private:
  struct Chat {
    SteadyClock::time_point next_free{};              // GCRA's theoretical arrival time
    std::deque<SteadyClock::time_point> last_minute;  // groups only
  };
  void Prune(SteadyClock::time_point now);

  RateLimits limits_;
  std::mutex mutex_;
  std::map<int64_t, Chat> chats_;
  std::deque<SteadyClock::time_point> last_second_;
};

// The limiter every Telegram notifier of the process shares by default.
RateLimiter& ProcessRateLimiter();

}  // namespace codebot::notify::telegram
