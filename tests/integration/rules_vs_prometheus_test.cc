// Every rule of rules/alerts.yml means the same in the sidecar and in a real Prometheus that
// scrapes it as examples/prometheus.yml does: the demo bot (examples/demo_bot.py) with a fake
// GitHub (its quota nearly used up) and a real PostgreSQL behind the sidecar; the bot made to
// misbehave while GitHub starts refusing the token and a reload fails, then healthy again with
// PostgreSQL stopped, then stopped itself. At each stage the alerts firing in the
// sidecar (GET /api/v1/alerts) and in Prometheus (GET /api/v1/alerts) must be the same set of
// label sets, and must include the alerts that stage has to fire.
//
// Both evaluate the same copy of rules/alerts.yml with time compressed tenfold (CompressTime
// below): every `for`, `keep_firing_for` and range selector divided by 10, so that a 5m window
// is 30s, a `for: 5m` 30s and the whole story fits in about two minutes. Nothing else changes:
// selectors, aggregations, labels and thresholds are the shipped ones, and a rule that reads a
// label only one side has (the `job` of the sidecar's store, say) still tells the two apart.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exporter/core/duration.h"
#include "tests/support/demo_bot.h"
#include "tests/support/example_prometheus.h"
#include "tests/support/exporter.h"
#include "tests/support/fake_github.h"
#include "tests/support/postgres_server.h"
#include "tests/support/prometheus_server.h"

namespace codebot::testing {
namespace {

using Json = nlohmann::json;
using LabelMap = std::map<std::string, std::string>;

constexpr int kTimeFactor = 10;

// Divides a duration in Prometheus' notation by kTimeFactor.
std::string Compress(const std::string& text) {
  const auto duration = ParseDuration(text);
  if (!duration || duration->count() % kTimeFactor != 0) {
    ADD_FAILURE() << "cannot compress duration " << text;
    return text;
  }
  return FormatDuration(*duration / kTimeFactor);
}

// The test copy of a rule file: `for:` and `keep_firing_for:` values and every range selector
// `[<duration>]` divided by kTimeFactor, in both places alike. Counts what it changed, so that a
// rule file written differently (a subquery, say) makes the test say so instead of running
// with uncompressed windows.
std::string CompressTime(const std::string& rules, int* changed) {
  static const std::regex kHold(R"(^(\s*(?:for|keep_firing_for):\s*)(\S+)\s*$)");
  static const std::regex kRange(R"(\[((?:\d+(?:ms|[smhdwy]))+)\])");
  std::istringstream in(rules);
  std::string out;
  std::string line;
  *changed = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kHold)) {
      line = m[1].str() + Compress(m[2].str());
      ++*changed;
    } else if (line.find_first_not_of(' ') != line.find('#') &&
               line.find('[') != std::string::npos) {
      std::string rewritten;
      auto begin = line.cbegin();
      for (std::sregex_iterator it(line.begin(), line.end(), kRange), end; it != end; ++it) {
        rewritten.append(begin, line.cbegin() + it->position());
        rewritten += "[" + Compress((*it)[1].str()) + "]";
        begin = line.cbegin() + it->position() + it->length();
        ++*changed;
      }
      rewritten.append(begin, line.cend());
      line = rewritten;
    }
    out += line + "\n";
  }
  return out;
}

std::string Describe(const LabelMap& labels) {
  std::string text = "{";
  for (const auto& [name, value] : labels) {
    if (text.size() > 1) text += ", ";
    text += name + "=\"" + value + "\"";
  }
  return text + "}";
}

// The label sets of the firing alerts of a /api/v1/alerts answer; nullopt when the answer is
// not one.
std::optional<std::set<LabelMap>> Firing(const Json& body) {
  if (!body.is_object() || body.value("status", "") != "success") return std::nullopt;
  std::set<LabelMap> firing;
  for (const auto& alert : body["data"]["alerts"]) {
    if (alert.value("state", "") != "firing") continue;
    LabelMap labels;
    for (const auto& [name, value] : alert["labels"].items()) labels[name] = value;
    firing.insert(labels);
  }
  return firing;
}

