// /api/v1/rules and /api/v1/alerts in the JSON shape Prometheus 2.42 serves (checked against a
// live Prometheus 2.42: field names, which fields are omitted when empty, value as a string in
// Go's 'e' format, RFC 3339 times).
#include "exporter/rules/api.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <nlohmann/json.hpp>

#include "exporter/rules/manager.h"

namespace codebot::rules {
namespace {

using Json = nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    ManagerOptions options;
    options.registry = &registry;
    options.query = [this](const promql::Expr*, std::string_view text, int64_t) {
      QueryResult result;
      if (text.find("broken") != std::string_view::npos) {
        result.ok = false;
        result.error = "many-to-many matching not allowed";
      } else if (text.find("==") != std::string_view::npos) {
        for (const auto& instance : instances) {
          result.vector.push_back(
              {{{"__name__", "up"}, {"instance", instance}, {"job", "bot"}}, 0.25});
        }
      }
      return result;
    };
    manager = std::make_unique<Manager>(std::move(options));
    manager->SetManualEvaluation();
    auto parsed = ParseRuleText(R"(groups:
  - name: bot
    rules:
      - alert: BotDown
        expr: up  ==  0
        for: 1m
        keep_firing_for: 30s
        labels: {severity: critical}
        annotations: {summary: "down"}
      - record: job:up:sum
        expr: sum by (job) (up)
      - record: labelled
        expr: up
        labels: {a: b}
      - alert: Broken
        expr: broken
  - name: empty
    interval: 2m
    limit: 5
    rules: []
)",
                                "rules.yml");
    EXPECT_TRUE(parsed.ok()) << ::testing::PrintToString(parsed.errors);
    manager->Update(std::move(parsed.groups), RuleSettings{});
  }

  Json Rules(const std::string& type = "") {
    ApiResponse response = RulesApi(manager->Groups(), type);
    EXPECT_EQ(response.status, 200);
    return Json::parse(response.body);
  }

  prometheus::Registry registry;
  std::vector<std::string> instances = {"a:1", "b:1"};
  std::unique_ptr<Manager> manager;
};

