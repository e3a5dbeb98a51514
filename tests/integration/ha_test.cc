// High availability on a real engine: 3 sidecars (the real binary) evaluate the same rule over the
// same bot and push their alerts to a 2-node Alertmanager 0.25 cluster (alerting.alertmanagers),
// which deduplicates across the replicas and calls a sidecar back as its webhook receiver (each
// node a different sidecar, as a Service would spread them); that sidecar enriches and delivers to
// a fake Telegram. The person gets exactly one message when the alert fires and exactly one when
// it resolves — none from the sidecars' local route, none twice from the cluster — and keeps
// getting no more after waiting past the group interval and the cluster's peer timeout.
// Also: a reload switches the rules' alerts between the Alertmanagers and the local route, and
// `check config` validates the alerting section.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "exporter/core/time.h"
#include "tests/support/alertmanager_server.h"
#include "tests/support/env.h"
#include "tests/support/exporter.h"
#include "tests/support/fake_http.h"
#include "tests/support/fake_telegram.h"
#include "tests/support/process.h"

namespace codebot::testing {
namespace {

using nlohmann::json;
using telegram::FakeTelegram;

constexpr int64_t kChat = -1001234567890;
constexpr size_t kSidecars = 3;
constexpr size_t kAlertmanagers = 2;

constexpr const char* kRules = R"(groups:
  - name: ha
    rules:
      - alert: SyncQueueBacklog
        expr: codebot_sync_queue_depth > 1000
        labels:
          severity: warning
        annotations:
          summary: "Sync queue at {{ $value }}"
)";

// The Alertmanagers' routing: every alert to one webhook, the sidecar's receiver `telegram`
// (POST /alertmanager/telegram, no grouping of ours on top). Short timers for a test.
std::string AlertmanagerConfig(const std::string& webhook_url) {
  return "route:\n"
         "  receiver: sidecar\n"
         "  group_by: [alertname]\n"
         "  group_wait: 1s\n"
         "  group_interval: 2s\n"
         "  repeat_interval: 1h\n"
         "receivers:\n"
         "  - name: sidecar\n"
         "    webhook_configs:\n"
         "      - url: " +
         webhook_url + "\n        send_resolved: true\n";
}

class HighAvailability : public ::testing::Test {
 protected:
  void SetUp() override {
    bot_.Handle("/metrics", [this](const http::Request&) {
      return http::Response::Text(200,
                                  "# TYPE codebot_sync_queue_depth gauge\n"
                                  "codebot_sync_queue_depth " +
                                      std::to_string(queue_depth_.load()) + "\n");
    });
    bot_.Start();
    tg_.AddChat(kChat);
  }

  std::string SidecarConfig(const std::vector<std::string>& alertmanagers) const {
    std::string targets;
    for (const auto& am : alertmanagers) targets += (targets.empty() ? "" : ", ") + json(am).dump();
    return "global:\n"
           "  scrape_interval: 1s\n"
           "  evaluation_interval: 1s\n"
           "  external_labels: {cluster: ha-test}\n"
           "sources:\n"
           "  bot:\n"
           "    url: " +
           bot_.Url("/metrics") +
           "\n"
           "    interval: 500ms\n"
           "    timeout: 400ms\n"
           "rule_files: [rules.yml]\n"
           "notifications:\n"
           "  data_dir: outbox\n"
           "  min_backoff: 100ms\n"
           "  max_backoff: 1s\n"
           "route:\n"
           "  receiver: telegram\n"
           "  group_by: [alertname]\n"
           "  group_wait: 1s\n"
           "  group_interval: 2s\n"
           "  repeat_interval: 1h\n"
           "receivers:\n"
           "  - name: telegram\n"
           "    telegram_configs:\n"
           "      - api_url: " +
           tg_.ApiUrl() + "\n        bot_token: '" + tg_.token() +
           "'\n        chat_id: " + std::to_string(kChat) +
           "\n"
           "alerting:\n"
           "  alertmanagers:\n"
           "    - api_version: v2\n"
           "      timeout: 2s\n"
           "      static_configs:\n"
           "        - targets: [" +
           targets + "]\n";
  }

  std::string Diagnostics() {
    std::string out = cluster_.Logs();
    for (size_t i = 0; i < sidecars_.size(); ++i) {
      out += "\n--- sidecar " + std::to_string(i) + "\n" + sidecars_[i]->Logs();
    }
    out += "\n--- telegram messages:\n";
    for (const auto& m : tg_.Messages()) out += m.text + "\n---\n";
    return out;
  }

