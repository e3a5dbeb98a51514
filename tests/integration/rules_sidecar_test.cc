// The rules in the running sidecar: a fake bot that stops answering fires BotServiceDown, seen
// at /api/v1/alerts and as ALERTS at /metrics; a broken rule file on reload keeps the old rules
// and says so in a metric; unchanged rules keep their alert state across a reload; a broken
// rule file at start-up stops the sidecar with the file position.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "exporter/alerts/sink.h"
#include "exporter/app/app.h"
#include "exporter/config/config.h"
#include "exporter/core/time.h"
#include "tests/support/exporter.h"
#include "tests/support/fake_http.h"

namespace codebot::testing {
namespace {

using Json = nlohmann::json;

// The shipped BotServiceDown, with a `for` short enough for a test.
constexpr const char* kRules = R"(groups:
  - name: bot
    rules:
      - alert: BotServiceDown
        expr: up{job="bot"} == 0
        for: 2s
        labels:
          severity: critical
        annotations:
          summary: "CodeBot at {{ $labels.instance }} is down"
          link: "{{ $externalURL }}/api/v1/alerts"
      - record: bot:messages:sum
        expr: sum(codebot_messages_total)
  - name: always
    rules:
      - alert: Always
        expr: vector(1)
        labels:
          severity: info
)";

constexpr const char* kBotMetrics = R"(# TYPE codebot_messages_total counter
codebot_messages_total{command="start"} 17
codebot_messages_total{command="sync"} 4
)";

class RulesSidecar : public ::testing::Test {
 protected:
  void SetUp() override {
    bot_.Handle("/metrics", [this](const http::Request&) {
      if (!bot_up_) return http::Response::Text(500, "down\n");
      return http::Response::Text(200, kBotMetrics);
    });
    bot_.Start();
  }

  void StartExporter(const std::string& rules = kRules, const std::vector<std::string>& args = {}) {
    WriteFile(exporter_.dir().File("rules.yml"), rules);
    exporter_.Start(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "  external_labels: {cluster: test}\n"
        "sources:\n  bot:\n    url: " +
            bot_.Url("/metrics") +
            "\n    interval: 500ms\n    timeout: 400ms\n"
            "rule_files: [rules.yml]\n",
        args);
  }

  Json Get(const std::string& path) const {
    auto response = HttpGet(exporter_.Url(path));
    if (!response.transport_ok() || response.status != 200) return Json();
    return Json::parse(response.body, nullptr, false);
  }

  // The alert of that name at /api/v1/alerts, or null.
  Json FindAlert(const std::string& name) const {
    Json body = Get("/api/v1/alerts");
    if (!body.is_object()) return Json();
    for (const auto& alert : body["data"]["alerts"]) {
      if (alert["labels"]["alertname"] == name) return alert;
    }
    return Json();
  }

  Json FindRule(const std::string& name) const {
    Json body = Get("/api/v1/rules");
    if (!body.is_object()) return Json();
    for (const auto& group : body["data"]["groups"]) {
      for (const auto& rule : group["rules"]) {
        if (rule["name"] == name) return rule;
      }
    }
    return Json();
  }

  std::atomic<bool> bot_up_{true};
  FakeHttp bot_;
  Exporter exporter_;
};

TEST_F(RulesSidecar, BotDownFiresAndResolves) {
  StartExporter(kRules, {"--web.external-url=https://sidecar.example/codebot/"});
  // Healthy bot: the rules run, the recording rule sees the bot's counters, nothing fires.
  ASSERT_TRUE(WaitFor([&] {
    Json rule = FindRule("bot:messages:sum");
    return rule.is_object() && rule["health"] == "ok";
  })) << exporter_.Logs();
  EXPECT_TRUE(FindAlert("BotServiceDown").is_null());

  bot_up_ = false;
  ASSERT_TRUE(WaitFor([&] {
    Json alert = FindAlert("BotServiceDown");
    return alert.is_object() && alert["state"] == "firing";
  })) << exporter_.Logs();
  const Json alert = FindAlert("BotServiceDown");
  const std::string instance = "127.0.0.1:" + std::to_string(bot_.port());
  EXPECT_EQ(alert["labels"], Json({{"alertname", "BotServiceDown"},
                                   {"instance", instance},
                                   {"job", "bot"},
                                   {"severity", "critical"}}));
  EXPECT_EQ(alert["annotations"]["summary"], "CodeBot at " + instance + " is down");
  EXPECT_EQ(alert["annotations"]["link"], "https://sidecar.example/codebot/api/v1/alerts");
  EXPECT_EQ(alert["value"], "0e+00");

  const Scrape scrape = exporter_.ScrapeMetrics();
  ASSERT_TRUE(scrape.ok);
  EXPECT_EQ(scrape.Value("ALERTS", {{"alertname", "BotServiceDown"},
                                    {"alertstate", "firing"},
                                    {"instance", instance},
                                    {"job", "bot"},
                                    {"severity", "critical"}}),
            1.0)
      << scrape.text;
  EXPECT_TRUE(scrape.Value("ALERTS_FOR_STATE", {{"alertname", "BotServiceDown"}}).has_value());
  EXPECT_EQ(scrape.Value("codebot_exporter_rule_group_rules",
                         {{"rule_group", exporter_.dir().File("rules.yml;bot")}}),
            2.0);
  EXPECT_EQ(scrape.Value("codebot_exporter_rules_last_reload_successful"), 1.0);

  // Back up: the alert leaves /api/v1/alerts and ALERTS.
  bot_up_ = true;
  const Labels bot_down = {{"alertname", "BotServiceDown"}};
  auto resolved = [&] {
    if (!FindAlert("BotServiceDown").is_null()) return false;
    const Scrape now = exporter_.ScrapeMetrics();
    return now.ok && now.Samples("ALERTS", bot_down).empty();
  };
  ASSERT_TRUE(WaitFor(resolved)) << exporter_.Logs();
}

