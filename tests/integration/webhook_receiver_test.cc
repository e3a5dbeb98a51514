// The Alertmanager webhook receiver against a real Alertmanager 0.25: an alert posted to it
// arrives parsed through POST /alertmanager (our route tree) and POST /alertmanager/<receiver>
// (straight to a receiver), then its resolution; Alertmanager's bearer and basic auth pass and
// a request without them gets 401; a group that can't be queued gets 503 and Alertmanager's retry
// then gets through once; both members of an HA pair post the same group. The receiver runs on an
// in-test server with a recording AlertReceiver, so every hand-over can be checked exactly, and
// then with the real dispatcher behind it: Alertmanager's alerts go through our route tree, and
// an HA pair's group is queued once. (The receiver's answers to bad requests are unit tests:
// tests/unit/alerts_webhook/receiver_test.cc.)
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "exporter/alerts/dispatcher.h"
#include "exporter/alerts/webhook/dispatcher_receiver.h"
#include "exporter/alerts/webhook/payload.h"
#include "exporter/alerts/webhook/receiver.h"
#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "exporter/http/auth.h"
#include "exporter/http/server.h"
#include "tests/support/alertmanager_server.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {
namespace {

using alerts::Alert;
using alerts::Notification;
using alerts::Status;
using alerts::webhook::Handover;
using nlohmann::json;

// What the dispatcher would get, recorded; can be told to refuse (full outbox) for a while.
class RecordingReceiver : public alerts::webhook::AlertReceiver {
 public:
  Handover Route(std::vector<Alert> alerts) override {
    std::lock_guard lock(mutex_);
    if (!has_route_) return Handover::kNoRoute;
    if (unavailable_ > 0) {
      --unavailable_;
      ++refused_;
      return Handover::kUnavailable;
    }
    routed_.push_back(std::move(alerts));
    return Handover::kAccepted;
  }
  Handover ToReceiver(Notification notification) override {
    std::lock_guard lock(mutex_);
    if (notification.receiver != "oncall") return Handover::kUnknownReceiver;
    if (unavailable_ > 0) {
      --unavailable_;
      ++refused_;
      return Handover::kUnavailable;
    }
    direct_.push_back(std::move(notification));
    return answer_duplicate_ ? Handover::kDuplicate : Handover::kAccepted;
  }

  void SetHasRoute(bool has_route) {
    std::lock_guard lock(mutex_);
    has_route_ = has_route;
  }
  // What the dispatcher answers when its dedup stage finds nothing new.
  void AnswerDuplicate(bool duplicate) {
    std::lock_guard lock(mutex_);
    answer_duplicate_ = duplicate;
  }

  void RefuseNext(int n) {
    std::lock_guard lock(mutex_);
    unavailable_ = n;
  }
  int refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  std::vector<std::vector<Alert>> routed() const {
    std::lock_guard lock(mutex_);
    return routed_;
  }
  std::vector<Notification> direct() const {
    std::lock_guard lock(mutex_);
    return direct_;
  }
  size_t HandedOver() const {
    std::lock_guard lock(mutex_);
    return routed_.size() + direct_.size();
  }

 private:
  mutable std::mutex mutex_;
  bool has_route_ = true;
  bool answer_duplicate_ = false;
  int unavailable_ = 0;
  int refused_ = 0;
  std::vector<std::vector<Alert>> routed_;
  std::vector<Notification> direct_;
};

// An HTTP server with the receiver's routes, and /raw recording exactly what was posted there.
class ReceiverServer {
 public:
  // receiver: what the routes hand over to; nullptr: the server's RecordingReceiver.
  explicit ReceiverServer(size_t max_body_bytes = 256 << 10,
                          std::function<int64_t()> now_ms = nullptr,
                          alerts::webhook::AlertReceiver* receiver = nullptr)
      // Handler threads for 2 members x 3 webhook URLs posting at once, plus the test's own.
      : server_(http::ServerOptions{"127.0.0.1:0", 16, max_body_bytes, 10000}) {
    alerts::webhook::Options options;
    options.receiver = receiver != nullptr ? receiver : &receiver_;
    options.registry = &registry_;
    options.credentials = [this] {
      std::lock_guard lock(mutex_);
      return credentials_;
    };
    options.now_ms = std::move(now_ms);
    alerts::webhook::RegisterRoutes(server_, std::move(options));
    server_.Handle("/raw",
                   [this](const http::Request& request) {
                     std::lock_guard lock(mutex_);
                     raw_.push_back(request);
                     return http::Response::Text(200, "");
                   },
                   {"POST"});
  }
  ~ReceiverServer() { server_.Stop(); }