  std::atomic<int> queue_depth_{0};
  FakeHttp bot_;
  FakeTelegram tg_;
  AlertmanagerCluster cluster_;
  std::vector<std::unique_ptr<Exporter>> sidecars_;
};

bool IsResolved(const telegram::Message& m) { return m.text.find("resolved") != std::string::npos; }

TEST_F(HighAvailability, ThreeSidecarsTwoAlertmanagersOneMessagePerState) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  // The cluster first (the sidecars need its ports); its webhooks are pointed at the sidecars
  // once those listen.
  std::string error;
  ASSERT_TRUE(
      cluster_.Start(kAlertmanagers, AlertmanagerConfig("http://127.0.0.1:9/unused"), &error))
      << error;
  std::vector<std::string> targets;
  for (size_t i = 0; i < kAlertmanagers; ++i) {
    targets.push_back("127.0.0.1:" + std::to_string(cluster_.node(i).port()));
  }
  for (size_t i = 0; i < kSidecars; ++i) {
    auto sidecar = std::make_unique<Exporter>();
    WriteFile(sidecar->dir().File("rules.yml"), kRules);
    sidecar->Start(SidecarConfig(targets));
    sidecars_.push_back(std::move(sidecar));
  }
  // Node i calls sidecar i back.
  for (size_t i = 0; i < kAlertmanagers; ++i) {
    ASSERT_TRUE(cluster_.node(i).Reload(
        AlertmanagerConfig(sidecars_[i]->Url("/alertmanager/telegram")), &error))
        << error;
  }
  // Every replica pushes to both Alertmanagers and evaluates the healthy bot: nothing fires.
  for (auto& sidecar : sidecars_) {
    ASSERT_TRUE(sidecar->WaitForScrape([&](const Scrape& s) {
      return s.Value("codebot_exporter_notifications_alertmanagers_discovered") == 2.0 &&
             s.Value("codebot_sync_queue_depth").has_value();
    })) << sidecar->Logs();
  }

  const auto started = SteadyClock::now();
  queue_depth_ = 5000;
  ASSERT_TRUE(tg_.WaitForMessages(1, std::chrono::seconds(30))) << Diagnostics();
  // Every replica pushed the alert to both nodes; the cluster notified once.
  for (auto& sidecar : sidecars_) {
    EXPECT_TRUE(sidecar->WaitForScrape([&](const Scrape& s) {
      for (const auto& am : targets) {
        const auto sent = s.Value("codebot_exporter_notifications_alertmanager_sent_total",
                                  {{"alertmanager", "http://" + am + "/api/v2/alerts"}});
        if (!sent || *sent < 1) return false;
      }
      return true;
    })) << sidecar->Logs();
  }
  // Past group_interval, a second flush of each node and the second node's peer timeout: no
  // second message.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  auto messages = tg_.Messages();
  ASSERT_EQ(messages.size(), 1u) << Diagnostics();
  EXPECT_FALSE(IsResolved(messages[0])) << messages[0].text;
  EXPECT_NE(messages[0].text.find("SyncQueueBacklog"), std::string::npos) << messages[0].text;
  // Both nodes hold the alert, with the replicas' external labels.
  for (size_t i = 0; i < kAlertmanagers; ++i) {
    const json alerts = cluster_.node(i).Alerts("filter=alertname%3D%22SyncQueueBacklog%22");
    ASSERT_TRUE(alerts.is_array() && alerts.size() == 1) << alerts.dump();
    EXPECT_EQ(alerts[0]["labels"]["cluster"], "ha-test");
    EXPECT_EQ(alerts[0]["status"]["state"], "active");
  }

  queue_depth_ = 0;
  ASSERT_TRUE(tg_.WaitForMessages(2, std::chrono::seconds(30))) << Diagnostics();
  std::this_thread::sleep_for(std::chrono::seconds(6));
  messages = tg_.Messages();
  ASSERT_EQ(messages.size(), 2u) << Diagnostics();
  EXPECT_TRUE(IsResolved(messages[1])) << messages[1].text;
  EXPECT_NE(messages[1].text.find("SyncQueueBacklog"), std::string::npos) << messages[1].text;

  // Nothing reached Telegram by the sidecars' local route: every message came through the
  // webhook receiver (accepted once per state; the other node's copy, if any, a duplicate).
  double accepted = 0;
  for (auto& sidecar : sidecars_) {
    const Scrape s = sidecar->ScrapeMetrics();
    accepted +=
        s.Value("codebot_exporter_webhook_requests_total", {{"outcome", "accepted"}}).value_or(0);
    EXPECT_EQ(s.Value("codebot_exporter_notifications_alertmanager_dropped_total"), 0.0);
  }
  EXPECT_EQ(accepted, 2.0) << Diagnostics();
  const auto took = std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - started);
  std::cout << "firing and resolved through the cluster in " << took.count() << " s\n";
}

