// Webhook: the body is Alertmanager 0.25's webhook payload byte for byte (checked against the real
// captures in ../shared/reference/alertmanager-0.25/webhook-*.json: same keys in the same order,
// same shapes, Go's escaping, the zero endsAt of firing alerts, the trailing newline) plus the
// `enrichment` object per alert; max_alerts truncates as Alertmanager does; the verdicts on the
// receiver's answers (429 honours Retry-After, unlike Alertmanager); the URL, which may carry a
// token, never reaches an error or a log line.
#include "exporter/notify/webhook/webhook.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "tests/support/env.h"
#include "tests/support/fake_apis.h"
#include "tests/support/process.h"

namespace codebot::notify::webhook {
namespace {

using nlohmann::json;
using testing::FakeWebhook;

const std::string kEmptyEnrichment =
    R"(,"enrichment":{"summary":"","actions":[],"runbook_url":"","affected_services":[],"dashboards":[]})";

class MapState : public SharedState {
 public:
  std::optional<std::string> Get(const std::string& key) const override {
    const auto it = values_.find(key);
    return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void Set(const std::string& key, std::string value) override { values_[key] = std::move(value); }
  void Erase(const std::string& key) override { values_.erase(key); }

 private:
  std::map<std::string, std::string> values_;
};

json Capture(const std::string& name) {
  return json::parse(
      testing::ReadFile(testing::SharedDir() + "/reference/alertmanager-0.25/" + name));
}

Labels ToLabels(const json& object) {
  Labels labels;
  for (const auto& [name, value] : object.items()) labels.push_back({name, value});
  return labels;  // nlohmann's object iterates in sorted key order
}

// The notification Alertmanager had when it sent the captured body.
alerts::Notification FromCapture(const json& body) {
  alerts::Notification n;
  n.id = "capture";
  n.receiver = body["receiver"];
  n.group_key = body["groupKey"];
  n.group_labels = ToLabels(body["groupLabels"]);
  n.common_labels = ToLabels(body["commonLabels"]);
  n.common_annotations = ToLabels(body["commonAnnotations"]);
  n.external_url = body["externalURL"];
  n.truncated_alerts = body["truncatedAlerts"];
  for (const auto& a : body["alerts"]) {
    alerts::NotifiedAlert notified;
    notified.alert.labels = ToLabels(a["labels"]);
    notified.alert.annotations = ToLabels(a["annotations"]);
    notified.alert.starts_at_ms = *ParseRfc3339(a["startsAt"].get<std::string>());
    notified.alert.ends_at_ms = *ParseRfc3339(a["endsAt"].get<std::string>());
    notified.alert.generator_url = a["generatorURL"];
    notified.status =
        a["status"] == "resolved" ? alerts::Status::kResolved : alerts::Status::kFiring;
    n.alerts.push_back(notified);
  }
  return n;
}

alerts::Enrichment Playbook() {
  alerts::Enrichment e;
  e.summary = "Checkout answers slowly: users abandon carts.";
  e.actions = {"Open the latency dashboard", "If a deploy started it, roll back"};
  e.runbook_url = "https://runbooks.example.com/HighLatency";
  e.affected_services = {"checkout", "payments"};
  e.dashboards = {{"Checkout latency",
                   "https://grafana.example.com/d/latency?from=1795323723000&to=1795324323000"}};
  return e;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

// The shapes of two JSON values agree: same keys in the same order, same types, recursively.
void ExpectSameShape(const nlohmann::ordered_json& ours, const nlohmann::ordered_json& theirs,
                     const std::string& where) {
  ASSERT_EQ(ours.type_name(), std::string(theirs.type_name())) << where;
  if (theirs.is_object()) {
    std::vector<std::string> our_keys, their_keys;
    for (const auto& [key, value] : ours.items()) {
      if (key != "enrichment") our_keys.push_back(key);
    }
    for (const auto& [key, value] : theirs.items()) their_keys.push_back(key);
    if (where.ends_with("Labels") || where.ends_with("Annotations") || where.ends_with("labels") ||
        where.ends_with("annotations")) {
      EXPECT_EQ(ours, theirs) << where;
      return;
    }
    ASSERT_EQ(our_keys, their_keys) << where;
    for (const auto& key : their_keys) {
      std::string inner = where;
      inner.append(".").append(key);
      ExpectSameShape(ours[key], theirs[key], inner);
    }
  } else if (theirs.is_array()) {
    ASSERT_EQ(ours.size(), theirs.size()) << where;
    for (size_t i = 0; i < theirs.size(); ++i) {
      ExpectSameShape(ours[i], theirs[i], where + "[" + std::to_string(i) + "]");
    }
  }
}

Deadline Soon() { return SteadyClock::now() + std::chrono::seconds(10); }

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }
  config::WebhookConfig Config() const {
    config::WebhookConfig config;
    config.url.inline_value = fake_.Url();
    return config;
  }
  alerts::Notification Firing() const {
    alerts::Notification n = FromCapture(Capture("webhook-firing.json")["body"]);
    for (auto& a : n.alerts) a.enrichment = Playbook();
    return n;
  }
  FakeWebhook fake_{"/hooks/alerts/Tk9sZWFrLXRva2VuLTQy"};
  EntryState state_;
  MapState shared_;
};

// Byte for byte what Alertmanager sent, once our fingerprints are put in place of its own and
// the enrichment (empty here) is taken out.
TEST(WebhookPayload, SameBytesAsAlertmanager) {
  for (const std::string name :
       {"webhook-firing.json", "webhook-resolved.json", "webhook-mixed.json"}) {
    const json capture = Capture(name);
    const alerts::Notification n = FromCapture(capture["body"]);
    const std::string ours = RenderPayload(n, config::WebhookConfig{}, "");
    std::string expected = capture["body_raw"];
    for (size_t i = 0; i < n.alerts.size(); ++i) {
      expected = ReplaceAll(
          expected,
          "\"fingerprint\":\"" + capture["body"]["alerts"][i]["fingerprint"].get<std::string>() +
              "\"",
          "\"fingerprint\":\"" + alerts::FingerprintHex(n.alerts[i].alert.Fingerprint()) + "\"");
    }
    EXPECT_EQ(ReplaceAll(ours, kEmptyEnrichment, ""), expected) << name;
    EXPECT_TRUE(ours.ends_with("}\n"));
    EXPECT_NE(ours.find("\\u0026g0.tab=1"), std::string::npos);
  }
}

TEST(WebhookPayload, FieldByFieldLikeTheCaptureWithEnrichment) {
  const json capture = Capture("webhook-firing.json");
  alerts::Notification n = FromCapture(capture["body"]);
  for (auto& a : n.alerts) a.enrichment = Playbook();
  const std::string body = RenderPayload(n, config::WebhookConfig{}, "");
  const auto ours = nlohmann::ordered_json::parse(body);
  const auto theirs = nlohmann::ordered_json::parse(capture["body_raw"].get<std::string>());
  ExpectSameShape(ours, theirs, "body");
  for (size_t i = 0; i < 2; ++i) {
    const auto& alert = ours["alerts"][i];
    EXPECT_EQ(alert["endsAt"], "0001-01-01T00:00:00Z");
    EXPECT_EQ(alert["startsAt"], theirs["alerts"][i]["startsAt"]);
    EXPECT_EQ(alert["generatorURL"], theirs["alerts"][i]["generatorURL"]);
    EXPECT_EQ(alert["fingerprint"].get<std::string>().size(), 16u);
    const auto& e = alert["enrichment"];
    EXPECT_EQ(e["summary"], "Checkout answers slowly: users abandon carts.");
    EXPECT_EQ(e["actions"], (nlohmann::ordered_json{"Open the latency dashboard",
                                                    "If a deploy started it, roll back"}));
    EXPECT_EQ(e["runbook_url"], "https://runbooks.example.com/HighLatency");
    EXPECT_EQ(e["affected_services"], (nlohmann::ordered_json{"checkout", "payments"}));
    EXPECT_EQ(e["dashboards"][0]["title"], "Checkout latency");
  }
  // The grafana link's '&' is escaped the Go way too.
  EXPECT_NE(body.find("from=1795323723000\\u0026to="), std::string::npos);
}

TEST(WebhookPayload, GoldenFiringAndResolved) {
  for (const auto& [capture, golden] : std::vector<std::pair<std::string, std::string>>{
           {"webhook-firing.json", "webhook-firing.json"},
           {"webhook-resolved.json", "webhook-resolved.json"}}) {
    alerts::Notification n = FromCapture(Capture(capture)["body"]);
    for (auto& a : n.alerts) a.enrichment = Playbook();
    const std::string body = RenderPayload(n, config::WebhookConfig{}, "");
    EXPECT_NE(body.find("(\\u003e 500ms threshold)"), std::string::npos);
    const std::string path = testing::SourceDir() + "/tests/data/notify/" + golden;
    if (std::getenv("CODEBOT_UPDATE_GOLDEN") != nullptr) testing::WriteFile(path, body);
    EXPECT_EQ(body, testing::ReadFile(path)) << golden;  // exact bytes: escaping is the point
  }
}

TEST(WebhookPayload, GoEscaping) {
  std::string out;
  AppendGoJsonString(out, "a\"b\\c\nd\re\tf\x01g\bh\fi<j>k&l\u2028m\u2029n\xffo é 😀");
  EXPECT_EQ(
      out,
      R"("a\"b\\c\nd\re\tf\u0001g\u0008h\u000ci\u003cj\u003ek\u0026l\u2028m\u2029n\ufffdo é 😀")");
}

TEST(WebhookPayload, EmptyMapsAreObjects) {
  alerts::Notification n;
  n.receiver = "r";
  n.group_key = "{}:{}";
  alerts::NotifiedAlert a;
  a.alert.labels = {{"alertname", "X"}};
  n.alerts.push_back(a);
  const json body = json::parse(RenderPayload(n, config::WebhookConfig{}, "http://me:9877"));
  EXPECT_TRUE(body["groupLabels"].is_object());
  EXPECT_TRUE(body["commonAnnotations"].is_object());
  EXPECT_TRUE(body["alerts"][0]["annotations"].is_object());
  EXPECT_EQ(body["alerts"][0]["startsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(body["externalURL"], "http://me:9877");  // the notification had none
}

TEST(WebhookPayload, MaxAlertsTruncatesLikeAlertmanager) {
  alerts::Notification n = FromCapture(Capture("webhook-mixed.json")["body"]);
  // firing redis-1, resolved redis-2; add a third, firing, with other labels.
  alerts::NotifiedAlert third = n.alerts[0];
  third.alert.labels = {{"alertname", "InstanceDown"}, {"instance", "redis-3:6379"}};
  third.alert.annotations = {{"summary", "redis-3 is down"}};
  n.alerts.insert(n.alerts.begin() + 1, third);
  n.common_labels = {{"alertname", "InstanceDown"}};
  n.common_annotations = {};
  config::WebhookConfig config;
  config.max_alerts = 1;
  json body = json::parse(RenderPayload(n, config, ""));
  ASSERT_EQ(body["alerts"].size(), 1u);
  EXPECT_EQ(body["truncatedAlerts"], 2);
  EXPECT_EQ(body["status"], "firing");
  // Common labels of what was sent: all of the one alert's.
  EXPECT_EQ(body["commonLabels"], body["alerts"][0]["labels"]);
  EXPECT_EQ(body["commonAnnotations"], body["alerts"][0]["annotations"]);
  config.max_alerts = 2;
  body = json::parse(RenderPayload(n, config, ""));
  EXPECT_EQ(body["truncatedAlerts"], 1);
  EXPECT_EQ(body["commonLabels"], (json{{"alertname", "InstanceDown"}}));
  config.max_alerts = 0;
  body = json::parse(RenderPayload(n, config, ""));
  EXPECT_EQ(body["alerts"].size(), 3u);
  EXPECT_EQ(body["truncatedAlerts"], 0);
}

TEST_F(WebhookTest, DeliversTheBody) {
  auto notifier = NewNotifier(Config(), "http://sidecar:9877");
  const Attempt attempt = notifier->Notify(Firing(), state_, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{""}));
  ASSERT_EQ(fake_.Bodies().size(), 1u);
  EXPECT_EQ(fake_.Bodies()[0], RenderPayload(Firing(), Config(), "http://sidecar:9877"));
  EXPECT_EQ(fake_.Requests()[0].Header("Content-Type"), "application/json");
}

TEST_F(WebhookTest, Verdicts) {
  auto notifier = NewNotifier(Config(), "");
  struct Case {
    int status;
    std::string body;
    std::string retry_after;
    Outcome outcome;
    std::string_view reason;
    std::optional<std::chrono::milliseconds> wait;
  };
  const std::vector<Case> cases = {
      {204, "", "", Outcome::kDelivered, "", std::nullopt},
      {429, "slow down", "5", Outcome::kRetry, kReasonRateLimited, std::chrono::seconds(5)},
      {429, "slow down", "", Outcome::kRetry, kReasonRateLimited, std::nullopt},
      {503, "unavailable", "", Outcome::kRetry, kReasonServerError, std::nullopt},
      {500, "boom", "2", Outcome::kRetry, kReasonServerError, std::chrono::seconds(2)},
      {400, "bad payload", "", Outcome::kFailed, kReasonClientError, std::nullopt},
      {404, "nope", "", Outcome::kFailed, kReasonClientError, std::nullopt},
      {301, "", "", Outcome::kFailed, kReasonClientError, std::nullopt},
  };
  for (const auto& c : cases) {
    fake_.FailNext(1, c.status, c.body, c.retry_after);
    const Attempt attempt = notifier->Notify(Firing(), state_, shared_, Soon());
    EXPECT_EQ(attempt.outcome, c.outcome) << c.status;
    EXPECT_EQ(attempt.reason, c.reason) << c.status;
    EXPECT_EQ(attempt.retry_after, c.wait) << c.status;
    if (c.outcome != Outcome::kDelivered) {
      EXPECT_EQ(attempt.error, "HTTP " + std::to_string(c.status) + ": " +
                                   (c.body.empty() ? "(empty body)" : c.body));
    }
  }
  EXPECT_TRUE(fake_.Bodies().empty());
}

TEST_F(WebhookTest, RetryAfterAsAnHttpDate) {
  auto notifier = NewNotifier(Config(), "");
  const std::time_t at = std::time(nullptr) + 120;
  std::tm tm{};
  gmtime_r(&at, &tm);
  char date[64];
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  fake_.FailNext(1, 429, "later", date);
  const Attempt attempt = notifier->Notify(Firing(), state_, shared_, Soon());
  ASSERT_TRUE(attempt.retry_after.has_value()) << date;
  EXPECT_GT(*attempt.retry_after, std::chrono::seconds(100));
  EXPECT_LE(*attempt.retry_after, std::chrono::seconds(120));
  fake_.FailNext(1, 429, "later", "Sun, 06 Nov 1994 08:49:37 GMT");  // in the past: now
  EXPECT_EQ(notifier->Notify(Firing(), state_, shared_, Soon()).retry_after,
            std::chrono::milliseconds(0));
}

TEST_F(WebhookTest, TransportFailuresRetry) {
  config::WebhookConfig config;
  config.url.inline_value = "http://127.0.0.1:1/hooks/x";
  const Attempt attempt = NewNotifier(config, "")->Notify(Firing(), state_, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonConnect);
  const Attempt late =
      NewNotifier(Config(), "")
          ->Notify(Firing(), state_, shared_, SteadyClock::now() - std::chrono::seconds(1));
  EXPECT_EQ(late.reason, kReasonTimeout);
  EXPECT_EQ(fake_.RequestCount(), 0u);
}

TEST_F(WebhookTest, UrlTokenNeverLeaks) {
  const std::string token = "Tk9sZWFrLXRva2VuLTQy";
  std::vector<std::string> lines;
  log::SetCaptureForTesting([&](std::string_view line) { lines.emplace_back(line); });
  std::vector<Attempt> attempts;
  auto notifier = NewNotifier(Config(), "");
  alerts::Notification n = Firing();
  n.alerts[0].alert.annotations[0].value = "posted to " + fake_.Url();
  fake_.FailNext(1, 503, "unavailable: " + fake_.Url());
  attempts.push_back(notifier->Notify(n, state_, shared_, Soon()));
  fake_.FailNext(1, 400, "no such hook " + token);
  attempts.push_back(notifier->Notify(n, state_, shared_, Soon()));
  config::WebhookConfig refused;
  refused.url.inline_value = "http://127.0.0.1:1/hooks/alerts/" + token;
  attempts.push_back(NewNotifier(refused, "")->Notify(n, state_, shared_, Soon()));
  config::WebhookConfig wrong_path;
  wrong_path.url.inline_value = fake_.Url() + "/more";
  attempts.push_back(NewNotifier(wrong_path, "")->Notify(n, state_, shared_, Soon()));
  attempts.push_back(notifier->Notify(n, state_, shared_, Soon()));
  log::SetCaptureForTesting(nullptr);

  EXPECT_EQ(attempts.back().outcome, Outcome::kDelivered);
  for (const auto& attempt : attempts) {
    EXPECT_EQ(attempt.error.find(token), std::string::npos) << attempt.error;
  }
  for (const auto& line : lines) EXPECT_EQ(line.find(token), std::string::npos) << line;
  ASSERT_EQ(fake_.Bodies().size(), 1u);
  EXPECT_EQ(fake_.Bodies()[0].find(token), std::string::npos);
}

}  // namespace
}  // namespace codebot::notify::webhook
