#include "exporter/notify/delivery/backoff.h"

#include <algorithm>

namespace codebot::notify::delivery {

Duration BackoffCeiling(const RetryPolicy& policy, int failed_attempts) {
  const int64_t floor = std::max<int64_t>(policy.min_backoff.count(), 0);
  const int64_t cap = std::max<int64_t>(policy.max_backoff.count(), floor);
  int64_t ceiling = std::max<int64_t>(floor, 1);
  // Doubling stops at the cap, so a long retry history never overflows.
  for (int i = 0; i < failed_attempts && ceiling < cap; ++i) ceiling *= 2;
  return Duration(std::clamp(ceiling, floor, cap));
}

Duration NextBackoff(const RetryPolicy& policy, int failed_attempts,
                     std::optional<std::chrono::milliseconds> retry_after, std::mt19937_64& rng) {
  const int64_t floor = std::max<int64_t>(policy.min_backoff.count(), 0);
  const int64_t ceiling = BackoffCeiling(policy, failed_attempts).count();
  std::uniform_int_distribution<int64_t> jitter(floor, std::max(floor, ceiling));
  int64_t wait = jitter(rng);
  if (retry_after) wait = std::max<int64_t>(wait, retry_after->count());
  return Duration(wait);
}

std::optional<int64_t> ScheduleRetry(const RetryPolicy& policy, int64_t enqueued_ms, int64_t now_ms,
                                     Duration backoff,
                                     std::optional<std::chrono::milliseconds> retry_after) {
  const int64_t limit = enqueued_ms + policy.max_age.count();
  const int64_t earliest = now_ms + (retry_after ? std::max<int64_t>(retry_after->count(), 0) : 0);
  if (now_ms >= limit || earliest > limit) return std::nullopt;
  return std::max(earliest, std::min(now_ms + backoff.count(), limit));
}

bool Expired(const RetryPolicy& policy, int64_t enqueued_ms, int64_t next_attempt_ms,
             int64_t now_ms) {
  const int64_t limit = enqueued_ms + policy.max_age.count();
  if (now_ms < limit) return false;
  return !(next_attempt_ms == limit && now_ms - limit <= kFinalAttemptGraceMs);
}

}  // namespace codebot::notify::delivery
