// The GitHub rate-limit source end to end: the real binary asks a local fake of GitHub's
// /rate_limit (GitHub's wire format, errors and secondary limits included) and /metrics shows
// what the on-call person and the shipped alert rules need, without ever showing a token.
#include <gtest/gtest.h>

#include <set>

#include "tests/support/exporter.h"
#include "tests/support/fake_github.h"
#include "tests/support/prometheus_server.h"

namespace codebot::testing {
namespace {

namespace fake = codebot::testing::github;

const std::string kPatToken = "ghp_" + std::string(36, 'Q');
const std::string kAppToken = "ghs_" + std::string(36, 'R');
// A token with no recognisable shape: only the registered-secret path can hide it.
const std::string kPlainToken = "plain-secret-4f9a1c77e2";

struct AccountYaml {
  std::string name;
  std::string token_line;  // "token_file: ...", "token: ${X}" or "" for anonymous
};

std::string GitHubConfig(const std::string& api_url, const std::vector<AccountYaml>& accounts,
                         const std::string& interval = "1s", const std::string& timeout = "") {
  std::string yaml =
      "sources:\n  github:\n    api_url: " + api_url + "\n    interval: " + interval + "\n";
  if (!timeout.empty()) yaml += "    timeout: " + timeout + "\n";
  yaml += "    accounts:\n";
  for (const auto& account : accounts) {
    yaml += "      - name: " + account.name + "\n";
    if (!account.token_line.empty()) yaml += "        " + account.token_line + "\n";
  }
  return yaml;
}

// github_api_up of an account, -1 when absent.
double Up(const Scrape& scrape, const std::string& name) {
  const Labels match = {{"name", name}};
  return scrape.Value("github_api_up", match).value_or(-1);
}

class GitHubSource : public ::testing::Test {
 protected:
  void TearDown() override {
    // Whatever happened, no token reached a log line or /metrics.
    const std::string logs = exporter_.Logs();
    const std::string metrics = HttpGet(exporter_.Url("/metrics")).body;
    for (const auto& token : {kPatToken, kAppToken, kPlainToken}) {
      EXPECT_EQ(logs.find(token), std::string::npos) << "token in the log:\n" << logs;
      EXPECT_EQ(metrics.find(token), std::string::npos) << "token in /metrics";
    }
    exporter_.Stop();
  }

  std::string WriteToken(const std::string& name, const std::string& token) {
    const std::string path = exporter_.dir().File(name);
    WriteFile(path, token + "\n");
    return path;
  }

