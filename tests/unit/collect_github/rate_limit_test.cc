#include "exporter/collect/github/rate_limit.h"

#include <gtest/gtest.h>

#include "tests/support/fake_github.h"

namespace codebot::collect::github {
namespace {

using codebot::testing::github::FakeResource;
using codebot::testing::github::RateLimitBody;

http::ClientResponse Answer(int status, std::string body = "", http::Headers headers = {}) {
  http::ClientResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

// An answer the fake serves, as the client would have received it.
http::ClientResponse Received(const http::Response& served) {
  return Answer(served.status, served.body, served.headers);
}

TEST(ParseRateLimitTest, TakesEveryResourceGitHubLists) {
  const auto parsed = ParseRateLimit(RateLimitBody({{"core", 5000, 1, 1700003600},
                                                    {"search", 30, 12, 1700000060},
                                                    {"brand_new_resource", 7, 2, 1700000100}}));
  ASSERT_TRUE(parsed.ok) << parsed.error;
  ASSERT_EQ(parsed.resources.size(), 3u);
  // Sorted by name, whatever the answer's order.
  EXPECT_EQ(parsed.resources[0],
            (ResourceLimit{"brand_new_resource", 7, 5, 1700000100, std::optional<double>(2)}));
  EXPECT_EQ(parsed.resources[1],
            (ResourceLimit{"core", 5000, 4999, 1700003600, std::optional<double>(1)}));
  EXPECT_EQ(parsed.resources[2],
            (ResourceLimit{"search", 30, 18, 1700000060, std::optional<double>(12)}));
}

TEST(ParseRateLimitTest, TheDeprecatedRateObjectIsNotAResource) {
  const auto parsed = ParseRateLimit(
      R"({"rate":{"limit":1,"remaining":1,"reset":1,"used":0},)"
      R"("resources":{"core":{"limit":60,"remaining":59,"reset":1700000000,"used":1}}})");
  ASSERT_TRUE(parsed.ok) << parsed.error;
  ASSERT_EQ(parsed.resources.size(), 1u);
  EXPECT_EQ(parsed.resources[0].resource, "core");
  EXPECT_EQ(parsed.resources[0].limit, 60);
}

TEST(ParseRateLimitTest, UsedIsOptionalForOlderEnterpriseServers) {
  const auto parsed = ParseRateLimit(
      R"({"resources":{"core":{"limit":5000,"remaining":4999,"reset":1372700873}}})");
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_FALSE(parsed.resources[0].used.has_value());
  EXPECT_EQ(parsed.resources[0].remaining, 4999);
}

TEST(ParseRateLimitTest, RejectsWhatIsNotARateLimitAnswer) {
  struct Case {
    std::string body;
    std::string error;
  };
  const std::vector<Case> cases = {
      {R"({"resources":{"core":{"limit":5000,"used":1,"remaining":49)", "not valid JSON"},
      {"<html>proxy error</html>", "not valid JSON"},
      {"", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"rate":{"limit":60,"remaining":59,"reset":1}})", "resources is missing"},
      {R"({"resources":[]})", "resources is not an object"},
      {R"({"resources":{}})", "resources is empty"},
      {R"({"resources":{"core":5000}})", "resources.core is not an object"},
      {R"({"resources":{"search":{"limit":30,"used":0,"reset":1}}})",
       "resources.search.remaining is missing"},
      {R"({"resources":{"core":{"limit":"5000","remaining":1,"reset":1}}})",
       "resources.core.limit is not a number"},
      {R"({"resources":{"core":{"limit":5000,"remaining":1}}})", "resources.core.reset is missing"},
      {R"({"resources":{"core":{"limit":5000,"remaining":1,"reset":1,"used":null}}})",
       "resources.core.used is not a number"},
  };
  for (const auto& c : cases) {
    const auto parsed = ParseRateLimit(c.body);
    EXPECT_FALSE(parsed.ok) << c.body;
    EXPECT_NE(parsed.error.find(c.error), std::string::npos) << c.body << " -> " << parsed.error;
    EXPECT_TRUE(parsed.resources.empty());
  }
}

TEST(ParseRateLimitTest, RefusesAnUnboundedResourceList) {
  std::vector<FakeResource> many;
  for (size_t i = 0; i <= kMaxResources; ++i) many.push_back({"r" + std::to_string(i), 1, 0, 1});
  const auto parsed = ParseRateLimit(RateLimitBody(many));
  EXPECT_FALSE(parsed.ok);
  EXPECT_NE(parsed.error.find("more than"), std::string::npos) << parsed.error;
  many.pop_back();
  EXPECT_TRUE(ParseRateLimit(RateLimitBody(many)).ok);
}

TEST(ClassifyTest, StatusesAndGitHubSignals) {
  namespace fake = codebot::testing::github;
  EXPECT_EQ(Classify(Received(fake::Ok())), Verdict::kOk);
  EXPECT_EQ(Classify(Received(fake::BadCredentials())), Verdict::kUnauthorized);
  EXPECT_EQ(Classify(Received(fake::SecondaryLimit(403, 30))), Verdict::kRateLimited);
  EXPECT_EQ(Classify(Received(fake::SecondaryLimit(429, 30))), Verdict::kRateLimited);
  // Without Retry-After, GitHub's message is what tells a secondary limit from a permission
  // problem.
  EXPECT_EQ(Classify(Received(fake::SecondaryLimit(403, std::nullopt))), Verdict::kRateLimited);
  EXPECT_EQ(Classify(Received(fake::Forbidden())), Verdict::kForbidden);
  EXPECT_EQ(Classify(Received(fake::ServerError())), Verdict::kHttpStatus);
  EXPECT_EQ(Classify(Answer(502)), Verdict::kHttpStatus);
  EXPECT_EQ(Classify(Answer(404, R"({"message":"Not Found"})")), Verdict::kHttpStatus);
  EXPECT_EQ(Classify(Received(fake::RateLimitingDisabled())), Verdict::kRateLimitingDisabled);
  // Primary limit exhausted: 403 with x-ratelimit-remaining 0 and an unrelated message.
  EXPECT_EQ(Classify(Answer(403, R"({"message":"nope"})", {{"X-RateLimit-Remaining", "0"}})),
            Verdict::kRateLimited);
  EXPECT_EQ(Classify(Answer(403, R"({"message":"nope"})", {{"X-RateLimit-Remaining", "10"}})),
            Verdict::kForbidden);
  // The older wording of secondary limits.
  EXPECT_EQ(
      Classify(Answer(403, R"({"message":"You have triggered an abuse detection mechanism."})")),
      Verdict::kRateLimited);
}

TEST(ClassifyTest, Reasons) {
  EXPECT_EQ(VerdictReason(Verdict::kUnauthorized), "unauthorized");
  EXPECT_EQ(VerdictReason(Verdict::kRateLimited), "rate_limited");
  EXPECT_EQ(VerdictReason(Verdict::kForbidden), "forbidden");
  EXPECT_EQ(VerdictReason(Verdict::kHttpStatus), "http_status");
}

TEST(ClassifyTest, PrimaryOrSecondary) {
  EXPECT_FALSE(IsPrimaryLimit(Received(codebot::testing::github::SecondaryLimit(429, 5))));
  EXPECT_TRUE(IsPrimaryLimit(Answer(403, "", {{"x-ratelimit-remaining", "0"}})));
  EXPECT_FALSE(IsPrimaryLimit(Answer(403, "", {{"x-ratelimit-remaining", "zero"}})));
}

TEST(BackoffDelayTest, RetryAfterComesFirst) {
  const int64_t now = 1700000000;
  EXPECT_EQ(BackoffDelay(Answer(403, "", {{"Retry-After", "2"}}), now, 0), std::chrono::seconds(2));
  EXPECT_EQ(BackoffDelay(Answer(429, "",
                                {{"retry-after", "30"},
                                 {"x-ratelimit-remaining", "0"},
                                 {"x-ratelimit-reset", std::to_string(now + 900)}}),
                         now, 3),
            std::chrono::seconds(30));
}

TEST(BackoffDelayTest, ExhaustedPrimaryLimitWaitsForTheReset) {
  const int64_t now = 1700000000;
  const http::Headers exhausted = {{"x-ratelimit-remaining", "0"},
                                   {"x-ratelimit-reset", std::to_string(now + 900)}};
  EXPECT_EQ(BackoffDelay(Answer(403, "", exhausted), now, 0), std::chrono::seconds(900));
  // A reset not exhausted says nothing about a secondary limit: the default minute applies.
  const http::Headers not_exhausted = {{"x-ratelimit-remaining", "4000"},
                                       {"x-ratelimit-reset", std::to_string(now + 900)}};
  EXPECT_EQ(BackoffDelay(Answer(403, "", not_exhausted), now, 0), kDefaultBackoff);
}

TEST(BackoffDelayTest, WithoutHintsAMinuteGrowingWhileTheyRepeat) {
  const auto answer = Answer(429);
  EXPECT_EQ(BackoffDelay(answer, 0, 0), std::chrono::seconds(60));
  EXPECT_EQ(BackoffDelay(answer, 0, 1), std::chrono::seconds(120));
  EXPECT_EQ(BackoffDelay(answer, 0, 2), std::chrono::seconds(240));
  EXPECT_EQ(BackoffDelay(answer, 0, 50), kMaxBackoff);
}

TEST(BackoffDelayTest, BoundedWhateverTheHeadersSay) {
  const int64_t now = 1700000000;
  EXPECT_EQ(BackoffDelay(Answer(429, "", {{"Retry-After", "0"}}), now, 0), kMinBackoff);
  EXPECT_EQ(BackoffDelay(Answer(429, "", {{"Retry-After", "99999999"}}), now, 0), kMaxBackoff);
  // A reset already past (clock skew) still waits a little.
  EXPECT_EQ(BackoffDelay(Answer(403, "",
                                {{"x-ratelimit-remaining", "0"},
                                 {"x-ratelimit-reset", std::to_string(now - 50)}}),
                         now, 0),
            kMinBackoff);
  // Unparseable values fall through to the next rule.
  EXPECT_EQ(
      BackoffDelay(Answer(429, "", {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}), now, 0),
      kDefaultBackoff);
  EXPECT_EQ(BackoffDelay(Answer(429, "", {{"Retry-After", "-5"}}), now, 0), kDefaultBackoff);
}

TEST(ErrorMessageTest, GitHubsMessageOnOneBoundedLine) {
  EXPECT_EQ(ErrorMessage(R"({"message":"Bad credentials","status":"401"})"), "Bad credentials");
  EXPECT_EQ(ErrorMessage("<html>Unicorn!</html>"), "");
  EXPECT_EQ(ErrorMessage(R"({"message":"line one\nline two"})"), "line one line two");
  const std::string long_message = std::string(500, 'x');
  const std::string shortened = ErrorMessage(R"({"message":")" + long_message + R"("})");
  EXPECT_LT(shortened.size(), 210u);
  EXPECT_TRUE(shortened.ends_with("..."));
  // Cutting inside a multi-byte character leaves no half of it behind.
  const std::string accents = ErrorMessage(R"({"message":")" + std::string(199, 'a') + "\xC3\xA9" +
                                           std::string(20, 'b') + R"("})");
  EXPECT_EQ(accents, std::string(199, 'a') + "...");
}

}  // namespace
}  // namespace codebot::collect::github