// What the rules hand over to the later stages, seen through a recording sink in place of the
// delivery: the firing alert with its external labels, annotations, start and generator URL,
// then the same alert (same fingerprint) resolved, with its end time.
class RecordingSink : public alerts::AlertSink {
 public:
  void Send(std::vector<alerts::Alert> alerts) override {
    std::lock_guard lock(mutex_);
    for (auto& alert : alerts) received_.push_back(std::move(alert));
  }
  std::vector<alerts::Alert> Received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<alerts::Alert> received_;
};

TEST_F(RulesSidecar, FiringAndResolvedAlertsReachTheAlertSink) {
  TempDir dir;
  WriteFile(dir.File("rules.yml"), kRules);
  WriteFile(dir.File("config.yml"),
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "  external_labels: {cluster: test}\n"
            "sources:\n  bot:\n    url: " +
                bot_.Url("/metrics") +
                "\n    interval: 500ms\n    timeout: 400ms\n"
                "rule_files: [rules.yml]\n");
  app::Flags flags;
  flags.config_file = dir.File("config.yml");
  flags.listen_address = "127.0.0.1:0";
  flags.external_url = "https://sidecar.example/codebot";
  RecordingSink sink;
  app::App app(flags, config::LoadFile(flags.config_file), {.alert_sink = &sink});
  app.Start();

  auto bot_down = [&](bool resolved) {
    const int64_t now = NowUnixMs();
    for (const auto& alert : sink.Received()) {
      if (alert.Name() == "BotServiceDown" && alert.Resolved(now) == resolved) return true;
    }
    return false;
  };
  bot_up_ = false;
  ASSERT_TRUE(WaitFor([&] { return bot_down(false); }));
  bot_up_ = true;
  ASSERT_TRUE(WaitFor([&] { return bot_down(true); }));
  app.Stop();

  const int64_t now = NowUnixMs();
  std::vector<alerts::Alert> firing, resolved;
  for (const auto& alert : sink.Received()) {
    if (alert.Name() != "BotServiceDown") continue;
    (alert.Resolved(now) ? resolved : firing).push_back(alert);
  }
  ASSERT_FALSE(firing.empty());
  ASSERT_FALSE(resolved.empty());
  const alerts::Alert& fired = firing.front();
  const std::string instance = "127.0.0.1:" + std::to_string(bot_.port());
  EXPECT_EQ(fired.labels, (Labels{{"alertname", "BotServiceDown"},
                                  {"cluster", "test"},
                                  {"instance", instance},
                                  {"job", "bot"},
                                  {"severity", "critical"}}));
  EXPECT_EQ(fired.Annotation("summary"), "CodeBot at " + instance + " is down");
  EXPECT_EQ(fired.Annotation("link"), "https://sidecar.example/codebot/api/v1/alerts");
  EXPECT_EQ(fired.generator_url,
            "https://sidecar.example/codebot/graph?g0.expr=up%7Bjob%3D%22bot%22%7D+%3D%3D+0"
            "&g0.tab=1");
  EXPECT_NE(fired.starts_at_ms, kNoTime);
  EXPECT_GT(fired.ends_at_ms, fired.starts_at_ms) << "a firing alert is valid for a while";
  const alerts::Alert& back = resolved.front();
  EXPECT_EQ(back.Fingerprint(), fired.Fingerprint());
  EXPECT_EQ(back.starts_at_ms, fired.starts_at_ms);
  EXPECT_GT(back.ends_at_ms, back.starts_at_ms);
  EXPECT_LE(back.ends_at_ms, now);
  // "Always" has no `for`: it reached the sink firing, with the same external label.
  bool always = false;
  for (const auto& alert : sink.Received()) {
    always = always || (alert.Name() == "Always" && alert.Label("cluster") == "test");
  }
  EXPECT_TRUE(always);
}

