#include "exporter/collect/github/collector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "exporter/core/log.h"
#include "exporter/core/sanitize.h"
#include "exporter/expfmt/writer.h"
#include "tests/support/env.h"
#include "tests/support/exporter.h"
#include "tests/support/fake_github.h"
#include "tests/support/process.h"

namespace codebot::collect::github {
namespace {

namespace fake = codebot::testing::github;
using codebot::testing::Scrape;

const std::string kPatToken = "ghp_" + std::string(36, 'P');
const std::string kAppToken = "ghs_" + std::string(36, 'S');

config::GitHubAccount InlineAccount(std::string name, std::string token) {
  config::GitHubAccount account;
  account.name = std::move(name);
  account.token.inline_value = std::move(token);
  return account;
}

config::GitHubAccount FileAccount(std::string name, std::string path) {
  config::GitHubAccount account;
  account.name = std::move(name);
  account.token.file = std::move(path);
  return account;
}

config::GitHubAccount Anonymous(std::string name = "anonymous") {
  config::GitHubAccount account;
  account.name = std::move(name);
  return account;
}

config::GitHubSource Source(const std::string& api_url,
                            std::vector<config::GitHubAccount> accounts) {
  config::GitHubSource source;
  source.api_url = api_url;
  source.accounts = std::move(accounts);
  return source;
}

// The families as /metrics would show them, read back with the sidecar's parser.
Scrape Render(const CollectResult& result) {
  std::string text;
  for (const auto& family : result.families) expfmt::AppendFamily(text, family);
  return codebot::testing::ParseScrape(text);
}

std::set<std::string> LabelValues(const Scrape& scrape, const std::string& metric,
                                  const std::string& label, const Labels& match = {}) {
  std::set<std::string> values;
  for (const auto& sample : scrape.Samples(metric, match)) {
    values.insert(std::string(LabelValue(sample.labels, label)));
  }
  return values;
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::Init(log::Level::kDebug, log::Format::kJson);
    log::SetCaptureForTesting([this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_lines_.emplace_back(line);
    });
  }
  void TearDown() override {
    log::SetCaptureForTesting(nullptr);
    sanitize::ClearSecretsForTesting();
    for (const auto& token : {kPatToken, kAppToken}) {
      EXPECT_EQ(Logs().find(token), std::string::npos) << "token in a log line:\n" << Logs();
    }
  }

  std::string Logs() {
    std::lock_guard lock(log_mutex_);
    std::string all;
    for (const auto& line : log_lines_) all += line + "\n";
    return all;
  }

  static CollectResult CollectOnce(Collector& collector,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return collector.Collect(SteadyClock::now() + timeout);
  }

  // Nothing secret in what leaves the collector, logged or not.
  static void ExpectNoToken(const CollectResult& result) {
    const std::string text = Render(result).text;
    for (const auto& token : {kPatToken, kAppToken}) {
      EXPECT_EQ(result.error_message.find(token), std::string::npos) << result.error_message;
      EXPECT_EQ(text.find(token), std::string::npos);
    }
  }

