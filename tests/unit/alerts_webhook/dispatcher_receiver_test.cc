// POST /alertmanager/<receiver> through the real dispatcher (the adapter the App wires): a group
// an Alertmanager already notified resolved that comes back firing with the same alerts and the
// same startsAt — a stale copy, as an HA peer re-sends after the resolution (alertmanager#4008) —
// is answered 200 and counted as a duplicate, and the person never sees the alert come back;
// a firing with a new startsAt (it really fired again) is delivered.
#include "exporter/alerts/webhook/dispatcher_receiver.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporter/alerts/dispatcher.h"
#include "exporter/alerts/webhook/receiver.h"
#include "exporter/core/time.h"
#include "exporter/http/server.h"

namespace codebot::alerts::webhook {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kM = 60'000;

class RecordingSink : public NotificationSink {
 public:
  bool Enqueue(const Notification& notification) override {
    std::lock_guard lock(mutex_);
    got_.push_back(notification);
    return true;
  }
  std::vector<Notification> Got() const {
    std::lock_guard lock(mutex_);
    return got_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Notification> got_;
};

// What Alertmanager 0.25 posts for a group of one alert.
std::string Payload(const std::string& status, int64_t starts_at_ms, int64_t ends_at_ms,
                    const std::string& external_url) {
  const json labels = {{"alertname", "BotDown"}, {"instance", "bot-0"}};
  const json alert = {
      {"status", status},
      {"labels", labels},
      {"annotations", {{"summary", "bot-0 is down"}}},
      {"startsAt", Rfc3339(starts_at_ms)},
      {"endsAt", ends_at_ms == kNoTime ? "0001-01-01T00:00:00Z" : Rfc3339(ends_at_ms)},
      {"generatorURL", "http://sidecar:9877/graph"},
      {"fingerprint", "1b7a5c3d2e4f6a8b"}};
  return json{{"receiver", "oncall"},
              {"status", status},
              {"alerts", json::array({alert})},
              {"groupLabels", {{"alertname", "BotDown"}}},
              {"commonLabels", labels},
              {"commonAnnotations", {{"summary", "bot-0 is down"}}},
              {"externalURL", external_url},
              {"version", "4"},
              {"groupKey", "{}:{alertname=\"BotDown\"}"},
              {"truncatedAlerts", 0}}
      .dump();
}

class DispatcherReceiverTest : public ::testing::Test {
 protected:
  DispatcherReceiverTest() : server_(http::ServerOptions{"127.0.0.1:0", 2, 1 << 20, 100}) {
    config::Receiver oncall;
    oncall.name = "oncall";
    config::WebhookConfig webhook;
    webhook.url.inline_value = "http://127.0.0.1:9/unused";
    oncall.webhook_configs.push_back(webhook);
    config::Route route;
    route.receiver = "oncall";
    route.group_by = {"alertname"};
    config::Delivery delivery;
    delivery.route = route;
    delivery.receivers.push_back(oncall);
    DispatcherOptions options;
    options.sink = &sink_;
    options.now = [this] { return now_; };
    dispatcher_ =
        std::make_unique<Dispatcher>(options, delivery, [](const Alert&) { return Enrichment{}; });
    adapter_ = std::make_unique<DispatcherReceiver>(*dispatcher_);
    Options webhook_options;
    webhook_options.receiver = adapter_.get();
    webhook_options.registry = &registry_;
    webhook_options.now_ms = [this] { return now_; };
    RegisterRoutes(server_, std::move(webhook_options));
  }

  int Post(const std::string& body) {
    http::Request request;
    request.method = "POST";
    request.path = "/alertmanager/oncall";
    request.body = body;
    request.id = "test";
    request.headers.emplace_back("Content-Type", "application/json");
    return server_.Dispatch(request).status;
  }

  double Requests(const std::string& outcome) const {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "codebot_exporter_webhook_requests_total") continue;
      for (const auto& metric : family.metric) {
        for (const auto& label : metric.label) {
          if (label.name == "outcome" && label.value == outcome) return metric.counter.value;
        }
      }
    }
    return -1;
  }

  // "firing@<startsAt>" / "resolved@<startsAt>" per notification queued.
  std::vector<std::string> Delivered() const {
    std::vector<std::string> out;
    for (const auto& n : sink_.Got()) {
      out.push_back(std::string(StatusName(n.GroupStatus())) + "@" +
                    std::to_string((n.alerts.at(0).alert.starts_at_ms - kT0) / kM));
    }
    return out;
  }

  int64_t now_ = kT0;
  RecordingSink sink_;
  prometheus::Registry registry_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<DispatcherReceiver> adapter_;
  http::Server server_;
};

TEST_F(DispatcherReceiverTest, AStaleFiringAfterTheResolvedIsDroppedANewFiringIsNot) {
  const std::string node0 = "http://am-0:9093";
  const std::string node1 = "http://am-1:9093";
  now_ = kT0 + kM;
  EXPECT_EQ(Post(Payload("firing", kT0, kNoTime, node0)), 200);
  now_ = kT0 + 10 * kM;
  EXPECT_EQ(Post(Payload("resolved", kT0, kT0 + 9 * kM, node0)), 200);
  EXPECT_EQ(Delivered(), (std::vector<std::string>{"firing@0", "resolved@0"}));

  // The HA peer had not merged the resolution yet: it sends the group firing again, the same
  // alert with the same startsAt. Answered 200 (Alertmanager must not retry it), counted as a
  // duplicate, delivered to nobody.
  now_ = kT0 + 10 * kM + 15'000;
  EXPECT_EQ(Post(Payload("firing", kT0, kNoTime, node1)), 200);
  EXPECT_EQ(Requests("duplicate"), 1);
  // And its resolution after that is no news either.
  now_ = kT0 + 11 * kM;
  EXPECT_EQ(Post(Payload("resolved", kT0, kT0 + 9 * kM, node1)), 200);
  EXPECT_EQ(Requests("duplicate"), 2);
  EXPECT_EQ(Delivered(), (std::vector<std::string>{"firing@0", "resolved@0"}));

  // The alert really fires again (a new startsAt): delivered, then its resolution.
  now_ = kT0 + 20 * kM;
  EXPECT_EQ(Post(Payload("firing", kT0 + 19 * kM, kNoTime, node0)), 200);
  now_ = kT0 + 30 * kM;
  EXPECT_EQ(Post(Payload("resolved", kT0 + 19 * kM, kT0 + 29 * kM, node0)), 200);
  EXPECT_EQ(Delivered(),
            (std::vector<std::string>{"firing@0", "resolved@0", "firing@19", "resolved@19"}));
  EXPECT_EQ(Requests("accepted"), 4);
  EXPECT_EQ(Requests("duplicate"), 2);
}

}  // namespace
}  // namespace codebot::alerts::webhook