// The sink follows reloads: with alerting.alertmanagers the alert goes to the Alertmanager and
// not to the local route; reloaded without it, the next firing goes to the local route again.
TEST_F(HighAvailability, ReloadSwitchesBetweenAlertmanagersAndTheLocalRoute) {
  FakeHttp am;
  am.Handle("/api/v2/alerts", [](const http::Request&) { return http::Response::Text(200, ""); },
            {"POST"});
  am.Start();
  auto pushed = [&] {
    size_t n = 0;
    for (const auto& request : am.Requests()) {
      if (request.body.find("SyncQueueBacklog") != std::string::npos) ++n;
    }
    return n;
  };
  const std::string target = "127.0.0.1:" + std::to_string(am.port());
  auto sidecar = std::make_unique<Exporter>();
  WriteFile(sidecar->dir().File("rules.yml"), kRules);
  sidecar->Start(SidecarConfig({target}));
  sidecars_.push_back(std::move(sidecar));
  Exporter& s = *sidecars_[0];

  queue_depth_ = 5000;
  ASSERT_TRUE(WaitFor([&] { return pushed() >= 1; }, std::chrono::seconds(20))) << s.Logs();
  const json body = json::parse(am.Requests().back().body);
  ASSERT_TRUE(body.is_array() && body.size() == 1) << body.dump();
  EXPECT_EQ(body[0]["labels"]["alertname"], "SyncQueueBacklog");
  EXPECT_EQ(body[0]["labels"]["cluster"], "ha-test");
  EXPECT_TRUE(body[0].contains("startsAt") && body[0].contains("endsAt")) << body.dump();
  // The local route's group_wait is 1s: nothing reaches Telegram from here.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(tg_.Messages().size(), 0u) << Diagnostics();

  // Resolved: pushed with its endsAt in the past.
  queue_depth_ = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        const json last = json::parse(am.Requests().back().body, nullptr, false);
        if (!last.is_array() || last.empty() || !last[0].contains("endsAt")) return false;
        const auto ends = ParseRfc3339(last[0]["endsAt"].get<std::string>());
        return ends && *ends <= NowUnixMs();
      },
      std::chrono::seconds(20)))
      << s.Logs();

  // Reloaded without alerting: the next firing goes to the local route and reaches Telegram.
  std::string config = SidecarConfig({target});
  config = config.substr(0, config.find("alerting:"));
  WriteFile(s.config_path(), config);
  const auto reload = HttpPost(s.Url("/-/reload"), "");
  ASSERT_TRUE(reload.transport_ok() && reload.status == 200) << reload.body;
  const size_t before = pushed();
  queue_depth_ = 5000;
  ASSERT_TRUE(tg_.WaitForMessages(1, std::chrono::seconds(20))) << Diagnostics();
  EXPECT_FALSE(IsResolved(tg_.Messages()[0]));
  EXPECT_EQ(pushed(), before);
  EXPECT_TRUE(s.WaitForScrape([](const Scrape& scrape) {
    return scrape.Value("codebot_exporter_notifications_alertmanagers_discovered") == 0.0;
  }));
}

// `check config` accepts the section in Prometheus' shape and fails a bad value at its
// file:line:col, as starting the sidecar with it does.
TEST(AlertingConfig, CheckConfigValidatesTheSection) {
  TempDir dir;
  WriteFile(dir.File("am-token"), "am-token-secret-value\n");
  const std::string good = dir.File("good.yml");
  WriteFile(good,
            "alerting:\n"
            "  alertmanagers:\n"
            "    - scheme: http\n"
            "      path_prefix: /\n"
            "      api_version: v2\n"
            "      timeout: 10s\n"
            "      authorization: {credentials_file: am-token}\n"
            "      static_configs: [{targets: ['am-0:9093', 'am-1:9093']}]\n");
  std::string output;
  EXPECT_EQ(RunCommand({ExporterBinary(), "check", "config", good}, &output, "",
                       std::chrono::seconds(30)),
            0)
      << output;

  const std::string bad = dir.File("bad.yml");
  WriteFile(bad,
            "alerting:\n"
            "  alertmanagers:\n"
            "    - timeout: 10\n"
            "      static_configs: [{targets: ['am-0:9093']}]\n");
  EXPECT_EQ(
      RunCommand({ExporterBinary(), "check", "config", bad}, &output, "", std::chrono::seconds(30)),
      1);
  EXPECT_NE(output.find("FAILED: " + bad + ":3:16: invalid duration \"10\""), std::string::npos)
      << output;
  EXPECT_EQ(output.find("am-token-secret-value"), std::string::npos) << output;
}

}  // namespace
}  // namespace codebot::testing
