// When the delivery layer tries again: exponential backoff with full jitter between
// notifications.min_backoff and max_backoff, never earlier than the API asked (retry_after),
// and never after an entry is notifications.max_age old. Pure functions, so the policy is tested
// without threads or clocks; the lanes only apply it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

#include "exporter/core/duration.h"

namespace codebot::notify::delivery {

struct RetryPolicy {
  Duration max_age = std::chrono::hours(24);
  Duration min_backoff = std::chrono::milliseconds(500);
  Duration max_backoff = std::chrono::minutes(5);
  friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

// The longest wait after the n-th failed attempt (n >= 1): min_backoff doubled n times, capped
// at max_backoff (and never below min_backoff).
Duration BackoffCeiling(const RetryPolicy& policy, int failed_attempts);

// The wait after the n-th failed attempt: uniform in [min_backoff, BackoffCeiling] (full jitter,
// so retries of many entries that failed together spread out instead of arriving together), and
// at least retry_after when the API gave one.
Duration NextBackoff(const RetryPolicy& policy, int failed_attempts,
                     std::optional<std::chrono::milliseconds> retry_after, std::mt19937_64& rng);

// The time of the next attempt of an entry enqueued at enqueued_ms whose attempt failed at
// now_ms, given the backoff drawn for it: now + backoff, pulled in to the entry's age limit
// (enqueued + max_age) so the last attempt happens at the limit rather than never. nullopt when
// no attempt can happen before the limit without coming earlier than retry_after: give up with
// reason expired.
std::optional<int64_t> ScheduleRetry(const RetryPolicy& policy, int64_t enqueued_ms, int64_t now_ms,
                                     Duration backoff,
                                     std::optional<std::chrono::milliseconds> retry_after);

// How late the final attempt, scheduled exactly at the age limit, may still start (a busy lane,
// a slow wake-up). An entry found due later than that, or found past its limit with an attempt
// scheduled before it (the sidecar was down), is given up unattempted: it is stale.
inline constexpr int64_t kFinalAttemptGraceMs = 60'000;

// Is an entry that is due at now_ms too old to be attempted?
bool Expired(const RetryPolicy& policy, int64_t enqueued_ms, int64_t next_attempt_ms,
             int64_t now_ms);

}  // namespace codebot::notify::delivery
