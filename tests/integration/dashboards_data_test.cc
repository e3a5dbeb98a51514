// Every query of every panel of dashboards/*.json returns data from a real Prometheus that loads
// rules/ and scrapes the sidecar the way examples/prometheus.yml does, with all of the sidecar's
// sources on: the demo bot (examples/demo_bot.py), a fake GitHub and a real PostgreSQL. The
// sidecar delivers its alerts to a webhook receiver (a local fake), so that the notification
// and outbox panels have something to show: the fake GitHub reports a quota nearly used up,
// which fires GitHubAPIRateLimitLow at once, and a short repeat_interval keeps notifications
// coming. tests/dashboards/check_panels.py runs the queries, with Grafana's variables
// substituted, once on "All" and once on the first value of each variable.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/demo_bot.h"
#include "tests/support/example_prometheus.h"
#include "tests/support/exporter.h"
#include "tests/support/fake_github.h"
#include "tests/support/fake_http.h"
#include "tests/support/postgres_server.h"
#include "tests/support/prometheus_server.h"

namespace codebot::testing {
namespace {

using Json = nlohmann::json;

const std::string kToken = "ghp_" + std::string(36, 'D');

// The names of the recording rules Prometheus runs, from GET /api/v1/rules?type=record.
std::set<std::string> RecordingRules(const Json& body) {
  std::set<std::string> names;
  if (!body.is_object()) return names;
  for (const auto& group : body["data"]["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (rule.value("type", "") == "recording") names.insert(rule.value("name", ""));
    }
  }
  return names;
}

class DashboardsData : public ::testing::Test {
 protected:
  void SetUp() override {
    CODEBOT_REQUIRE_PROGRAM(PrometheusServer::Available(), "prometheus");
    CODEBOT_REQUIRE_PROGRAM(PostgresServer::Available(), "PostgreSQL (initdb, postgres, psql)");
    CODEBOT_REQUIRE_PROGRAM(DemoBot::Available(),
                            "/usr/bin/python3 with python3-prometheus-client");
  }

  DemoBot bot_;
  github::FakeGitHub github_;
  FakeHttp webhook_;
  Exporter exporter_;
  PrometheusServer prometheus_;
};

TEST_F(DashboardsData, EveryPanelQueryReturnsData) {
  TempDir dir;
  // The core quota at 8%: GitHubAPIRateLimitLow (critical) fires without waiting.
  github_.Answer(kToken, github::Ok(github::DefaultResources(/*core_used=*/4600)));
  github_.Start();
  WriteFile(dir.File("github-token"), kToken + "\n");
  webhook_.Handle("/hook", [](const http::Request&) { return http::Response::Text(200, ""); });
  webhook_.Start();
  auto postgres = std::make_unique<PostgresServer>();

  std::string error;
  ASSERT_TRUE(bot_.Start({"--seed", "3"}, &error)) << error;
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
          SourceDir() +
          "/rules/alerts.yml]\n"
          "notifications:\n  data_dir: " +
          dir.File("outbox") + "\n  playbook_files: [" + SourceDir() +
          "/rules/playbooks.yml]\n"
          "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 0s\n"
          "  group_interval: 1s\n  repeat_interval: 2s\n"
          "receivers:\n  - name: hook\n    webhook_configs:\n      - url: " +
          webhook_.Url("/hook") + "\n",
      {}, {"CODEBOT_TEST_PG_DSN=" + postgres->Uri()});

  // Prometheus as examples/prometheus.yml sets it up, with the shipped rules.
  const auto prometheus_config =
      ExamplePrometheusConfig(exporter_.port(), SourceDir() + "/rules/alerts.yml", &error);
  ASSERT_TRUE(prometheus_config.has_value()) << error;
  ASSERT_TRUE(prometheus_.Start(*prometheus_config, &error)) << error;

  // The sidecar's alerts reach the webhook: the notification metrics exist and move.
  ASSERT_TRUE(WaitFor([&] { return webhook_.RequestCount() >= 2; }, std::chrono::seconds(60)))
      << exporter_.Logs();

  // Every recording rule of rules/ has data in Prometheus.
  const std::set<std::string> recorded =
      RecordingRules(prometheus_.Get("/api/v1/rules?type=record"));
  ASSERT_GE(recorded.size(), 20u);
  std::string empty;
  ASSERT_TRUE(WaitFor(
      [&] {
        empty.clear();
        for (const auto& name : recorded) {
          const Json answer = prometheus_.Query(name);
          if (!answer.is_object() || answer["data"]["result"].empty()) empty += " " + name;
        }
        return empty.empty();
      },
      std::chrono::seconds(60)))
      << "recording rules without data:" << empty;

  // Every panel and variable query, as Grafana would send it.
  std::string output;
  const int code =
      RunCommand({DemoBot::kPython, SourceDir() + "/tests/dashboards/check_panels.py",
                  "--prometheus", prometheus_.Url(), "--wait", "60", SourceDir() + "/dashboards"},
                 &output, "", std::chrono::minutes(3));
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("OK: every query returned data"), std::string::npos) << output;
  std::cout << output << std::flush;
}

}  // namespace
}  // namespace codebot::testing