  fake::FakeGitHub github_;
  std::mutex log_mutex_;
  std::vector<std::string> log_lines_;
};

TEST_F(CollectorTest, ExposesEveryResourceOfEveryAccount) {
  std::vector<fake::FakeResource> resources = fake::DefaultResources(/*core_used=*/4200);
  resources.push_back({"brand_new_resource", 42, 40, fake::NowUnix() + 600});
  github_.Answer(kPatToken, fake::Ok(resources));
  github_.Answer("", fake::Ok({{"core", 60, 2, fake::NowUnix() + 3000},
                               {"search", 10, 0, fake::NowUnix() + 60}}));
  github_.Start();
  auto collector = NewRateLimitCollector(
      Source(github_.ApiUrl(), {InlineAccount("bot-pat", kPatToken), Anonymous()}));

  const CollectResult result = CollectOnce(*collector);
  ASSERT_TRUE(result.ok) << result.error_reason << ": " << result.error_message;
  const Scrape scrape = Render(result);
  ASSERT_TRUE(scrape.ok) << scrape.text;

  std::set<std::string> served;
  for (const auto& r : resources) served.insert(r.name);
  EXPECT_EQ(LabelValues(scrape, "github_api_rate_limit_limit", "resource", {{"name", "bot-pat"}}),
            served);
  EXPECT_EQ(
      LabelValues(scrape, "github_api_rate_limit_remaining", "resource", {{"name", "anonymous"}}),
      (std::set<std::string>{"core", "search"}));
  const Labels core = {{"name", "bot-pat"}, {"resource", "core"}};
  EXPECT_EQ(scrape.Value("github_api_rate_limit_limit", core), 5000);
  EXPECT_EQ(scrape.Value("github_api_rate_limit_remaining", core), 800);
  EXPECT_EQ(scrape.Value("github_api_rate_limit_used", core), 4200);
  EXPECT_EQ(scrape.Value("github_api_rate_limit_reset_timestamp_seconds", core),
            static_cast<double>(resources[0].reset));
  const Labels brand_new = {{"name", "bot-pat"}, {"resource", "brand_new_resource"}};
  EXPECT_EQ(scrape.Value("github_api_rate_limit_remaining", brand_new), 2);
  EXPECT_EQ(
      scrape.Value("github_api_rate_limit_limit", {{"name", "anonymous"}, {"resource", "core"}}),
      60);

  for (const std::string name : {"bot-pat", "anonymous"}) {
    EXPECT_EQ(scrape.Value("github_api_up", {{"name", name}}), 1) << name;
    EXPECT_EQ(scrape.Value("github_api_backoff_until_timestamp_seconds", {{"name", name}}), 0);
    EXPECT_GT(
        scrape.Value("github_api_last_success_timestamp_seconds", {{"name", name}}).value_or(0),
        1.6e9);
    EXPECT_EQ(scrape.Value("github_api_secondary_rate_limit_responses_total", {{"name", name}}), 0);
    // Every reason exists from the start, at 0.
    const auto reasons = collector->ErrorReasons();
    EXPECT_EQ(LabelValues(scrape, "github_api_request_errors_total", "reason", {{"name", name}}),
              std::set<std::string>(reasons.begin(), reasons.end()));
    for (const auto& sample : scrape.Samples("github_api_request_errors_total", {{"name", name}})) {
      EXPECT_EQ(sample.value, 0);
    }
  }
  const auto* errors = scrape.FindFamily("github_api_request_errors_total");
  ASSERT_NE(errors, nullptr);
  EXPECT_EQ(errors->type, MetricType::kCounter);
}

TEST_F(CollectorTest, SendsTheHeadersGitHubExpects) {
  github_.Answer(kPatToken, fake::Ok());
  github_.Answer("", fake::Ok());
  github_.Start();
  auto collector = NewRateLimitCollector(
      Source(github_.ApiUrl(), {InlineAccount("bot-pat", kPatToken), Anonymous()}));
  ASSERT_TRUE(CollectOnce(*collector).ok);

  const auto hits = github_.Hits();
  ASSERT_EQ(hits.size(), 2u);
  for (const auto& hit : hits) {
    EXPECT_EQ(hit.request.method, "GET");
    EXPECT_EQ(hit.request.path, "/rate_limit");
    EXPECT_EQ(hit.request.Header("Accept"), "application/vnd.github+json");
    EXPECT_EQ(hit.request.Header("X-GitHub-Api-Version"), "2022-11-28");
    EXPECT_TRUE(hit.request.Header("User-Agent").starts_with("codebot-exporter/"))
        << hit.request.Header("User-Agent");
  }
  EXPECT_EQ(hits[0].request.Header("Authorization"), "Bearer " + kPatToken);
  // Unauthenticated means no Authorization header at all.
  EXPECT_EQ(hits[1].request.Header("Authorization"), "");
  EXPECT_TRUE(std::none_of(hits[1].request.headers.begin(), hits[1].request.headers.end(),
                           [](const auto& header) {
                             std::string name = header.first;
                             std::transform(name.begin(), name.end(), name.begin(), ::tolower);
                             return name == "authorization";
                           }));
}

TEST_F(CollectorTest, EnterpriseServerPathPrefix) {
  fake::FakeGitHub ghe("/api/v3");
  ghe.Answer(kAppToken, fake::Ok());
  ghe.Start();
  auto collector =
      NewRateLimitCollector(Source(ghe.ApiUrl(), {InlineAccount("app-installation", kAppToken)}));
  const CollectResult result = CollectOnce(*collector);
  ASSERT_TRUE(result.ok) << result.error_message;
  ASSERT_EQ(ghe.Hits().size(), 1u);
  EXPECT_EQ(ghe.Hits()[0].request.path, "/api/v3/rate_limit");
  EXPECT_EQ(collector->Instance(), "127.0.0.1:" + std::to_string(ghe.http().port()));
}

TEST_F(CollectorTest, InstanceIsHostAndPort) {
  EXPECT_EQ(NewRateLimitCollector(Source("https://api.github.com", {Anonymous()}))->Instance(),
            "api.github.com:443");
  EXPECT_EQ(
      NewRateLimitCollector(Source("https://ghe.example.com/api/v3", {Anonymous()}))->Instance(),
      "ghe.example.com:443");
  EXPECT_EQ(NewRateLimitCollector(Source("http://[::1]:8080/api/v3", {Anonymous()}))->Instance(),
            "[::1]:8080");
}

struct FailureCase {
  std::string label;
  std::function<http::Response(fake::FakeGitHub&)> answer;
  std::string reason;
};

TEST_F(CollectorTest, EveryFailureHasItsReasonAndCrashesNothing) {
  const std::vector<FailureCase> cases = {
      {"401", [](auto&) { return fake::BadCredentials(); }, "unauthorized"},
      {"403 permissions", [](auto&) { return fake::Forbidden(); }, "forbidden"},
      {"403 retry-after", [](auto&) { return fake::SecondaryLimit(403, 30); }, "rate_limited"},
      {"429", [](auto&) { return fake::SecondaryLimit(429, std::nullopt); }, "rate_limited"},
      {"500", [](auto&) { return fake::ServerError(); }, "http_status"},
      {"404", [](auto&) { return fake::GitHubJson(404, R"({"message":"Not Found"})"); },
       "http_status"},
      {"malformed", [](auto&) { return fake::Malformed(); }, "parse"},
      {"missing field", [](auto&) { return fake::MissingField(); }, "parse"},
      {"not json", [](auto&) { return http::Response::Text(200, "<html>captive portal</html>"); },
       "parse"},
      {"too large", [](auto&) { return fake::GitHubJson(200, std::string(2 << 20, ' ')); },
       "too_large"},
      {"hang",
       [](fake::FakeGitHub& github) {
         github.http().SleepUnlessStopping(std::chrono::seconds(10));
         return fake::Ok();
       },
       "timeout"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    fake::FakeGitHub github;
    github.Answer(kPatToken, [&](const http::Request&) { return c.answer(github); });
    github.Start();
    auto collector =
        NewRateLimitCollector(Source(github.ApiUrl(), {InlineAccount("bot-pat", kPatToken)}));
    const auto reasons = collector->ErrorReasons();
    EXPECT_NE(std::find(reasons.begin(), reasons.end(), c.reason), reasons.end());

    const CollectResult result = CollectOnce(*collector, std::chrono::milliseconds(500));
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error_reason, c.reason) << result.error_message;
    EXPECT_NE(result.error_message.find("bot-pat"), std::string::npos) << result.error_message;
    ExpectNoToken(result);
    const Scrape scrape = Render(result);
    EXPECT_EQ(scrape.Value("github_api_up", {{"name", "bot-pat"}}), 0);
    EXPECT_EQ(scrape.Value("github_api_request_errors_total",
                           {{"name", "bot-pat"}, {"reason", c.reason}}),
              1);
    EXPECT_TRUE(scrape.Samples("github_api_rate_limit_remaining").empty());
    collector.reset();  // closes the kept-alive connection, so the fake stops at once
    github.Stop();
  }
  // Each failure was logged once, with the account and the reason.
  const std::string logs = Logs();
  for (const auto& c : cases) {
    EXPECT_NE(logs.find("\"reason\":\"" + c.reason + "\""), std::string::npos) << c.reason;
  }
}

TEST_F(CollectorTest, TransportAndTokenFailures) {
  codebot::testing::TempDir dir;
  const std::string missing = dir.File("no-such-token");
  const std::string empty = dir.File("empty-token");
  codebot::testing::WriteFile(empty, "");
  const std::string two_lines = dir.File("two-lines");
  codebot::testing::WriteFile(two_lines, kPatToken + "\nX-Injected: 1\n");
  // A port nothing listens on.
  const int closed_port = codebot::testing::FreePort();
  struct Case {
    std::string api_url;
    config::GitHubAccount account;
    std::string reason;
  };
  github_.Start();
  const std::vector<Case> cases = {
      {"http://127.0.0.1:" + std::to_string(closed_port), InlineAccount("a", kPatToken), "connect"},
      {github_.ApiUrl(), FileAccount("a", missing), "token_file"},
      {github_.ApiUrl(), FileAccount("a", empty), "token_file"},
      {github_.ApiUrl(), FileAccount("a", two_lines), "token_file"},
  };
  for (const auto& c : cases) {
    auto collector = NewRateLimitCollector(Source(c.api_url, {c.account}));
    const CollectResult result = CollectOnce(*collector, std::chrono::seconds(2));
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error_reason, c.reason) << result.error_message;
    ExpectNoToken(result);
    EXPECT_EQ(Render(result).Value("github_api_up", {{"name", "a"}}), 0);
  }
  // An unreadable token file never turns into an anonymous request.
  EXPECT_TRUE(github_.Hits().empty());
}

