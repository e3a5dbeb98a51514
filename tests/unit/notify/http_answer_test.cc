// Reading an API's answer, shared by Slack, PagerDuty and the webhook.
#include "exporter/notify/http_answer.h"

#include <gtest/gtest.h>

#include "exporter/core/sanitize.h"

namespace codebot::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(HttpAnswer, RetryAfterSecondsOrDate) {
  // Sun, 06 Nov 1994 08:49:37 GMT
  const int64_t date_ms = int64_t{784111777} * 1000;
  EXPECT_EQ(ParseRetryAfter("7", 0), seconds(7));
  EXPECT_EQ(ParseRetryAfter(" 0 \r\n", 0), seconds(0));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", date_ms - 90'000), seconds(90));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", date_ms + 5'000), milliseconds(0))
      << "a date in the past means now";
  EXPECT_EQ(ParseRetryAfter("", 0), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1", 0), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("7s", 0), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("86401", 0), std::nullopt) << "over a day is not believed";
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", date_ms - 2 * 86'400'000),
            std::nullopt);
}

TEST(HttpAnswer, QuoteBodyTrimsCutsAndRedacts) {
  EXPECT_EQ(QuoteBody("  invalid_payload\n"), "invalid_payload");
  EXPECT_EQ(QuoteBody(" \r\n"), "(empty body)");
  // Cut on a character boundary: "é" is two bytes, the cut at 3 would split the second one.
  EXPECT_EQ(QuoteBody("aéé", 4), "aé\u2026");
  EXPECT_EQ(QuoteBody(std::string(300, 'x')).size(), 200 + std::string("\u2026").size());
  sanitize::RegisterSecret("s3cr3t-answer-token");
  EXPECT_EQ(QuoteBody("token s3cr3t-answer-token refused").find("s3cr3t"), std::string::npos);
}

TEST(HttpAnswer, NoAnswerIsARetryWithItsReason) {
  http::ClientResponse timeout;
  timeout.error = http::ClientError::kTimeout;
  timeout.error_message = "Operation timed out after 10000 milliseconds";
  const std::optional<Attempt> attempt = NoAnswer(timeout, "event 1/2");
  ASSERT_TRUE(attempt.has_value());
  EXPECT_EQ(attempt->outcome, Outcome::kRetry);
  EXPECT_EQ(attempt->reason, kReasonTimeout);
  EXPECT_EQ(attempt->error, "event 1/2: Operation timed out after 10000 milliseconds");
  EXPECT_EQ(attempt->requests, std::vector<std::string>{"timeout"});

  http::ClientResponse refused;
  refused.error = http::ClientError::kConnect;
  EXPECT_EQ(NoAnswer(refused, "")->reason, kReasonConnect);

  // Answered, even when the body was too long to keep: the status decides, not NoAnswer.
  http::ClientResponse answered;
  answered.status = 500;
  EXPECT_FALSE(NoAnswer(answered, "").has_value());
  http::ClientResponse too_large;
  too_large.error = http::ClientError::kTooLarge;
  too_large.status = 200;
  EXPECT_FALSE(NoAnswer(too_large, "").has_value());
}

TEST(HttpAnswer, TokensInsideASecretUrlAreRegistered) {
  RegisterUrlTokens("https://hooks.slack.example/services/T000/B000/XyZ123abcDEF456ghi?x=1");
  EXPECT_EQ(sanitize::Redact("bad token XyZ123abcDEF456ghi").find("XyZ123"), std::string::npos);
  // Short or all-letter segments are not secrets.
  EXPECT_NE(sanitize::Redact("services T000").find("services T000"), std::string::npos);
}

}  // namespace
}  // namespace codebot::notify