  void Start() { server_.Start(); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  void SetCredentials(http::Credentials credentials) {
    std::lock_guard lock(mutex_);
    credentials_ = std::move(credentials);
  }
  std::vector<http::Request> Raw() const {
    std::lock_guard lock(mutex_);
    return raw_;
  }

  double Counter(const std::string& name, const Labels& match) const {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const auto& metric : family.metric) {
        bool all = true;
        for (const auto& want : match) {
          bool found = false;
          for (const auto& label : metric.label) {
            found = found || (label.name == want.name && label.value == want.value);
          }
          all = all && found;
        }
        if (all) return metric.counter.value;
      }
    }
    return -1;
  }
  double Requests(const std::string& outcome) const {
    return Counter("codebot_exporter_webhook_requests_total", {{"outcome", outcome}});
  }
  double Received(const std::string& status) const {
    return Counter("codebot_exporter_alerts_received_total",
                   {{"source", "webhook"}, {"status", status}});
  }

  RecordingReceiver& receiver() { return receiver_; }

 private:
  RecordingReceiver receiver_;
  prometheus::Registry registry_;
  http::Server server_;
  mutable std::mutex mutex_;
  http::Credentials credentials_;
  std::vector<http::Request> raw_;
};

// Captures log lines for the duration of a test.
class LogCapture {
 public:
  LogCapture() {
    log::SetCaptureForTesting([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() { log::SetCaptureForTesting(nullptr); }
  std::vector<std::string> Lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::string All() const {
    std::string all;
    for (const auto& line : Lines()) all += line + "\n";
    return all;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

std::string Capture(const std::string& name) {
  const json capture = json::parse(ReadFile(SharedDir() + "/reference/alertmanager-0.25/" + name));
  return capture.at("body_raw").get<std::string>();
}

// Alertmanager with receivers "tree" (POST /alertmanager) and "direct" (POST
// /alertmanager/oncall, and the same payload to /raw), each alert going to both.
// http_config_yaml is indented for a webhook_config entry ("        http_config: ...").
std::string AlertmanagerConfig(const ReceiverServer& server, const std::string& http_config = "",
                               const std::string& group_wait = "200ms") {
  return R"(global:
  resolve_timeout: 5m
route:
  receiver: tree
  group_by: [alertname]
  group_wait: )" +
         group_wait + R"(
  group_interval: 500ms
  repeat_interval: 1h
  routes:
    - receiver: tree
      continue: true
    - receiver: direct
receivers:
  - name: tree
    webhook_configs:
      - url: )" +
         server.Url("/alertmanager") + R"(
        send_resolved: true
)" + http_config +
         R"(  - name: direct
    webhook_configs:
      - url: )" +
         server.Url("/alertmanager/oncall") + R"(
        send_resolved: true
)" + http_config +
         R"(      - url: )" + server.Url("/raw") + R"(
        send_resolved: true
)";
}

const Labels kLabels = {{"alertname", "WebhookReceiverTest"},
                        {"instance", "api-1:8080"},
                        {"note", "ünïcode \"quoted\" <b>"},
                        {"service", "checkout-api"},
                        {"severity", "critical"}};