TEST_F(RulesSidecar, BrokenReloadKeepsTheOldRulesAndStateSurvivesReloads) {
  StartExporter();
  ASSERT_TRUE(WaitFor([&] { return FindAlert("Always").is_object(); })) << exporter_.Logs();
  const std::string active_at = FindAlert("Always")["activeAt"];

  // A broken rule file: the reload fails with the position, the old rules keep running.
  WriteFile(exporter_.dir().File("rules.yml"),
            std::string(kRules) + "      - alert: Broken\n        expr: sum(up\n");
  auto response = HttpPost(exporter_.Url("/-/reload"), "");
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("rules.yml:21:21: group \\\"always\\\", rule 2, \\\"Broken\\\": "
                               "could not parse expression"),
            std::string::npos)
      << response.body;
  Scrape scrape = exporter_.ScrapeMetrics();
  EXPECT_EQ(scrape.Value("codebot_exporter_rules_last_reload_successful"), 0.0);
  EXPECT_EQ(scrape.Value("codebot_exporter_config_last_reload_successful"), 0.0);
  EXPECT_TRUE(FindRule("Broken").is_null());
  EXPECT_TRUE(FindRule("BotServiceDown").is_object());
  const int64_t iterations_before =
      static_cast<int64_t>(scrape
                               .Value("codebot_exporter_rule_group_iterations_total",
                                      {{"rule_group", exporter_.dir().File("rules.yml;always")}})
                               .value_or(0));
  ASSERT_TRUE(WaitFor([&] {
    return exporter_.ScrapeMetrics()
               .Value("codebot_exporter_rule_group_iterations_total",
                      {{"rule_group", exporter_.dir().File("rules.yml;always")}})
               .value_or(0) > static_cast<double>(iterations_before);
  })) << "the old rules keep being evaluated";

  // A good change of group "always" (a new rule) on SIGHUP: Always keeps its ActiveAt.
  WriteFile(exporter_.dir().File("rules.yml"),
            std::string(kRules) + "      - record: one\n        expr: vector(1)\n");
  exporter_.process().Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return FindRule("one").is_object(); })) << exporter_.Logs();
  scrape = exporter_.ScrapeMetrics();
  EXPECT_EQ(scrape.Value("codebot_exporter_rules_last_reload_successful"), 1.0);
  EXPECT_EQ(scrape.Value("codebot_exporter_rule_group_rules",
                         {{"rule_group", exporter_.dir().File("rules.yml;always")}}),
            2.0);
  ASSERT_TRUE(FindAlert("Always").is_object());
  EXPECT_EQ(FindAlert("Always")["activeAt"], active_at);
  EXPECT_EQ(FindAlert("Always")["state"], "firing");

  // A changed label makes it another rule, with fresh state.
  std::string relabelled = kRules;
  relabelled.replace(relabelled.find("severity: info"), 14, "severity: page");
  WriteFile(exporter_.dir().File("rules.yml"), relabelled);
  response = HttpPost(exporter_.Url("/-/reload"), "");
  EXPECT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(WaitFor([&] {
    Json alert = FindAlert("Always");
    return alert.is_object() && alert["labels"]["severity"] == "page";
  }));
  EXPECT_NE(FindAlert("Always")["activeAt"], active_at);
}

TEST_F(RulesSidecar, BrokenRuleFileAtStartUpIsAClearError) {
  TempDir dir;
  WriteFile(dir.File("rules.yml"),
            "groups:\n  - name: g\n    rules:\n      - alert: A\n"
            "        expr: up ==\n        labels: {\"bad-name\": x}\n");
  WriteFile(dir.File("config.yml"), "rule_files: [rules.yml]\n");
  std::string output;
  const int code = RunCommand({ExporterBinary(), "--config.file=" + dir.File("config.yml"),
                               "--web.listen-address=127.0.0.1:" + std::to_string(FreePort())},
                              &output, "", std::chrono::seconds(20));
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find(dir.File("rules.yml") +
                        ":5:20: group \"g\", rule 1, \"A\": could not parse expression"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find(dir.File("rules.yml") +
                        ":6:18: group \"g\", rule 1, \"A\": invalid label name: bad-name"),
            std::string::npos)
      << output;
}

}  // namespace
}  // namespace codebot::testing