TEST_F(ApiTest, RulesBeforeTheFirstEvaluation) {
  Json body = Rules();
  EXPECT_EQ(body["status"], "success");
  const Json& groups = body["data"]["groups"];
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0]["name"], "bot");
  EXPECT_EQ(groups[0]["file"], "rules.yml");
  EXPECT_EQ(groups[0]["interval"], 15);
  EXPECT_EQ(groups[0]["lastEvaluation"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(groups[1]["interval"], 120);
  EXPECT_EQ(groups[1]["limit"], 5);
  EXPECT_TRUE(groups[1]["rules"].is_array());
  const Json& alert = groups[0]["rules"][0];
  EXPECT_EQ(alert["state"], "inactive");
  EXPECT_EQ(alert["health"], "unknown");
  EXPECT_TRUE(alert["alerts"].is_array());
  EXPECT_TRUE(alert["alerts"].empty());
}

TEST_F(ApiTest, RulesAfterEvaluations) {
  manager->EvaluateAll(1680343200000);
  manager->EvaluateAll(1680343260000);
  Json body = Rules();
  const Json& rules = body["data"]["groups"][0]["rules"];
  ASSERT_EQ(rules.size(), 4u);

  const Json& alert = rules[0];
  EXPECT_EQ(alert["type"], "alerting");
  EXPECT_EQ(alert["name"], "BotDown");
  EXPECT_EQ(alert["query"], "up == 0") << "the canonical form, as Prometheus prints it";
  EXPECT_EQ(alert["duration"], 60);
  EXPECT_EQ(alert["keepFiringFor"], 30);
  EXPECT_EQ(alert["labels"], Json({{"severity", "critical"}}));
  EXPECT_EQ(alert["annotations"], Json({{"summary", "down"}}));
  EXPECT_EQ(alert["state"], "firing");
  EXPECT_EQ(alert["health"], "ok");
  EXPECT_FALSE(alert.contains("lastError"));
  EXPECT_TRUE(alert["evaluationTime"].is_number());
  EXPECT_TRUE(alert["lastEvaluation"].is_string());
  ASSERT_EQ(alert["alerts"].size(), 2u);
  const Json& instance = alert["alerts"][0];
  EXPECT_EQ(instance["labels"], Json({{"alertname", "BotDown"},
                                      {"instance", "a:1"},
                                      {"job", "bot"},
                                      {"severity", "critical"}}));
  EXPECT_EQ(instance["annotations"], Json({{"summary", "down"}}));
  EXPECT_EQ(instance["state"], "firing");
  EXPECT_EQ(instance["activeAt"], "2023-04-01T10:00:00Z");
  EXPECT_EQ(instance["value"], "2.5e-01");
  EXPECT_FALSE(instance.contains("keepFiringSince"));

  const Json& record = rules[1];
  EXPECT_EQ(record["type"], "recording");
  EXPECT_EQ(record["query"], "sum by (job) (up)");
  EXPECT_FALSE(record.contains("labels")) << "omitted when a recording rule has none";
  EXPECT_FALSE(record.contains("alerts"));
  EXPECT_EQ(rules[2]["labels"], Json({{"a", "b"}}));

  const Json& broken = rules[3];
  EXPECT_EQ(broken["health"], "err");
  EXPECT_EQ(broken["lastError"], "many-to-many matching not allowed");
}

TEST_F(ApiTest, KeepFiringSinceShowsWhileAnAlertIsKeptFiring) {
  manager->EvaluateAll(1680343200000);
  manager->EvaluateAll(1680343260000);
  instances = {"a:1"};
  manager->EvaluateAll(1680343275000);
  Json body = Json::parse(AlertsApi(manager->Groups()).body);
  const Json& alerts = body["data"]["alerts"];
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[1]["labels"]["instance"], "b:1");
  EXPECT_EQ(alerts[1]["state"], "firing");
  EXPECT_EQ(alerts[1]["keepFiringSince"], "2023-04-01T10:01:15Z");
}

TEST_F(ApiTest, AlertsListsPendingAndFiringButNotResolved) {
  manager->EvaluateAll(1680343200000);
  Json body = Json::parse(AlertsApi(manager->Groups()).body);
  EXPECT_EQ(body["status"], "success");
  ASSERT_EQ(body["data"]["alerts"].size(), 2u);
  EXPECT_EQ(body["data"]["alerts"][0]["state"], "pending");

  manager->EvaluateAll(1680343260000);  // firing
  instances.clear();
  manager->EvaluateAll(1680343320000);  // gone: kept firing for keep_firing_for (30s)
  EXPECT_EQ(Json::parse(AlertsApi(manager->Groups()).body)["data"]["alerts"].size(), 2u);
  manager->EvaluateAll(1680343350000);  // 30s later: resolved
  body = Json::parse(AlertsApi(manager->Groups()).body);
  EXPECT_TRUE(body["data"]["alerts"].empty());
  EXPECT_EQ(Rules()["data"]["groups"][0]["rules"][0]["state"], "inactive");
}

TEST_F(ApiTest, TypeFilter) {
  Json alerting = Rules("alert");
  ASSERT_EQ(alerting["data"]["groups"][0]["rules"].size(), 2u);
  EXPECT_EQ(alerting["data"]["groups"][0]["rules"][1]["name"], "Broken");
  Json recording = Rules("record");
  ASSERT_EQ(recording["data"]["groups"][0]["rules"].size(), 2u);
  EXPECT_EQ(recording["data"]["groups"][0]["rules"][0]["type"], "recording");

  ApiResponse bad = RulesApi(manager->Groups(), "bogus");
  EXPECT_EQ(bad.status, 400);
  Json error = Json::parse(bad.body);
  EXPECT_EQ(error["status"], "error");
  EXPECT_EQ(error["errorType"], "bad_data");
  EXPECT_EQ(error["error"], "invalid parameter \"type\": not supported value \"bogus\"");
}

}  // namespace
}  // namespace codebot::rules