  fake::FakeGitHub github_;
  Exporter exporter_;
};

TEST_F(GitHubSource, EveryAccountAndResourceReachesMetrics) {
  std::vector<fake::FakeResource> pat = fake::DefaultResources(/*core_used=*/4100);
  pat.push_back({"brand_new_resource", 50, 5, fake::NowUnix() + 900});
  github_.Answer(kPatToken, fake::Ok(pat));
  github_.Answer(kAppToken, fake::Ok({{"core", 15000, 300, fake::NowUnix() + 3600},
                                      {"graphql", 10000, 20, fake::NowUnix() + 3600}}));
  github_.Answer("", fake::Ok({{"core", 60, 59, fake::NowUnix() + 3600}}));
  github_.Start();
  exporter_.Start(
      GitHubConfig(github_.ApiUrl(), {{"bot-pat", "token_file: " + WriteToken("pat", kPatToken)},
                                      {"app-installation", "token: ${GH_APP_TOKEN}"},
                                      {"anonymous", ""}}),
      {}, {"GH_APP_TOKEN=" + kAppToken});

  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return Up(s, "bot-pat") == 1 && Up(s, "app-installation") == 1 && Up(s, "anonymous") == 1;
  })) << exporter_.Logs();
  const Scrape scrape = exporter_.ScrapeMetrics();

  std::set<std::string> served;
  std::set<std::string> exposed;
  for (const auto& r : pat) served.insert(r.name);
  for (const auto& s : scrape.Samples("github_api_rate_limit_remaining", {{"name", "bot-pat"}})) {
    exposed.insert(std::string(LabelValue(s.labels, "resource")));
  }
  EXPECT_EQ(exposed, served);
  const Labels pat_core = {{"name", "bot-pat"}, {"resource", "core"}};
  EXPECT_EQ(scrape.Value("github_api_rate_limit_limit", pat_core), 5000);
  EXPECT_EQ(scrape.Value("github_api_rate_limit_remaining", pat_core), 900);
  EXPECT_EQ(scrape.Value("github_api_rate_limit_used", pat_core), 4100);
  EXPECT_EQ(scrape.Value("github_api_rate_limit_reset_timestamp_seconds", pat_core),
            static_cast<double>(pat[0].reset));
  EXPECT_EQ(scrape.Value("github_api_rate_limit_limit",
                         {{"name", "app-installation"}, {"resource", "core"}}),
            15000);
  EXPECT_EQ(scrape.Value("github_api_rate_limit_remaining",
                         {{"name", "anonymous"}, {"resource", "core"}}),
            1);
  EXPECT_EQ(scrape.Value("codebot_exporter_source_up", {{"source", "github"}}), 1);
  EXPECT_EQ(scrape.Value("github_api_request_errors_total",
                         {{"name", "bot-pat"}, {"reason", "unauthorized"}}),
            0);

  // Each account authenticated with its own token; the anonymous one sent none.
  for (const auto& [token, name] : std::vector<std::pair<std::string, std::string>>{
           {kPatToken, "bot-pat"}, {kAppToken, "app-installation"}}) {
    const auto hits = github_.Hits(token);
    ASSERT_FALSE(hits.empty()) << name;
    EXPECT_EQ(hits[0].request.Header("Authorization"), "Bearer " + token) << name;
    EXPECT_EQ(hits[0].request.Header("Accept"), "application/vnd.github+json");
    EXPECT_EQ(hits[0].request.Header("X-GitHub-Api-Version"), "2022-11-28");
    EXPECT_TRUE(hits[0].request.Header("User-Agent").starts_with("codebot-exporter/"));
  }
  const auto anonymous = github_.Hits("");
  ASSERT_FALSE(anonymous.empty());
  EXPECT_EQ(anonymous[0].request.Header("Authorization"), "");

  // Names and help that promtool accepts without a word.
  WriteFile(exporter_.dir().File("metrics.txt"), scrape.text);
  std::string lint;
  const int code = RunCommand(
      {"sh", "-c", "promtool check metrics < " + exporter_.dir().File("metrics.txt")}, &lint);
  EXPECT_EQ(code, 0) << lint;
  EXPECT_EQ(lint, "");
}

TEST_F(GitHubSource, EveryFailureHasItsReasonAndNothingCrashes) {
  struct Failing {
    std::string name;
    std::string token;
    std::string reason;
  };
  const std::vector<Failing> failing = {
      {"revoked", kPatToken, "unauthorized"},
      {"saml", kAppToken, "forbidden"},
      {"throttled", "ghp_" + std::string(36, 'T'), "rate_limited"},
      {"unicorn", "ghp_" + std::string(36, 'U'), "http_status"},
      {"garbled", "ghp_" + std::string(36, 'G'), "parse"},
      {"hung", kPlainToken, "timeout"},
  };
  github_.Answer(kPatToken, fake::BadCredentials());
  github_.Answer(kAppToken, fake::Forbidden());
  github_.Answer(failing[2].token, fake::SecondaryLimit(429, 600));
  github_.Answer(failing[3].token, fake::ServerError());
  github_.Answer(failing[4].token, fake::Malformed());
  github_.Answer(kPlainToken, [this](const http::Request&) {
    github_.http().SleepUnlessStopping(std::chrono::seconds(30));
    return fake::Ok();
  });
  const std::string healthy_token = "ghp_" + std::string(36, 'H');
  github_.Answer(healthy_token, fake::Ok());
  github_.Start();

  std::vector<AccountYaml> accounts;
  for (const auto& f : failing) {
    accounts.push_back({f.name, "token_file: " + WriteToken(f.name, f.token)});
  }
  accounts.push_back({"healthy", "token_file: " + WriteToken("healthy", healthy_token)});
  exporter_.Start(GitHubConfig(github_.ApiUrl(), accounts, "2s", "1500ms"));

  ASSERT_TRUE(exporter_.WaitForScrape([&](const Scrape& s) {
    for (const auto& f : failing) {
      if (s.Value("github_api_request_errors_total", {{"name", f.name}, {"reason", f.reason}})
              .value_or(0) < 1) {
        return false;
      }
    }
    return Up(s, "healthy") == 1;
  })) << exporter_.Logs();

  const Scrape scrape = exporter_.ScrapeMetrics();
  for (const auto& f : failing) {
    SCOPED_TRACE(f.name);
    EXPECT_EQ(scrape.Value("github_api_up", {{"name", f.name}}), 0);
    // The right reason, and only that one.
    for (const auto& sample :
         scrape.Samples("github_api_request_errors_total", {{"name", f.name}})) {
      if (LabelValue(sample.labels, "reason") != f.reason) {
        EXPECT_EQ(sample.value, 0);
      }
    }
    EXPECT_TRUE(scrape.Samples("github_api_rate_limit_limit", {{"name", f.name}}).empty());
    EXPECT_NE(exporter_.Logs().find("\"account\":\"" + f.name + "\",\"reason\":\"" + f.reason),
              std::string::npos);
  }
  // One healthy account keeps the source up; the failing ones show through their own metrics.
  EXPECT_EQ(scrape.Value("codebot_exporter_source_up", {{"source", "github"}}), 1);
  EXPECT_EQ(
      scrape.Value("github_api_secondary_rate_limit_responses_total", {{"name", "throttled"}}), 1);
  EXPECT_GT(scrape.Value("github_api_backoff_until_timestamp_seconds", {{"name", "throttled"}})
                .value_or(0),
            NowUnixSeconds() + 500);
  EXPECT_EQ(scrape.Value("github_api_backoff_until_timestamp_seconds", {{"name", "unicorn"}}), 0);
  EXPECT_TRUE(exporter_.process().Running());
}