TEST_F(CollectorTest, OneFailingAccountDoesNotFailTheSource) {
  github_.Answer(kPatToken, fake::BadCredentials());
  github_.Answer(kAppToken, fake::Ok());
  github_.Start();
  auto collector = NewRateLimitCollector(Source(
      github_.ApiUrl(), {InlineAccount("revoked", kPatToken), InlineAccount("app", kAppToken)}));
  const CollectResult result = CollectOnce(*collector);
  EXPECT_TRUE(result.ok) << result.error_message;
  const Scrape scrape = Render(result);
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "revoked"}}), 0);
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "app"}}), 1);
  EXPECT_EQ(scrape.Value("github_api_request_errors_total",
                         {{"name", "revoked"}, {"reason", "unauthorized"}}),
            1);
  EXPECT_EQ(LabelValues(scrape, "github_api_rate_limit_remaining", "name"),
            (std::set<std::string>{"app"}));
  // The source's own logging only covers whole-source failures: the account's is logged here.
  EXPECT_NE(Logs().find("\"account\":\"revoked\""), std::string::npos) << Logs();
  ExpectNoToken(result);
}

TEST_F(CollectorTest, WhenEveryAccountFailsTheFirstOnesReasonIsTheSources) {
  github_.Answer(kPatToken, fake::ServerError());
  github_.Answer(kAppToken, fake::BadCredentials());
  github_.Start();
  auto collector = NewRateLimitCollector(Source(
      github_.ApiUrl(), {InlineAccount("first", kPatToken), InlineAccount("second", kAppToken)}));
  const CollectResult result = CollectOnce(*collector);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_reason, "http_status");
  EXPECT_NE(result.error_message.find("\"first\""), std::string::npos) << result.error_message;
  EXPECT_NE(result.error_message.find("500"), std::string::npos) << result.error_message;
  const Scrape scrape = Render(result);
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "first"}}), 0);
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "second"}}), 0);
  EXPECT_EQ(scrape.Value("github_api_request_errors_total",
                         {{"name", "second"}, {"reason", "unauthorized"}}),
            1);
}