const Labels kAnnotations = {{"description", "p99 latency is 850ms (> 500ms) & rising"},
                             {"runbook_url", "https://runbooks.example.com/HighLatency"},
                             {"summary", "High p99 latency on api-1:8080"}};
constexpr const char* kGeneratorUrl = "http://prometheus.example:9090/graph?g0.expr=up&g0.tab=1";

// The last alert routed through the tree / handed to "oncall" with the given status.
std::optional<Alert> LastRouted(const RecordingReceiver& receiver, Status status, int64_t now) {
  const auto routed = receiver.routed();
  for (auto it = routed.rbegin(); it != routed.rend(); ++it) {
    for (const Alert& alert : *it) {
      if (alert.StatusAt(now) == status) return alert;
    }
  }
  return std::nullopt;
}
std::optional<Notification> LastDirect(const RecordingReceiver& receiver, Status status) {
  const auto direct = receiver.direct();
  for (auto it = direct.rbegin(); it != direct.rend(); ++it) {
    if (it->GroupStatus() == status) return *it;
  }
  return std::nullopt;
}

TEST(WebhookReceiverAlertmanager, FiringThenResolvedArriveParsed) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  ReceiverServer server;
  server.Start();
  AlertmanagerServer am;
  std::string error;
  ASSERT_TRUE(am.Start(AlertmanagerConfig(server), &error)) << error;

  // Whole seconds: Alertmanager keeps what it was given, so the times compare exactly.
  const int64_t starts = (NowUnixMs() / 1000 - 60) * 1000;
  ASSERT_TRUE(am.PostAlerts(
      json::array({AlertJson(kLabels, kAnnotations, starts, NowUnixMs() + 600'000, kGeneratorUrl)}),
      &error))
      << error;
  ASSERT_TRUE(WaitFor([&] {
    // Alertmanager posts to its three webhook URLs independently: wait for all of them.
    return LastRouted(server.receiver(), Status::kFiring, NowUnixMs()) &&
           LastDirect(server.receiver(), Status::kFiring) && !server.Raw().empty();
  })) << am.Logs();

  const Alert routed = *LastRouted(server.receiver(), Status::kFiring, NowUnixMs());
  EXPECT_EQ(routed.labels, kLabels);
  EXPECT_EQ(routed.annotations, kAnnotations);
  EXPECT_EQ(routed.starts_at_ms, starts);
  EXPECT_EQ(routed.ends_at_ms, kNoTime);  // Alertmanager sends Go's zero time for a firing alert
  EXPECT_EQ(routed.generator_url, kGeneratorUrl);

  const Notification firing = *LastDirect(server.receiver(), Status::kFiring);
  EXPECT_EQ(firing.receiver, "oncall");
  EXPECT_EQ(firing.group_key, "{}/{}:{alertname=\"WebhookReceiverTest\"}");
  EXPECT_EQ(firing.group_labels, (Labels{{"alertname", "WebhookReceiverTest"}}));
  EXPECT_EQ(firing.common_labels, kLabels);
  EXPECT_EQ(firing.common_annotations, kAnnotations);
  EXPECT_EQ(firing.external_url, am.Url());
  EXPECT_TRUE(firing.id.empty()) << "the dispatcher names notifications";
  EXPECT_GT(firing.created_ms, starts);
  ASSERT_EQ(firing.alerts.size(), 1u);
  EXPECT_EQ(firing.alerts[0].status, Status::kFiring);
  EXPECT_EQ(firing.alerts[0].alert.labels, kLabels);
  EXPECT_EQ(firing.alerts[0].alert.starts_at_ms, starts);

  // The fingerprint Alertmanager put in the payload is the one its API shows for the alert.
  const json listed = am.Alerts();
  ASSERT_TRUE(listed.is_array() && listed.size() == 1) << listed.dump();
  const std::string fingerprint = listed[0].at("fingerprint").get<std::string>();
  ASSERT_FALSE(server.Raw().empty());
  alerts::webhook::ParseError parse_error;
  const auto raw = alerts::webhook::ParsePayload(server.Raw().front().body, {}, &parse_error);
  ASSERT_TRUE(raw.has_value()) << parse_error.reason;
  ASSERT_EQ(raw->alerts.size(), 1u);
  EXPECT_EQ(raw->alerts[0].fingerprint, fingerprint);
  EXPECT_EQ(server.Raw().front().Header("Content-Type"), "application/json");

  // Resolution: the same alert with an endsAt that has passed.
  const int64_t ends = (NowUnixMs() / 1000) * 1000;
  ASSERT_TRUE(am.PostAlerts(
      json::array({AlertJson(kLabels, kAnnotations, starts, ends, kGeneratorUrl)}), &error))
      << error;
  ASSERT_TRUE(WaitFor([&] {
    return LastRouted(server.receiver(), Status::kResolved, NowUnixMs() + 1) &&
           LastDirect(server.receiver(), Status::kResolved);
  })) << am.Logs();
  const Alert resolved = *LastRouted(server.receiver(), Status::kResolved, NowUnixMs() + 1);
  EXPECT_EQ(resolved.labels, kLabels);
  EXPECT_EQ(resolved.starts_at_ms, starts);
  EXPECT_EQ(resolved.ends_at_ms, ends);
  const Notification direct = *LastDirect(server.receiver(), Status::kResolved);
  ASSERT_EQ(direct.alerts.size(), 1u);
  EXPECT_EQ(direct.alerts[0].status, Status::kResolved);
  EXPECT_EQ(direct.alerts[0].alert.ends_at_ms, ends);

  EXPECT_GE(server.Requests("accepted"), 4);
  EXPECT_GE(server.Received("firing"), 2);
  EXPECT_GE(server.Received("resolved"), 2);
  EXPECT_EQ(server.Requests("invalid"), 0);
}

struct AuthCase {
  const char* name;
  http::Credentials credentials;
  std::string http_config;  // what Alertmanager is told to send
  std::string wrong;        // an Authorization header that must be refused
  std::string challenge;    // WWW-Authenticate
};

TEST(WebhookReceiverAlertmanager, AuthenticatedAlertmanagerPassesOthersGet401) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  const std::string token = "webhook-bearer-s3cret-7f1c";
  const std::string password = "webhook-basic-s3cret-92ab";
  http::Credentials bearer;
  bearer.bearer_token = [token] { return std::optional<std::string>(token); };
  http::Credentials basic;
  basic.basic_username = "alertmanager";
  basic.basic_password = [password] { return std::optional<std::string>(password); };
  const std::vector<AuthCase> cases = {
      {"bearer", bearer,
       "        http_config:\n          authorization:\n            credentials: " + token + "\n",
       "Bearer not-" + token, "Bearer"},
      {"basic", basic,
       "        http_config:\n          basic_auth:\n            username: alertmanager\n"
       "            password: " +
           password + "\n",
       "Basic " + http::Base64Encode("alertmanager:wrong"), "Basic realm=\"codebot\""},
  };
  for (const AuthCase& c : cases) {
    SCOPED_TRACE(c.name);
    LogCapture logs;
    ReceiverServer server;
    server.SetCredentials(c.credentials);
    server.Start();
    // Without credentials, and with wrong ones: 401 before the body is even looked at.
    for (const std::string& authorization : {std::string(), c.wrong}) {
      http::Headers headers;
      if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
      auto response = HttpPost(server.Url("/alertmanager/oncall"), Capture("webhook-firing.json"),
                               "application/json", 5000, headers);
      ASSERT_TRUE(response.transport_ok()) << response.error_message;
      EXPECT_EQ(response.status, 401);
      EXPECT_EQ(response.Header("WWW-Authenticate"), c.challenge);
    }
    EXPECT_EQ(server.Requests("unauthorized"), 2);
    EXPECT_EQ(server.receiver().HandedOver(), 0u);

    // What Alertmanager is given is a valid config by its own tool, secrets and all.
    if (AmtoolAvailable()) {
      std::string output;
      EXPECT_EQ(AmtoolCheckConfig(AlertmanagerConfig(server, c.http_config), &output), 0) << output;
      EXPECT_NE(output.find("SUCCESS"), std::string::npos) << output;
    }
    AlertmanagerServer am;
    std::string error;
    ASSERT_TRUE(am.Start(AlertmanagerConfig(server, c.http_config), &error)) << error;
    ASSERT_TRUE(am.PostAlerts(
        json::array({AlertJson(kLabels, kAnnotations, NowUnixMs() - 60'000, kNoTime)}), &error))
        << error;
    ASSERT_TRUE(WaitFor([&] { return !server.receiver().direct().empty(); })) << am.Logs();
    EXPECT_EQ(server.receiver().direct()[0].alerts[0].alert.labels, kLabels);
    EXPECT_EQ(server.Requests("unauthorized"), 2);
    EXPECT_EQ(logs.All().find(token), std::string::npos);
    EXPECT_EQ(logs.All().find(password), std::string::npos);
  }
}

// A real Alertmanager whose first attempts get 503 retries, and the group arrives once.
TEST(WebhookReceiverAlertmanager, AmtoolTellsABrokenConfigApart) {
  CODEBOT_REQUIRE_PROGRAM(AmtoolAvailable(), "amtool");
  std::string output;
  EXPECT_EQ(AmtoolCheckConfig("route:\n  receiver: nobody\nreceivers: []\n", &output), 1);
  EXPECT_NE(output.find("undefined receiver \"nobody\""), std::string::npos) << output;
}

TEST(WebhookReceiverAlertmanager, RetriesAfter503AndNotifiesOnce) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  ReceiverServer server;
  server.Start();
  server.receiver().RefuseNext(2);
  AlertmanagerServer am;
  std::string error;
  ASSERT_TRUE(am.Start(AlertmanagerConfig(server), &error)) << error;
  ASSERT_TRUE(am.PostAlerts(
      json::array({AlertJson(kLabels, kAnnotations, NowUnixMs() - 60'000, kNoTime)}), &error))
      << error;
  ASSERT_TRUE(WaitFor([&] {
    return !server.receiver().direct().empty() && !server.receiver().routed().empty();
  })) << am.Logs();
  EXPECT_EQ(server.receiver().refused(), 2);
  EXPECT_EQ(server.Requests("unavailable"), 2);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // two group_interval ticks
  EXPECT_EQ(server.receiver().direct().size(), 1u);
}

// Two Alertmanagers in a cluster, both given the alert (as Prometheus sends to every one) and told
// not to wait for each other: both post the group, which reaches the dispatcher twice, the same
// but for the sender's URL (what its dedup stage needs to notify once).
TEST(WebhookReceiverAlertmanager, HaPairSendsTheSameGroupTwice) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  ReceiverServer server;
  server.Start();
  AlertmanagerClusterTimings timings;
  // Neither waits for the other, and the notification log's gossip (sent every gossip_interval)
  // can't reach the second member before its own flush: both send, deterministically.
  timings.peer_timeout = std::chrono::milliseconds(0);
  timings.gossip_interval = std::chrono::seconds(5);
  timings.pushpull_interval = std::chrono::seconds(60);
  timings.settle_timeout = std::chrono::seconds(1);
  AlertmanagerCluster cluster;
  std::string error;
  ASSERT_TRUE(cluster.Start(2, AlertmanagerConfig(server, "", "1s"), &error, timings)) << error;
  const json alerts =
      json::array({AlertJson(kLabels, kAnnotations, (NowUnixMs() / 1000 - 60) * 1000, kNoTime)});
  ASSERT_TRUE(cluster.node(0).PostAlerts(alerts, &error)) << error;
  ASSERT_TRUE(cluster.node(1).PostAlerts(alerts, &error)) << error;
  ASSERT_TRUE(
      WaitFor([&] { return server.Raw().size() >= 2 && server.receiver().direct().size() >= 2; },
              std::chrono::seconds(20)))
      << cluster.Logs();
  std::set<std::string> senders;
  for (const auto& request : server.Raw()) {
    senders.insert(json::parse(request.body).value("externalURL", ""));
  }
  EXPECT_EQ(senders.size(), 2u) << "both members sent";
  // What the dispatcher's dedup stage gets from the two is the same group, but for the sender.
  const auto direct = server.receiver().direct();
  ASSERT_EQ(direct.size(), 2u);
  EXPECT_NE(direct[0].external_url, direct[1].external_url);
  EXPECT_EQ(direct[0].group_key, direct[1].group_key);
  EXPECT_EQ(direct[0].group_labels, direct[1].group_labels);
  ASSERT_EQ(direct[0].alerts.size(), 1u);
  ASSERT_EQ(direct[1].alerts.size(), 1u);
  EXPECT_EQ(direct[0].alerts[0].alert.labels, direct[1].alerts[0].alert.labels);
  EXPECT_EQ(direct[0].alerts[0].alert.starts_at_ms, direct[1].alerts[0].alert.starts_at_ms);
  EXPECT_EQ(direct[0].alerts[0].status, direct[1].alerts[0].status);
}

// The outbox, recorded.
class RecordingSink : public alerts::NotificationSink {
 public:
  bool Enqueue(const Notification& notification) override {
    std::lock_guard lock(mutex_);
    queued_.push_back(notification);
    return true;
  }
  std::vector<Notification> Queued() const {
    std::lock_guard lock(mutex_);
    return queued_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Notification> queued_;
};

// The real dispatcher behind the receiver, through the adapter the App uses: receiver "oncall"
// (one webhook integration, never called: the outbox is a recording), route tree sending every
// alert there grouped by alertname.
class DispatcherHarness {
 public:
  DispatcherHarness() {
    config::Receiver oncall;
    oncall.name = "oncall";
    config::WebhookConfig webhook;
    webhook.url.inline_value = "http://127.0.0.1:9/unused";
    oncall.webhook_configs.push_back(webhook);
    config::Route route;
    route.receiver = "oncall";
    route.group_by = {"alertname"};
    route.group_wait = std::chrono::milliseconds(100);
    route.group_interval = std::chrono::milliseconds(500);
    route.repeat_interval = std::chrono::hours(1);
    config::Delivery delivery;
    delivery.route = route;
    delivery.receivers.push_back(oncall);
    alerts::DispatcherOptions options;
    options.sink = &sink_;
    options.external_url = "http://sidecar.example:9877";
    dispatcher_ = std::make_unique<alerts::Dispatcher>(options, delivery, [](const Alert& alert) {
      alerts::Enrichment enrichment;
      enrichment.summary = "playbook for " + std::string(alert.Name());
      return enrichment;
    });
    adapter_ = std::make_unique<alerts::webhook::DispatcherReceiver>(*dispatcher_);
    dispatcher_->Start();
  }
  ~DispatcherHarness() { dispatcher_->Stop(); }

  alerts::webhook::AlertReceiver* adapter() { return adapter_.get(); }
  const RecordingSink& sink() const { return sink_; }
  // Queued notifications whose group key is (or isn't) the given one.
  std::vector<Notification> WithGroupKey(const std::string& key, bool equal = true) const {
    std::vector<Notification> out;
    for (auto& n : sink_.Queued()) {
      if ((n.group_key == key) == equal) out.push_back(n);
    }
    return out;
  }

 private:
  RecordingSink sink_;
  std::unique_ptr<alerts::Dispatcher> dispatcher_;
  std::unique_ptr<alerts::webhook::DispatcherReceiver> adapter_;
};

// Alertmanager's alerts through our own route tree: grouped and timed by our dispatcher, enriched,
// queued firing then resolved.
TEST(WebhookReceiverDispatcher, AlertmanagersAlertsGoThroughOurRouteTree) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  DispatcherHarness dispatcher;
  ReceiverServer server(256 << 10, nullptr, dispatcher.adapter());
  server.Start();
  AlertmanagerServer am;
  std::string error;
  ASSERT_TRUE(am.Start(AlertmanagerConfig(server), &error)) << error;
  const int64_t starts = (NowUnixMs() / 1000 - 60) * 1000;
  ASSERT_TRUE(am.PostAlerts(
      json::array({AlertJson(kLabels, kAnnotations, starts, kNoTime, kGeneratorUrl)}), &error))
      << error;
  const std::string am_key = "{}/{}:{alertname=\"WebhookReceiverTest\"}";
  auto ours = [&] { return dispatcher.WithGroupKey(am_key, false); };
  ASSERT_TRUE(WaitFor([&] { return !ours().empty(); })) << am.Logs();
  Notification firing = ours().front();
  EXPECT_EQ(firing.receiver, "oncall");
  EXPECT_EQ(firing.GroupStatus(), Status::kFiring);
  ASSERT_EQ(firing.alerts.size(), 1u);
  EXPECT_EQ(firing.alerts[0].alert.labels, kLabels);
  EXPECT_EQ(firing.alerts[0].alert.starts_at_ms, starts);
  EXPECT_EQ(firing.alerts[0].enrichment.summary, "playbook for WebhookReceiverTest");
  EXPECT_FALSE(firing.id.empty());

  ASSERT_TRUE(am.PostAlerts(json::array({AlertJson(kLabels, kAnnotations, starts,
                                                   (NowUnixMs() / 1000) * 1000, kGeneratorUrl)}),
                            &error))
      << error;
  ASSERT_TRUE(WaitFor([&] {
    const auto all = ours();
    return !all.empty() && all.back().GroupStatus() == Status::kResolved;
  })) << am.Logs();
  const auto all = ours();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(all.back().alerts[0].status, Status::kResolved);
  EXPECT_EQ(all.back().alerts[0].alert.labels, kLabels);
}

// Both members of an HA pair post the same group to /alertmanager/oncall: the dispatcher's dedup
// stage queues it once and the second POST is answered (200) as a duplicate.
TEST(WebhookReceiverDispatcher, HaPairNotifiesOnce) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  DispatcherHarness dispatcher;
  ReceiverServer server(256 << 10, nullptr, dispatcher.adapter());
  server.Start();
  AlertmanagerClusterTimings timings;
  timings.peer_timeout = std::chrono::milliseconds(0);
  timings.gossip_interval = std::chrono::seconds(5);
  timings.pushpull_interval = std::chrono::seconds(60);
  timings.settle_timeout = std::chrono::seconds(1);
  AlertmanagerCluster cluster;
  std::string error;
  ASSERT_TRUE(cluster.Start(2, AlertmanagerConfig(server, "", "1s"), &error, timings)) << error;
  const json alerts =
      json::array({AlertJson(kLabels, kAnnotations, (NowUnixMs() / 1000 - 60) * 1000, kNoTime)});
  ASSERT_TRUE(cluster.node(0).PostAlerts(alerts, &error)) << error;
  ASSERT_TRUE(cluster.node(1).PostAlerts(alerts, &error)) << error;
  ASSERT_TRUE(WaitFor([&] {
    return server.Requests("accepted") + server.Requests("duplicate") >= 4;  // 2 routes x 2 members
  })) << cluster.Logs();
  const std::string am_key = "{}/{}:{alertname=\"WebhookReceiverTest\"}";
  EXPECT_EQ(dispatcher.WithGroupKey(am_key).size(), 1u);
  EXPECT_EQ(server.Requests("duplicate"), 1);
}

}  // namespace
}  // namespace codebot::testing
