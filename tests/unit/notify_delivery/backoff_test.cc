// The retry policy: the backoff ceiling doubles up to max_backoff, draws are jittered within
// [min_backoff, ceiling], retry_after is a floor, and no attempt is scheduled past max_age.
#include "exporter/notify/delivery/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace codebot::notify::delivery {
namespace {

using namespace std::chrono_literals;

const RetryPolicy kPolicy{.max_age = 1h, .min_backoff = 500ms, .max_backoff = 30s};

TEST(Backoff, CeilingDoublesFromMinToMax) {
  EXPECT_EQ(BackoffCeiling(kPolicy, 1), 1000ms);
  EXPECT_EQ(BackoffCeiling(kPolicy, 2), 2000ms);
  EXPECT_EQ(BackoffCeiling(kPolicy, 5), 16000ms);
  EXPECT_EQ(BackoffCeiling(kPolicy, 6), 30s);
  EXPECT_EQ(BackoffCeiling(kPolicy, 1000), 30s);  // no overflow after a long history
}

TEST(Backoff, DrawsAreJitteredWithinBoundsAndGrowWithAttempts) {
  std::mt19937_64 rng(7);
  double previous_mean = 0;
  for (int attempt = 1; attempt <= 6; ++attempt) {
    std::set<int64_t> distinct;
    double sum = 0;
    constexpr int kDraws = 2000;
    for (int i = 0; i < kDraws; ++i) {
      const auto wait = NextBackoff(kPolicy, attempt, std::nullopt, rng);
      EXPECT_GE(wait, kPolicy.min_backoff);
      EXPECT_LE(wait, BackoffCeiling(kPolicy, attempt));
      distinct.insert(wait.count());
      sum += static_cast<double>(wait.count());
    }
    const double mean = sum / kDraws;
    EXPECT_GT(distinct.size(), 100u) << "attempt " << attempt << ": no jitter";
    EXPECT_GT(mean, previous_mean) << "attempt " << attempt << ": backoff didn't grow";
    previous_mean = mean;
  }
}

TEST(Backoff, RetryAfterIsAFloorNeverShortened) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    EXPECT_GE(NextBackoff(kPolicy, 1, 3s, rng), 3s);
    // Even beyond max_backoff: the API's word wins over our cap.
    EXPECT_EQ(NextBackoff(kPolicy, 1, 120s, rng), 120s);
  }
}

TEST(Backoff, ScheduleIsPulledInToTheAgeLimitAndGivesUpBeyondIt) {
  const int64_t enqueued = 1'000'000;
  const int64_t limit = enqueued + 3'600'000;
  // Plenty of time: now + backoff.
  EXPECT_EQ(ScheduleRetry(kPolicy, enqueued, enqueued + 10, 2000ms, std::nullopt), enqueued + 2010);
  // The backoff would overshoot the limit: the last attempt happens at the limit.
  EXPECT_EQ(ScheduleRetry(kPolicy, enqueued, limit - 1000, 20s, std::nullopt), limit);
  // ... unless the API asked to wait past it: expired.
  EXPECT_EQ(ScheduleRetry(kPolicy, enqueued, limit - 1000, 20s, 2s), std::nullopt);
  // retry_after that still fits is honoured exactly.
  EXPECT_EQ(ScheduleRetry(kPolicy, enqueued, limit - 5000, 1s, 4s), limit - 1000);
  EXPECT_EQ(ScheduleRetry(kPolicy, enqueued, limit, 1s, std::nullopt), std::nullopt);
}

TEST(Backoff, ExpiredOnlyPastTheLimitExceptTheFinalAttempt) {
  const int64_t enqueued = 0;
  const int64_t limit = 3'600'000;
  EXPECT_FALSE(Expired(kPolicy, enqueued, 100, limit - 1));
  EXPECT_TRUE(Expired(kPolicy, enqueued, 100, limit));
  // The final attempt, scheduled at the limit, runs even if the lane wakes a little late ...
  EXPECT_FALSE(Expired(kPolicy, enqueued, limit, limit + 5));
  // ... but not after a long outage of the sidecar.
  EXPECT_TRUE(Expired(kPolicy, enqueued, limit, limit + kFinalAttemptGraceMs + 1));
}

}  // namespace
}  // namespace codebot::notify::delivery