// Does an alert of the set carry every label of want?
bool Has(const std::set<LabelMap>& alerts, const LabelMap& want) {
  for (const auto& alert : alerts) {
    bool all = true;
    for (const auto& [name, value] : want) {
      auto it = alert.find(name);
      all = all && it != alert.end() && it->second == value;
    }
    if (all) return true;
  }
  return false;
}

const std::vector<std::string> kOperations = {"search", "github_sync", "file_save", "db_query",
                                              "api_call"};

const std::string kToken = "ghp_" + std::string(36, 'V');

class RulesVsPrometheus : public ::testing::Test {
 protected:
  void SetUp() override {
    CODEBOT_REQUIRE_PROGRAM(PrometheusServer::Available(), "prometheus");
    CODEBOT_REQUIRE_PROGRAM(PostgresServer::Available(), "PostgreSQL (initdb, postgres, psql)");
    CODEBOT_REQUIRE_PROGRAM(DemoBot::Available(),
                            "/usr/bin/python3 with python3-prometheus-client");
  }

  Json SidecarAlerts() const {
    auto response = HttpGet(exporter_.Url("/api/v1/alerts"));
    if (!response.transport_ok() || response.status != 200) return Json();
    return Json::parse(response.body, nullptr, false);
  }

  // Waits until the sidecar and Prometheus have had the same firing alerts for 3 seconds in a
  // row, with an alert matching each of `required` among them and none matching `absent`. The
  // two evaluate at different moments over samples taken at different moments, so an alert
  // may start or end a poll earlier in one of them; a rule that means something else in one
  // of them never agrees.
  void ExpectAgreement(const std::string& stage, const std::vector<LabelMap>& required,
                       const std::vector<LabelMap>& absent, std::chrono::seconds timeout) {
    SCOPED_TRACE(stage);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool agreeing = false;
    auto agreeing_since = std::chrono::steady_clock::now();
    std::set<LabelMap> sidecar, prometheus;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto s = Firing(SidecarAlerts());
      const auto p = Firing(prometheus_.Get("/api/v1/alerts"));
      bool ok = s.has_value() && p.has_value();
      if (ok) {
        sidecar = *s;
        prometheus = *p;
        ok = sidecar == prometheus;
        for (const auto& want : required) ok = ok && Has(sidecar, want);
        for (const auto& unwanted : absent) ok = ok && !Has(sidecar, unwanted);
      }
      const auto now = std::chrono::steady_clock::now();
      if (!ok) {
        agreeing = false;
      } else if (!agreeing) {
        agreeing = true;
        agreeing_since = now;
      } else if (now - agreeing_since >= std::chrono::seconds(3)) {
        std::cout << "[" << stage << "] " << sidecar.size() << " alerts firing in both:\n";
        for (const auto& alert : sidecar) std::cout << "  " << Describe(alert) << "\n";
        std::cout << std::flush;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    std::ostringstream report;
    for (const auto& alert : sidecar) {
      if (!prometheus.contains(alert))
        report << "  only in the sidecar: " << Describe(alert) << "\n";
    }
    for (const auto& alert : prometheus) {
      if (!sidecar.contains(alert)) report << "  only in Prometheus:  " << Describe(alert) << "\n";
    }
    for (const auto& want : required) {
      if (!Has(sidecar, want)) report << "  missing in the sidecar: " << Describe(want) << "\n";
      if (!Has(prometheus, want)) report << "  missing in Prometheus:  " << Describe(want) << "\n";
    }
    for (const auto& unwanted : absent) {
      if (Has(sidecar, unwanted))
        report << "  still firing in the sidecar: " << Describe(unwanted) << "\n";
      if (Has(prometheus, unwanted))
        report << "  still firing in Prometheus:  " << Describe(unwanted) << "\n";
    }
    ADD_FAILURE() << stage << ": the sidecar and Prometheus did not agree within "
                  << timeout.count() << "s:\n"
                  << report.str() << "sidecar log (tail):\n"
                  << Tail(WithoutRequestLines(exporter_.Logs())) << "prometheus log (tail):\n"
                  << Tail(prometheus_.Logs());
  }

  // The sidecar's log without its line per HTTP request, most of which are this test's polls.
  static std::string WithoutRequestLines(const std::string& log) {
    std::istringstream in(log);
    std::string out, line;
    while (std::getline(in, line)) {
      if (line.find("\"msg\":\"http request\"") == std::string::npos) out += line + "\n";
    }
    return out;
  }

  static std::string Tail(const std::string& text, size_t bytes = 3000) {
    return text.size() <= bytes ? text : text.substr(text.size() - bytes);
  }

  // The names and health of every rule the sidecar or Prometheus runs (GET /api/v1/rules).
  static std::map<std::string, std::string> RuleHealth(const Json& body) {
    std::map<std::string, std::string> health;
    if (!body.is_object()) return health;
    for (const auto& group : body["data"]["groups"]) {
      for (const auto& rule : group["rules"]) {
        const std::string name = group.value("name", "") + "/" + rule.value("name", "");
        const std::string state = rule.value("health", "");
        // Twins share a name: one unhealthy twin makes the name unhealthy.
        if (!health.contains(name) || state != "ok") health[name] = state;
      }
    }
    return health;
  }

  DemoBot bot_;
  github::FakeGitHub github_;
  Exporter exporter_;
  PrometheusServer prometheus_;
};

TEST_F(RulesVsPrometheus, TheSameAlertsFireInTheSidecarAndInPrometheus) {
  TempDir dir;
  int changed = 0;
  const std::string rules = CompressTime(ReadFile(SourceDir() + "/rules/alerts.yml"), &changed);
  ASSERT_GT(changed, 50) << "the transformation found nothing to compress";
  EXPECT_EQ(rules.find("[5m]"), std::string::npos);
  const std::string rule_file = dir.File("alerts.yml");
  WriteFile(rule_file, rules);
  std::string output;
  ASSERT_EQ(RunCommand({"promtool", "check", "rules", rule_file}, &output), 0) << output;

  // GitHub: the account's core quota at 8% (below both thresholds of GitHubAPIRateLimitLow),
  // its graphql quota at 50 calls (GitHubAPIRateLimitNearlyExhausted too), an hour from reset.
  std::vector<github::FakeResource> resources = github::DefaultResources(/*core_used=*/4600);
  for (auto& resource : resources) {
    if (resource.name == "graphql") resource.used = 4950;
  }
  github_.Answer(kToken, [resources](const http::Request&) { return github::Ok(resources); });
  github_.Start();
  WriteFile(dir.File("github-token"), kToken + "\n");
  auto postgres = std::make_unique<PostgresServer>();

  std::string error;
  ASSERT_TRUE(bot_.Start({"--traffic", "3", "--seed", "10"}, &error)) << error;
  exporter_.Start(
      "global:\n  scrape_interval: 1s\n  scrape_timeout: 800ms\n  evaluation_interval: 1s\n"
      "sources:\n"
      "  bot:\n    url: " +
          bot_.Url("/metrics") +
          "\n    interval: 1s\n    timeout: 800ms\n"
          "  github:\n    api_url: " +
          github_.ApiUrl() +
          "\n    interval: 1s\n    timeout: 800ms\n"
          "    accounts:\n      - name: bot-pat\n        token_file: " +
          dir.File("github-token") +
          "\n  postgres:\n    dsn: ${CODEBOT_TEST_PG_DSN}\n    interval: 1s\n    timeout: 800ms\n"
          "rule_files: [" +
          rule_file + "]\n",
      {}, {"CODEBOT_TEST_PG_DSN=" + postgres->Uri()});
  const auto prometheus_config = ExamplePrometheusConfig(exporter_.port(), rule_file, &error);
  ASSERT_TRUE(prometheus_config.has_value()) << error;
  ASSERT_TRUE(prometheus_.Start(*prometheus_config, &error)) << error;

  // 1. A healthy bot: only the GitHub quota alerts fire.
  std::vector<LabelMap> bot_trouble;
  for (const auto& operation : kOperations) {
    for (const std::string severity : {"warning", "critical"}) {
      bot_trouble.push_back(
          {{"alertname", "BotErrorRatioHigh"}, {"operation", operation}, {"severity", severity}});
      bot_trouble.push_back(
          {{"alertname", "BotLatencyP95High"}, {"operation", operation}, {"severity", severity}});
    }
  }
  bot_trouble.push_back({{"alertname", "BotSyncQueueBacklog"}});
  const std::vector<LabelMap> github_low = {{{"alertname", "GitHubAPIRateLimitLow"},
                                             {"name", "bot-pat"},
                                             {"resource", "core"},
                                             {"severity", "warning"}},
                                            {{"alertname", "GitHubAPIRateLimitLow"},
                                             {"name", "bot-pat"},
                                             {"resource", "core"},
                                             {"severity", "critical"}},
                                            {{"alertname", "GitHubAPIRateLimitNearlyExhausted"},
                                             {"name", "bot-pat"},
                                             {"resource", "graphql"}}};
  ExpectAgreement("healthy", github_low, bot_trouble, std::chrono::seconds(60));

  // 2. Errors, slowness and a growing sync queue on every operation: the error ratio and p95
  // twins of each operation, the queue backlog and the error budget's fast burn. Meanwhile
  // GitHub starts refusing the token and a reload of the sidecar fails, for stage 3.
  ASSERT_TRUE(bot_.Misbehave("errors,slow,queue"));
  github_.Answer(kToken, github::BadCredentials());
  WriteFile(exporter_.config_path(), "global: [this is not a configuration\n");
  EXPECT_EQ(HttpPost(exporter_.Url("/-/reload"), "").status, 500);
  std::vector<LabelMap> misbehaving = bot_trouble;
  misbehaving.push_back(
      {{"alertname", "BotErrorBudgetBurn"}, {"slo", "errors"}, {"severity", "critical"}});
  ExpectAgreement("misbehaving", misbehaving, {}, std::chrono::seconds(120));

  // 3. Healthy again, and PostgreSQL gone: the bot's alerts end in both; PostgreSQLDown fires,
  // and by now GitHubAPIRateLimitUnknown and CodebotExporterReloadFailed too.
  ASSERT_TRUE(bot_.Misbehave("none"));
  postgres->Stop();
  ExpectAgreement("healthy again, PostgreSQL down",
                  {{{"alertname", "PostgreSQLDown"}, {"source", "postgres"}},
                   {{"alertname", "GitHubAPIRateLimitUnknown"}, {"name", "bot-pat"}},
                   {{"alertname", "CodebotExporterReloadFailed"}}},
                  bot_trouble, std::chrono::seconds(120));

  // 4. The bot itself stops: BotServiceDown and the availability budget's fast burn.
  bot_.Stop();
  ExpectAgreement("bot down",
                  {{{"alertname", "BotServiceDown"}, {"source", "bot"}},
                   {{"alertname", "BotAvailabilityBudgetBurn"},
                    {"slo", "availability"},
                    {"severity", "critical"}}},
                  {}, std::chrono::seconds(90));

  // Every rule ran without error in both, and both run the same rules.
  const auto sidecar_rules =
      RuleHealth(Json::parse(HttpGet(exporter_.Url("/api/v1/rules")).body, nullptr, false));
  const auto prometheus_rules = RuleHealth(prometheus_.Get("/api/v1/rules"));
  EXPECT_GT(sidecar_rules.size(), 40u);
  std::map<std::string, std::string> all_ok;
  for (const auto& [name, health] : prometheus_rules) all_ok[name] = "ok";
  EXPECT_EQ(prometheus_rules, all_ok);
  EXPECT_EQ(sidecar_rules, all_ok);
}

}  // namespace
}  // namespace codebot::testing