TEST_F(GitHubSource, WhenEveryAccountFailsTheSourceFailsButAccountStatusStays) {
  github_.Answer(kPatToken, fake::ServerError());
  github_.Start();
  exporter_.Start(
      GitHubConfig(github_.ApiUrl(), {{"bot-pat", "token_file: " + WriteToken("pat", kPatToken)}}));
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_source_scrape_errors_total",
                   {{"source", "github"}, {"reason", "http_status"}})
               .value_or(0) >= 1;
  })) << exporter_.Logs();
  const Scrape scrape = exporter_.ScrapeMetrics();
  EXPECT_EQ(scrape.Value("codebot_exporter_source_up", {{"source", "github"}}), 0);
  EXPECT_EQ(scrape.Value("github_api_up", {{"name", "bot-pat"}}), 0);
  EXPECT_GE(scrape
                .Value("github_api_request_errors_total",
                       {{"name", "bot-pat"}, {"reason", "http_status"}})
                .value_or(0),
            1);
  // Every reason the source can report is there from the start.
  for (const std::string reason : {"unauthorized", "rate_limited", "timeout", "parse"}) {
    EXPECT_EQ(scrape.Value("codebot_exporter_source_scrape_errors_total",
                           {{"source", "github"}, {"reason", reason}}),
              0)
        << reason;
  }
}

// After a 403 with Retry-After: 2 the account is left alone for 2 s, though the source keeps
// running every 500 ms for the other account, and asked again afterwards.
TEST_F(GitHubSource, SecondaryLimitBackoffHonoursRetryAfter) {
  // Shared, not captured by reference: the fake may still answer after this body returns.
  auto answers = std::make_shared<std::atomic<int>>(0);
  github_.Answer(kPatToken, [answers](const http::Request&) {
    return (*answers)++ == 0 ? fake::SecondaryLimit(403, 2) : fake::Ok();
  });
  github_.Answer(kAppToken, fake::Ok());
  github_.Start();
  exporter_.Start(GitHubConfig(github_.ApiUrl(),
                               {{"throttled", "token_file: " + WriteToken("pat", kPatToken)},
                                {"app", "token_file: " + WriteToken("app", kAppToken)}},
                               "500ms"));

  ASSERT_TRUE(WaitFor([&] { return github_.HitCount(kPatToken) >= 2; }, std::chrono::seconds(15)))
      << exporter_.Logs();
  const auto throttled = github_.Hits(kPatToken);
  const auto paused_for = throttled[1].received - throttled[0].answered;
  EXPECT_GE(paused_for, std::chrono::seconds(2))
      << std::chrono::duration_cast<std::chrono::milliseconds>(paused_for).count() << "ms";
  // The other account was asked meanwhile: the pause is per account, not a stalled source.
  size_t app_hits_during_pause = 0;
  for (const auto& hit : github_.Hits(kAppToken)) {
    if (hit.received > throttled[0].answered && hit.received < throttled[1].received) {
      ++app_hits_during_pause;
    }
  }
  EXPECT_GE(app_hits_during_pause, 2u);

  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) { return Up(s, "throttled") == 1; }));
  const Scrape scrape = exporter_.ScrapeMetrics();
  EXPECT_EQ(scrape.Value("github_api_backoff_until_timestamp_seconds", {{"name", "throttled"}}), 0);
  EXPECT_EQ(scrape.Value("github_api_request_errors_total",
                         {{"name", "throttled"}, {"reason", "rate_limited"}}),
            1);
  EXPECT_EQ(
      scrape.Value("github_api_secondary_rate_limit_responses_total", {{"name", "throttled"}}), 1);
  EXPECT_NE(exporter_.Logs().find("github account recovered"), std::string::npos);
}