TEST_F(CollectorTest, RateLimitedAccountIsLeftAloneUntilRetryAfter) {
  github_.Answer(kPatToken, fake::SecondaryLimit(403, 30));
  github_.Answer(kAppToken, fake::Ok());
  github_.Start();
  auto collector = NewRateLimitCollector(Source(
      github_.ApiUrl(), {InlineAccount("throttled", kPatToken), InlineAccount("app", kAppToken)}));

  const double before = NowUnixSeconds();
  CollectResult result = CollectOnce(*collector);
  EXPECT_TRUE(result.ok);
  Scrape scrape = Render(result);
  const double until =
      scrape.Value("github_api_backoff_until_timestamp_seconds", {{"name", "throttled"}})
          .value_or(0);
  EXPECT_GE(until, before + 30);
  EXPECT_LE(until, NowUnixSeconds() + 30);
  EXPECT_EQ(scrape.Value("github_api_backoff_until_timestamp_seconds", {{"name", "app"}}), 0);
  EXPECT_EQ(
      scrape.Value("github_api_secondary_rate_limit_responses_total", {{"name", "throttled"}}), 1);
  EXPECT_NE(Logs().find("not asking again for 30s"), std::string::npos) << Logs();

  // The next collections don't ask the throttled account, and count no new error for it.
  for (int i = 0; i < 3; ++i) result = CollectOnce(*collector);
  EXPECT_EQ(github_.HitCount(kPatToken), 1u);
  EXPECT_EQ(github_.HitCount(kAppToken), 4u);
  scrape = Render(result);
  EXPECT_EQ(scrape.Value("github_api_request_errors_total",
                         {{"name", "throttled"}, {"reason", "rate_limited"}}),
            1);
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "throttled"}}), 0);
  EXPECT_EQ(scrape.Value("github_api_backoff_until_timestamp_seconds", {{"name", "throttled"}}),
            until);
}

