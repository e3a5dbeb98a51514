// The webhook receiver's routes, in process and over loopback, with a recording AlertReceiver
// in place of the dispatcher: malformed payloads get 400 with the reason and nothing handed over
// (and no body in the log), 413 over the body and alert limits, 404 for an unknown receiver or no
// route tree, 415 for other content types, 503 when the hand-over fails (and the retry goes
// through), the dispatcher's duplicate verdict a counted success, Alertmanager's grouping and
// order kept for a receiver, every metric present from the start.
#include "exporter/alerts/webhook/receiver.h"
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
#include "exporter/alerts/webhook/payload.h"
#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "exporter/http/auth.h"
#include "exporter/http/server.h"
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

// An HTTP server with the receiver's routes.
class ReceiverServer {
 public:
  // receiver: what the routes hand over to; nullptr: the server's RecordingReceiver.
  explicit ReceiverServer(size_t max_body_bytes = 256 << 10,
                          std::function<int64_t()> now_ms = nullptr,
                          alerts::webhook::AlertReceiver* receiver = nullptr)
      : server_(http::ServerOptions{"127.0.0.1:0", 4, max_body_bytes, 10000}) {
    alerts::webhook::Options options;
    options.receiver = receiver != nullptr ? receiver : &receiver_;
    options.registry = &registry_;
    options.credentials = [this] {
      std::lock_guard lock(mutex_);
      return credentials_;
    };
    options.now_ms = std::move(now_ms);
    alerts::webhook::RegisterRoutes(server_, std::move(options));
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
  http::Response Dispatch(http::Request& request) const { return server_.Dispatch(request); }
  // In-process request, no socket: for the cases that need no Alertmanager.
  http::Response Post(const std::string& path, const std::string& body,
                      const std::string& content_type = "application/json",
                      const std::string& authorization = "") {
    http::Request request;
    request.method = "POST";
    request.path = path;
    request.body = body;
    request.id = "test-" + std::to_string(++requests_);
    if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
    if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
    return server_.Dispatch(request);
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
  int requests_ = 0;
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

// Ten ways to get the payload wrong, sent over HTTP as a client would: 400 each with the reason in
// Alertmanager's error shape, nothing handed over, one log line each (request id and reason,
// never the body).
TEST(WebhookReceiver, MalformedPayloadsGet400AndNothingIsHandedOver) {
  LogCapture logs;
  ReceiverServer server;
  server.Start();
  const std::string secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
  auto mutate = [](const std::function<void(json&)>& change) {
    json body = json::parse(Capture("webhook-firing.json"));
    change(body);
    return body.dump();
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"version\":\"4\",", "body: not valid JSON at line 1"},
      {"[]", "body: expected a JSON object, got array"},
      {mutate([](json& b) { b["version"] = "3"; }), "version: expected \"4\", got \"3\""},
      {mutate([](json& b) { b["status"] = "pending"; }),
       "status: expected \"firing\" or \"resolved\", got \"pending\""},
      {mutate([](json& b) { b["alerts"] = json::array(); }), "alerts: empty"},
      {mutate([](json& b) { b["alerts"][1]["labels"] = json::array(); }),
       "alerts[1].labels: expected an object of strings, got array"},
      {mutate([](json& b) { b["alerts"][0]["labels"]["bad-name"] = "x"; }),
       "alerts[0].labels: invalid label name \"bad-name\""},
      {mutate([](json& b) { b["alerts"][0]["labels"].erase("alertname"); }),
       "alerts[0].labels: no alertname"},
      // The one bad alert is the last: the first, valid one must not be handed over either.
      {mutate([&](json& b) {
         b["alerts"][0]["annotations"]["token"] = secret;
         b["alerts"][1]["startsAt"] = "2026-13-01T00:00:00Z";
       }),
       "alerts[1].startsAt: not RFC 3339: \"2026-13-01T00:00:00Z\""},
      {mutate([](json& b) { b["status"] = "resolved"; }),
       "status: \"resolved\" but an alert is firing"},
  };
  for (const auto& [body, reason] : cases) {
    for (const std::string path : {"/alertmanager", "/alertmanager/oncall"}) {
      auto response = HttpPost(server.Url(path), body);
      ASSERT_TRUE(response.transport_ok());
      EXPECT_EQ(response.status, 400) << path << " " << reason;
      const json answer = json::parse(response.body, nullptr, false);
      ASSERT_TRUE(answer.is_object()) << response.body;
      EXPECT_EQ(answer.value("status", ""), "error");
      EXPECT_EQ(answer.value("error", "").rfind(reason, 0), 0u) << answer.dump();
      EXPECT_EQ(response.body.find("ghp_"), std::string::npos);
    }
  }
  EXPECT_EQ(server.receiver().HandedOver(), 0u);
  EXPECT_EQ(server.Requests("invalid"), 2.0 * static_cast<double>(cases.size()));
  EXPECT_EQ(server.Requests("accepted"), 0);
  EXPECT_EQ(server.Received("firing"), 0);

  size_t rejected_lines = 0;
  for (const std::string& line : logs.Lines()) {
    if (line.find("webhook request rejected") == std::string::npos) continue;
    ++rejected_lines;
    EXPECT_NE(line.find("request_id"), std::string::npos) << line;
    EXPECT_NE(line.find("reason"), std::string::npos) << line;
  }
  EXPECT_EQ(rejected_lines, 2 * cases.size());
  EXPECT_EQ(logs.All().find("ghp_"), std::string::npos);
  EXPECT_EQ(logs.All().find("High p99 latency"), std::string::npos) << "a body reached the log";
}

TEST(WebhookReceiver, BodyOverTheLimitGets413) {
  ReceiverServer server(64 << 10);
  server.Start();
  json body = json::parse(Capture("webhook-firing.json"));
  body["alerts"][0]["annotations"]["description"] = std::string(70 << 10, 'x');
  auto response = HttpPost(server.Url("/alertmanager/oncall"), body.dump());
  ASSERT_TRUE(response.transport_ok()) << response.error_message;
  EXPECT_EQ(response.status, 413);
  EXPECT_NE(response.body.find("request body larger than 65536 bytes"), std::string::npos)
      << response.body;
  EXPECT_EQ(server.receiver().HandedOver(), 0u);
  // Just under the limit is fine.
  body["alerts"][0]["annotations"]["description"] = std::string(60 << 10, 'x');
  response = HttpPost(server.Url("/alertmanager/oncall"), body.dump());
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "{\"status\":\"success\"}\n");
}

TEST(WebhookReceiver, UnknownReceiverGets404) {
  ReceiverServer server;
  auto response = server.Post("/alertmanager/nobody", Capture("webhook-firing.json"));
  EXPECT_EQ(response.status, 404);
  EXPECT_NE(response.body.find("unknown receiver \\\"nobody\\\""), std::string::npos)
      << response.body;
  EXPECT_EQ(server.Post("/alertmanager/", Capture("webhook-firing.json")).status, 404);
  EXPECT_EQ(server.Requests("unknown_receiver"), 2);
  EXPECT_EQ(server.receiver().HandedOver(), 0u);
}

TEST(WebhookReceiver, ContentTypeMustBeJsonOrAbsent) {
  ReceiverServer server;
  const std::string body = Capture("webhook-firing.json");
  EXPECT_EQ(server.Post("/alertmanager", body, "application/x-www-form-urlencoded").status, 415);
  EXPECT_EQ(server.Post("/alertmanager", body, "text/plain").status, 415);
  EXPECT_EQ(server.Requests("unsupported_media_type"), 2);
  EXPECT_EQ(server.receiver().HandedOver(), 0u);
  EXPECT_EQ(server.Post("/alertmanager", body, "application/json; charset=utf-8").status, 200);
  EXPECT_EQ(server.Post("/alertmanager", body, "Application/JSON").status, 200);
  EXPECT_EQ(server.Post("/alertmanager", body, "").status, 200);
  EXPECT_EQ(server.Requests("accepted"), 3);
  EXPECT_EQ(server.Received("firing"), 6);  // 2 alerts each time
}

TEST(WebhookReceiver, OnlyPostIsAllowed) {
  ReceiverServer server;
  http::Request request;
  request.method = "GET";
  request.path = "/alertmanager/oncall";
  EXPECT_EQ(server.Dispatch(request).status, 405);
}

TEST(WebhookReceiver, TooManyAlertsGet413WithTheCount) {
  ReceiverServer server;
  json body = json::parse(Capture("webhook-firing.json"));
  const json alert = body["alerts"][0];
  body["alerts"] = json::array();
  for (int i = 0; i < 10001; ++i) {
    json copy = alert;
    copy["labels"]["instance"] = "api-" + std::to_string(i);
    copy.erase("fingerprint");
    body["alerts"].push_back(copy);
  }
  const auto response = server.Post("/alertmanager", body.dump());
  EXPECT_EQ(response.status, 413);
  EXPECT_NE(response.body.find("alerts: 10001 alerts, more than the limit of 10000"),
            std::string::npos)
      << response.body;
  EXPECT_EQ(server.Requests("too_large"), 1);
  EXPECT_EQ(server.receiver().HandedOver(), 0u);
}

TEST(WebhookReceiver, DirectGroupKeepsAlertmanagersGroupingAndOrder) {
  ReceiverServer server(256 << 10, [] { return int64_t{1795324300000}; });
  ASSERT_EQ(server.Post("/alertmanager/oncall", Capture("webhook-mixed.json")).status, 200);
  const auto direct = server.receiver().direct();
  ASSERT_EQ(direct.size(), 1u);
  const Notification& n = direct[0];
  EXPECT_EQ(n.receiver, "oncall");
  EXPECT_EQ(n.group_key, "{}:{alertname=\"InstanceDown\"}");
  EXPECT_EQ(n.group_labels, (Labels{{"alertname", "InstanceDown"}}));
  EXPECT_EQ(n.external_url, "http://127.0.0.1:19093");
  EXPECT_EQ(n.created_ms, 1795324300000);
  EXPECT_EQ(n.GroupStatus(), Status::kFiring);
  ASSERT_EQ(n.alerts.size(), 2u);
  EXPECT_EQ(n.alerts[0].status, Status::kFiring);  // firing first
  EXPECT_EQ(n.alerts[0].alert.Label("instance"), "redis-1:6379");
  EXPECT_EQ(n.alerts[1].status, Status::kResolved);
  EXPECT_EQ(n.alerts[1].alert.ends_at_ms, 1795324294000);
  EXPECT_EQ(server.Received("firing"), 1);
  EXPECT_EQ(server.Received("resolved"), 1);
}

// The dispatcher's dedup stage decides what a retried POST is; its "nothing new" verdict is a
// success for Alertmanager (no retry) and counted apart.
TEST(WebhookReceiver, DuplicateVerdictIsASuccessCountedApart) {
  ReceiverServer server;
  server.receiver().AnswerDuplicate(true);
  const auto response = server.Post("/alertmanager/oncall", Capture("webhook-firing.json"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{\"status\":\"success\"}\n");
  EXPECT_EQ(server.Requests("duplicate"), 1);
  EXPECT_EQ(server.Requests("accepted"), 0);
  EXPECT_EQ(server.Received("firing"), 2);
}

TEST(WebhookReceiver, NoRouteTreeGets404) {
  ReceiverServer server;
  server.receiver().SetHasRoute(false);
  const auto response = server.Post("/alertmanager", Capture("webhook-firing.json"));
  EXPECT_EQ(response.status, 404);
  EXPECT_NE(response.body.find("no route tree configured: post to /alertmanager/<receiver>"),
            std::string::npos)
      << response.body;
  EXPECT_EQ(server.Requests("no_route"), 1);
  // Straight to a receiver still works.
  EXPECT_EQ(server.Post("/alertmanager/oncall", Capture("webhook-firing.json")).status, 200);
}

// Nothing is lost when the hand-over fails: 503 (Alertmanager retries 5xx), and the retry is
// not mistaken for a duplicate.
TEST(WebhookReceiver, UnavailableGets503AndTheRetryGoesThrough) {
  ReceiverServer server;
  server.receiver().RefuseNext(2);
  const std::string body = Capture("webhook-firing.json");
  auto response = server.Post("/alertmanager/oncall", body);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(server.Post("/alertmanager", body).status, 503);
  EXPECT_EQ(server.Requests("unavailable"), 2);
  EXPECT_EQ(server.Post("/alertmanager/oncall", body).status, 200);
  EXPECT_EQ(server.Post("/alertmanager", body).status, 200);
  EXPECT_EQ(server.receiver().direct().size(), 1u);
  EXPECT_EQ(server.receiver().routed().size(), 1u);
  EXPECT_EQ(server.Received("firing"), 4);
}

// Authentication comes first: without valid credentials nothing about the payload or the
// receivers is revealed, and the refusal is counted.
TEST(WebhookReceiver, CredentialsAreCheckedFirstAndOnEveryRequest) {
  ReceiverServer server;
  auto token = std::make_shared<std::string>("first-s3cret-token");
  http::Credentials credentials;
  credentials.bearer_token = [token] { return std::optional<std::string>(*token); };
  server.SetCredentials(credentials);
  const std::string body = Capture("webhook-firing.json");
  auto response = server.Post("/alertmanager/nobody", "not json");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(server.Post("/alertmanager/oncall", body, "application/json", "Basic eDp5").status,
            401);
  EXPECT_EQ(
      server.Post("/alertmanager/oncall", body, "application/json", "Bearer first-s3cret-token")
          .status,
      200);
  *token = "rotated-s3cret-token";  // a rotated secret file applies at once
  EXPECT_EQ(
      server.Post("/alertmanager/oncall", body, "application/json", "Bearer first-s3cret-token")
          .status,
      401);
  EXPECT_EQ(
      server.Post("/alertmanager", body, "application/json", "Bearer rotated-s3cret-token").status,
      200);
  EXPECT_EQ(server.Requests("unauthorized"), 3);
  EXPECT_EQ(server.Requests("invalid"), 0);
  EXPECT_EQ(server.Requests("unknown_receiver"), 0);
  EXPECT_EQ(server.Requests("accepted"), 2);
}

TEST(WebhookReceiver, MetricsExistBeforeTheFirstRequest) {
  ReceiverServer server;
  for (const char* outcome :
       {"accepted", "duplicate", "invalid", "too_large", "unsupported_media_type", "unauthorized",
        "unknown_receiver", "unavailable"}) {
    EXPECT_EQ(server.Requests(outcome), 0) << outcome;
  }
  EXPECT_EQ(server.Received("firing"), 0);
  EXPECT_EQ(server.Received("resolved"), 0);
}

}  // namespace
}  // namespace codebot::testing