TEST_F(GitHubSource, RotatedTokenFileIsPickedUpWithoutRestart) {
  fake::FakeGitHub ghe("/api/v3");
  ghe.Answer(kPatToken, fake::Ok({{"core", 5000, 4000, fake::NowUnix() + 3600}}));
  ghe.Answer(kAppToken, fake::Ok({{"core", 5000, 10, fake::NowUnix() + 3600}}));
  ghe.Start();
  const std::string token_file = WriteToken("token", kPatToken);
  // A trailing slash on an Enterprise URL is fine.
  exporter_.Start(GitHubConfig(ghe.ApiUrl() + "/", {{"bot", "token_file: " + token_file}}));
  const Labels core = {{"name", "bot"}, {"resource", "core"}};
  ASSERT_TRUE(exporter_.WaitForScrape([&](const Scrape& s) {
    return s.Value("github_api_rate_limit_remaining", core).value_or(-1) == 1000;
  })) << exporter_.Logs();

  WriteFile(token_file, kAppToken + "\n");  // as a Kubernetes secret update would
  ASSERT_TRUE(exporter_.WaitForScrape([&](const Scrape& s) {
    return s.Value("github_api_rate_limit_remaining", core).value_or(-1) == 4990;
  })) << exporter_.Logs();
  const auto hits = ghe.Hits();
  EXPECT_EQ(hits.front().request.path, "/api/v3/rate_limit");
  EXPECT_EQ(hits.front().token, kPatToken);
  EXPECT_EQ(hits.back().token, kAppToken);
  exporter_.Stop();
}

// The shipped alert rules read these series as they are: a real Prometheus scraping the sidecar
// fires GitHubAPIRateLimitCritical for the resource that is running out, and only for it.
TEST_F(GitHubSource, ShippedRulesFireOnTheExposedSeries) {
  ASSERT_TRUE(PrometheusServer::Available()) << "prometheus is not installed";
  github_.Answer(kPatToken, fake::Ok({{"core", 5000, 4800, fake::NowUnix() + 3600},
                                      {"search", 30, 3, fake::NowUnix() + 60}}));
  github_.Start();
  exporter_.Start(
      GitHubConfig(github_.ApiUrl(), {{"bot-pat", "token_file: " + WriteToken("pat", kPatToken)}}));
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) { return Up(s, "bot-pat") == 1; }));

  const std::string rules = SharedDir() + "/conformance/rules/bot-alerts.rules.yml";
  // Prometheus silently loads nothing for a rule_files entry that matches no file.
  ASSERT_NE(ReadFile(rules).find("GitHubAPIRateLimitCritical"), std::string::npos) << rules;
  PrometheusServer prometheus;
  std::string error;
  ASSERT_TRUE(prometheus.Start(
      "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\n"
      "rule_files: ['" +
          rules + "']\n" +
          "scrape_configs:\n  - job_name: codebot-exporter\n    static_configs:\n"
          "      - targets: ['127.0.0.1:" +
          std::to_string(exporter_.port()) + "']\n",
      &error))
      << error;
  nlohmann::json firing;
  ASSERT_TRUE(WaitFor(
      [&] {
        firing = prometheus.Query("ALERTS{alertname=\"GitHubAPIRateLimitCritical\"}");
        return firing.is_object() && !firing["data"]["result"].empty();
      },
      std::chrono::seconds(30)))
      << prometheus.Logs();
  ASSERT_EQ(firing["data"]["result"].size(), 1u) << firing.dump();
  const auto& labels = firing["data"]["result"][0]["metric"];
  EXPECT_EQ(labels.value("resource", ""), "core") << firing.dump();
  EXPECT_EQ(labels.value("name", ""), "bot-pat") << firing.dump();
  EXPECT_EQ(labels.value("alertstate", ""), "firing") << firing.dump();
}

}  // namespace
}  // namespace codebot::testing