TEST_F(CollectorTest, ExhaustedPrimaryLimitWaitsForTheResetAndIsNotSecondary) {
  const int64_t reset = fake::NowUnix() + 120;
  http::Response exhausted = fake::GitHubJson(
      403,
      R"({"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})");
  fake::AddRateHeaders(exhausted, {"core", 5000, 5000, reset});
  github_.Answer(kPatToken, exhausted);
  github_.Start();
  auto collector =
      NewRateLimitCollector(Source(github_.ApiUrl(), {InlineAccount("pat", kPatToken)}));
  const CollectResult result = CollectOnce(*collector);
  EXPECT_EQ(result.error_reason, "rate_limited");
  const Scrape scrape = Render(result);
  const double until =
      scrape.Value("github_api_backoff_until_timestamp_seconds", {{"name", "pat"}}).value_or(0);
  EXPECT_GE(until, static_cast<double>(reset) - 1);
  EXPECT_LE(until, static_cast<double>(reset) + 1);
  EXPECT_EQ(scrape.Value("github_api_secondary_rate_limit_responses_total", {{"name", "pat"}}), 0);
}

TEST_F(CollectorTest, LastValuesStayDuringBackoffUntilTheirWindowResets) {
  const int64_t now = fake::NowUnix();
  std::atomic<bool> throttled{false};
  github_.Answer(kPatToken, [&](const http::Request&) {
    if (throttled) return fake::SecondaryLimit(429, 60);
    return fake::Ok({{"core", 5000, 4990, now + 3600}, {"search", 30, 30, now - 1}});
  });
  github_.Start();
  auto collector =
      NewRateLimitCollector(Source(github_.ApiUrl(), {InlineAccount("pat", kPatToken)}));
  Scrape scrape = Render(CollectOnce(*collector));
  EXPECT_EQ(LabelValues(scrape, "github_api_rate_limit_remaining", "resource"),
            (std::set<std::string>{"core", "search"}));

  throttled = true;
  const CollectResult result = CollectOnce(*collector);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_reason, "rate_limited");
  scrape = Render(result);
  // core is still what GitHub last said; search's window has reset since, so its old values
  // would lie.
  EXPECT_EQ(scrape.Value("github_api_rate_limit_remaining", {{"resource", "core"}}), 10);
  EXPECT_TRUE(scrape.Samples("github_api_rate_limit_remaining", {{"resource", "search"}}).empty());
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "pat"}}), 0);
}

