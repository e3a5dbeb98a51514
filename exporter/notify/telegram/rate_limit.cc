#include "exporter/notify/telegram/rate_limit.h"

#include <algorithm>

namespace codebot::notify::telegram {
namespace {

using std::chrono::milliseconds;

constexpr std::chrono::seconds kMinute{60};
constexpr std::chrono::seconds kSecond{1};
// Chats beyond this many are forgotten once idle, so that the map stays small.
constexpr size_t kPruneAbove = 256;

milliseconds CeilMs(SteadyClock::duration d) {
  return std::max(milliseconds(1), std::chrono::ceil<milliseconds>(d));
}

}  // namespace

std::chrono::milliseconds RateLimiter::Reserve(int64_t chat_id, SteadyClock::time_point now) {
  std::lock_guard lock(mutex_);
  while (!last_second_.empty() && last_second_.front() <= now - kSecond) last_second_.pop_front();
  Chat& chat = chats_[chat_id];
  while (!chat.last_minute.empty() && chat.last_minute.front() <= now - kMinute) {
    chat.last_minute.pop_front();
  }

  SteadyClock::duration wait{0};
  // Per chat: a GCRA, one message per interval with up to chat_burst at once.
  const SteadyClock::time_point arrival = std::max(chat.next_free, now);
  const auto tolerance = limits_.chat_interval * std::max(0, limits_.chat_burst - 1);
  if (arrival - now > tolerance) wait = std::max(wait, arrival - now - tolerance);
  const bool group = chat_id < 0;
  if (group && static_cast<int>(chat.last_minute.size()) >= limits_.group_per_minute) {
    const size_t oldest = chat.last_minute.size() - static_cast<size_t>(limits_.group_per_minute);
    wait = std::max(wait, chat.last_minute[oldest] + kMinute - now);
  }
  if (static_cast<int>(last_second_.size()) >= limits_.global_per_second) {
    const size_t oldest = last_second_.size() - static_cast<size_t>(limits_.global_per_second);
    wait = std::max(wait, last_second_[oldest] + kSecond - now);
  }
  if (wait > SteadyClock::duration::zero()) return CeilMs(wait);

  chat.next_free = arrival + limits_.chat_interval;
  if (group) chat.last_minute.push_back(now);
  last_second_.push_back(now);
  if (chats_.size() > kPruneAbove) Prune(now);
  return milliseconds(0);
}

void RateLimiter::Prune(SteadyClock::time_point now) {
  for (auto it = chats_.begin(); it != chats_.end();) {
    const Chat& chat = it->second;
    const bool idle = chat.next_free <= now &&
                      (chat.last_minute.empty() || chat.last_minute.back() <= now - kMinute);
    it = idle ? chats_.erase(it) : std::next(it);
  }
}

RateLimiter& ProcessRateLimiter() {
  static RateLimiter limiter;
  return limiter;
}

}  // namespace codebot::notify::telegram