TEST_F(CollectorTest, OtherFailuresDropTheLastValues) {
  std::atomic<bool> broken{false};
  github_.Answer(kPatToken,
                 [&](const http::Request&) { return broken ? fake::ServerError() : fake::Ok(); });
  github_.Start();
  auto collector =
      NewRateLimitCollector(Source(github_.ApiUrl(), {InlineAccount("pat", kPatToken)}));
  EXPECT_FALSE(Render(CollectOnce(*collector)).Samples("github_api_rate_limit_limit").empty());
  broken = true;
  for (int i = 0; i < 3; ++i) {
    const Scrape scrape = Render(CollectOnce(*collector));
    EXPECT_TRUE(scrape.Samples("github_api_rate_limit_limit").empty());
    EXPECT_EQ(scrape.Value("github_api_request_errors_total",
                           {{"name", "pat"}, {"reason", "http_status"}}),
              i + 1);
  }
  broken = false;
  const Scrape scrape = Render(CollectOnce(*collector));
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "pat"}}), 1);
  // Counters live across collections: recovering doesn't reset them.
  EXPECT_EQ(
      scrape.Value("github_api_request_errors_total", {{"name", "pat"}, {"reason", "http_status"}}),
      3);
  EXPECT_NE(Logs().find("github account recovered"), std::string::npos);
}

TEST_F(CollectorTest, RotatedTokenFileIsPickedUp) {
  codebot::testing::TempDir dir;
  const std::string path = dir.File("token");
  codebot::testing::WriteFile(path, kPatToken + "\n");
  github_.Answer(kPatToken, fake::Ok());
  github_.Answer(kAppToken, fake::Ok());
  github_.Start();
  auto collector = NewRateLimitCollector(Source(github_.ApiUrl(), {FileAccount("bot", path)}));
  EXPECT_TRUE(CollectOnce(*collector).ok);
  codebot::testing::WriteFile(path, kAppToken);
  EXPECT_TRUE(CollectOnce(*collector).ok);
  const auto hits = github_.Hits();
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].token, kPatToken);
  EXPECT_EQ(hits[1].token, kAppToken);
}

TEST_F(CollectorTest, AHungAccountDoesNotStarveTheOthers) {
  github_.Answer(kPatToken, [&](const http::Request&) {
    github_.http().SleepUnlessStopping(std::chrono::seconds(10));
    return fake::Ok();
  });
  github_.Answer(kAppToken, fake::Ok());
  github_.Start();
  auto collector = NewRateLimitCollector(Source(
      github_.ApiUrl(), {InlineAccount("hung", kPatToken), InlineAccount("app", kAppToken)}));
  const CollectResult result = CollectOnce(*collector, std::chrono::seconds(1));
  EXPECT_TRUE(result.ok) << result.error_message;
  const Scrape scrape = Render(result);
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "app"}}), 1);
  EXPECT_EQ(
      scrape.Value("github_api_request_errors_total", {{"name", "hung"}, {"reason", "timeout"}}),
      1);
}

TEST_F(CollectorTest, NoAccountIsAFailureNotACrash) {
  auto collector = NewRateLimitCollector(Source("http://127.0.0.1:1", {}));
  const CollectResult result = CollectOnce(*collector);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_reason, "other");
}

TEST_F(CollectorTest, EnterpriseServerWithoutRateLimiting) {
  github_.Answer(kPatToken, fake::RateLimitingDisabled());
  github_.Start();
  auto collector =
      NewRateLimitCollector(Source(github_.ApiUrl(), {InlineAccount("ghe", kPatToken)}));
  const CollectResult result = CollectOnce(*collector);
  EXPECT_TRUE(result.ok) << result.error_message;
  const Scrape scrape = Render(result);
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "ghe"}}), 1);
  EXPECT_TRUE(scrape.Samples("github_api_rate_limit_limit").empty());
}

}  // namespace
}  // namespace codebot::collect::github
