// Alertmanager's webhook payload: the real captures of Alertmanager 0.25 (../shared/reference/
// alertmanager-0.25/webhook-*.json, their exact bytes in body_raw) parse into the neutral alert
// model with every field, and every malformed payload is refused with its own precise reason.
#include "exporter/alerts/webhook/payload.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::alerts::webhook {
namespace {

using nlohmann::json;

constexpr int64_t kStartsAt = 1795324023000;       // 2026-11-22T05:07:03Z
constexpr int64_t kResolvedAt = 1795324089000;     // 2026-11-22T05:08:09Z
constexpr int64_t kAfterResolved = 1795324100000;  // 11 s after that

std::string Capture(const std::string& name) {
  const std::string path = testing::SharedDir() + "/reference/alertmanager-0.25/" + name;
  const json capture = json::parse(testing::ReadFile(path));
  return capture.at("body_raw").get<std::string>();
}

ParseOptions At(int64_t now_ms) {
  ParseOptions options;
  options.now_ms = now_ms;
  return options;
}

Payload MustParse(const std::string& body, const ParseOptions& options) {
  ParseError error;
  std::optional<Payload> payload = ParsePayload(body, options, &error);
  EXPECT_TRUE(payload.has_value()) << error.reason;
  return payload.value_or(Payload{});
}

TEST(WebhookPayload, RealFiringCapture) {
  const Payload p = MustParse(Capture("webhook-firing.json"), At(kStartsAt + 60'000));
  EXPECT_EQ(p.receiver, "all");
  EXPECT_EQ(p.status, Status::kFiring);
  EXPECT_EQ(p.group_key, "{}:{alertname=\"HighLatency\"}");
  EXPECT_EQ(p.group_labels, (Labels{{"alertname", "HighLatency"}}));
  EXPECT_EQ(p.common_labels, (Labels{{"alertname", "HighLatency"},
                                     {"service", "checkout-api"},
                                     {"severity", "critical"}}));
  EXPECT_EQ(p.common_annotations,
            (Labels{{"runbook_url", "https://runbooks.example.com/HighLatency"}}));
  EXPECT_EQ(p.external_url, "http://127.0.0.1:19093");
  EXPECT_EQ(p.truncated_alerts, 0);
  ASSERT_EQ(p.alerts.size(), 2u);

  const ReceivedAlert& first = p.alerts[0];
  EXPECT_EQ(first.status, Status::kFiring);
  EXPECT_EQ(first.fingerprint, "31487e94336f858b");
  EXPECT_EQ(first.alert.labels, (Labels{{"alertname", "HighLatency"},
                                        {"instance", "api-1:8080"},
                                        {"service", "checkout-api"},
                                        {"severity", "critical"}}));
  // Go escapes '>' and '&' as \u003e and \u0026; they come back as the characters.
  EXPECT_EQ(first.alert.Annotation("description"),
            "p99 latency is 850ms (> 500ms threshold) on api-1 for 5m");
  EXPECT_EQ(first.alert.Annotation("summary"), "High p99 latency on api-1:8080");
  EXPECT_EQ(first.alert.annotations.size(), 3u);
  EXPECT_EQ(first.alert.starts_at_ms, kStartsAt);
  // Go's zero endsAt of a firing alert: fires until a resolution arrives.
  EXPECT_EQ(first.alert.ends_at_ms, kNoTime);
  EXPECT_FALSE(first.alert.Resolved(kStartsAt + 60'000));
  EXPECT_NE(first.alert.generator_url.find("+%3E+0.5&g0.tab=1"), std::string::npos)
      << first.alert.generator_url;
  EXPECT_EQ(p.alerts[1].fingerprint, "c9c8fd3f792472c8");
  EXPECT_EQ(p.alerts[1].alert.Label("instance"), "api-2:8080");
}

TEST(WebhookPayload, RealResolvedCapture) {
  const Payload p = MustParse(Capture("webhook-resolved.json"), At(kAfterResolved));
  EXPECT_EQ(p.status, Status::kResolved);
  ASSERT_EQ(p.alerts.size(), 2u);
  for (const ReceivedAlert& item : p.alerts) {
    EXPECT_EQ(item.status, Status::kResolved);
    EXPECT_EQ(item.alert.starts_at_ms, kStartsAt);
    EXPECT_EQ(item.alert.ends_at_ms, kResolvedAt);
    EXPECT_TRUE(item.alert.Resolved(kAfterResolved));
  }
  EXPECT_EQ(p.alerts[0].fingerprint, "31487e94336f858b");
}

TEST(WebhookPayload, RealMixedCaptureKeepsEachAlertsStatus) {
  const int64_t now = 1795324300000;  // 2026-11-22T05:11:40Z
  const Payload p = MustParse(Capture("webhook-mixed.json"), At(now));
  EXPECT_EQ(p.status, Status::kFiring);
  ASSERT_EQ(p.alerts.size(), 2u);
  EXPECT_EQ(p.alerts[0].status, Status::kFiring);
  EXPECT_EQ(p.alerts[0].alert.Label("instance"), "redis-1:6379");
  EXPECT_EQ(p.alerts[0].alert.StatusAt(now), Status::kFiring);
  EXPECT_EQ(p.alerts[1].status, Status::kResolved);
  EXPECT_EQ(p.alerts[1].alert.Label("instance"), "redis-2:6379");
  EXPECT_EQ(p.alerts[1].alert.ends_at_ms, 1795324294000);  // 05:11:34Z
  EXPECT_EQ(p.alerts[1].alert.StatusAt(now), Status::kResolved);
  EXPECT_EQ(p.alerts[1].fingerprint, "d28d8cf8790ad272");
}

// Our host's clock may be behind Alertmanager's: its status wins, whatever our clock says.
TEST(WebhookPayload, StatusWinsOverClockSkew) {
  const Payload resolved = MustParse(Capture("webhook-resolved.json"), At(kResolvedAt - 5'000));
  EXPECT_EQ(resolved.alerts[0].alert.ends_at_ms, kResolvedAt - 5'000);
  EXPECT_TRUE(resolved.alerts[0].alert.Resolved(kResolvedAt - 5'000));

  json body = json::parse(Capture("webhook-firing.json"));
  body["alerts"][0]["endsAt"] = "2026-11-22T05:08:10Z";  // a firing alert with a past endsAt
  const Payload firing = MustParse(body.dump(), At(kAfterResolved));
  EXPECT_EQ(firing.alerts[0].alert.ends_at_ms, kNoTime);
  EXPECT_FALSE(firing.alerts[0].alert.Resolved(kAfterResolved));
}

TEST(WebhookPayload, ResolvedWithoutEndsAtEndsWhenReceived) {
  json body = json::parse(Capture("webhook-resolved.json"));
  body["alerts"][0]["endsAt"] = "0001-01-01T00:00:00Z";
  body["alerts"][1].erase("endsAt");
  const Payload p = MustParse(body.dump(), At(kAfterResolved));
  EXPECT_EQ(p.alerts[0].alert.ends_at_ms, kAfterResolved);
  EXPECT_EQ(p.alerts[1].alert.ends_at_ms, kAfterResolved);
}

TEST(WebhookPayload, OptionalFieldsMayBeMissingOrNullAndEmptyLabelsAreNoLabels) {
  const std::string body = R"({"version":"4","status":"firing","receiver":"r","groupKey":"{}:{}",
    "groupLabels":null,"alerts":[{"status":"firing","labels":{"alertname":"A","team":""},
    "startsAt":"2023-04-01T12:00:00.25+02:00","annotations":null,"extra":{"ignored":[1,2]}}]})";
  const Payload p = MustParse(body, At(1'700'000'000'000));
  ASSERT_EQ(p.alerts.size(), 1u);
  EXPECT_EQ(p.alerts[0].alert.labels, (Labels{{"alertname", "A"}}));
  EXPECT_TRUE(p.alerts[0].alert.annotations.empty());
  EXPECT_EQ(p.alerts[0].alert.starts_at_ms, 1680343200250);  // 10:00:00.25Z
  EXPECT_TRUE(p.alerts[0].fingerprint.empty());
  EXPECT_TRUE(p.group_labels.empty());
  EXPECT_TRUE(p.external_url.empty());
}

TEST(WebhookPayload, FiveAlertBenchmarkPayload) {
  const Payload p =
      MustParse(testing::ReadFile(testing::SourceDir() + "/tests/data/webhook/five-alerts.json"),
                At(1795324100000));
  ASSERT_EQ(p.alerts.size(), 5u);
  EXPECT_EQ(p.alerts[2].alert.Label("operation"), "file_save");
  EXPECT_EQ(p.alerts[2].alert.starts_at_ms, kStartsAt + 512);
}

struct Malformed {
  const char* name;
  std::string body;
  std::string reason;  // the whole expected reason, or its start when it ends with "*"
};

// One fault in the real firing capture each: a payload right in every other respect.
std::string Mutated(const std::function<void(json&)>& mutate) {
  json body = json::parse(Capture("webhook-firing.json"));
  mutate(body);
  return body.dump();
}

TEST(WebhookPayload, EveryMalformedPayloadHasItsOwnReason) {
  const std::vector<Malformed> cases = {
      {"empty", "  \n", "body: empty, expected Alertmanager's webhook JSON"},
      {"truncated", R"({"version":"4","status":)",
       "body: not valid JSON at line 1, column 25: syntax error while parsing value - unexpected "
       "end of input; expected '[', '{', or a literal"},
      {"not utf-8", "{\"version\":\"4\",\"receiver\":\"a\xff\xfe\"}",
       "body: not valid JSON at line 1, column 29: syntax error while parsing value - invalid "
       "string: ill-formed UTF-8 byte"},
      {"array", "[1,2]", "body: expected a JSON object, got array"},
      {"duplicate key", R"({"version":"4","version":"4"})", "body: duplicate key \"version\""},
      {"version 3", Mutated([](json& b) { b["version"] = "3"; }),
       "version: expected \"4\", got \"3\""},
      {"version number", Mutated([](json& b) { b["version"] = 4; }),
       "version: expected a string, got number"},
      {"no version", Mutated([](json& b) { b.erase("version"); }), "version: missing"},
      {"bad status", Mutated([](json& b) { b["status"] = "pending"; }),
       "status: expected \"firing\" or \"resolved\", got \"pending\""},
      {"no group key", Mutated([](json& b) { b.erase("groupKey"); }), "groupKey: missing"},
      {"common labels", Mutated([](json& b) { b["commonLabels"] = json::array(); }),
       "commonLabels: expected an object of strings, got array"},
      {"truncated alerts", Mutated([](json& b) { b["truncatedAlerts"] = -1; }),
       "truncatedAlerts: expected a non-negative integer, got -1"},
      {"no alerts", Mutated([](json& b) { b.erase("alerts"); }), "alerts: missing"},
      {"empty alerts", Mutated([](json& b) { b["alerts"] = json::array(); }), "alerts: empty"},
      {"alert not object", Mutated([](json& b) { b["alerts"][1] = "x"; }),
       "alerts[1]: expected an object, got string"},
      {"labels not object", Mutated([](json& b) { b["alerts"][1]["labels"] = "x"; }),
       "alerts[1].labels: expected an object of strings, got string"},
      {"label value", Mutated([](json& b) { b["alerts"][0]["labels"]["instance"] = 8080; }),
       "alerts[0].labels.instance: expected a string, got number"},
      {"label name", Mutated([](json& b) { b["alerts"][0]["labels"]["app-name"] = "x"; }),
       "alerts[0].labels: invalid label name \"app-name\""},
      {"annotation name", Mutated([](json& b) { b["alerts"][0]["annotations"]["0day"] = "x"; }),
       "alerts[0].annotations: invalid label name \"0day\""},
      {"no alertname", Mutated([](json& b) { b["alerts"][0]["labels"].erase("alertname"); }),
       "alerts[0].labels: no alertname"},
      {"startsAt", Mutated([](json& b) { b["alerts"][0]["startsAt"] = "yesterday"; }),
       "alerts[0].startsAt: not RFC 3339: \"yesterday\""},
      {"zero startsAt",
       Mutated([](json& b) { b["alerts"][1]["startsAt"] = "0001-01-01T00:00:00Z"; }),
       "alerts[1].startsAt: Go's zero time: an alert needs a start"},
      {"endsAt type", Mutated([](json& b) { b["alerts"][0]["endsAt"] = 0; }),
       "alerts[0].endsAt: expected an RFC 3339 string, got number"},
      {"endsAt before", Mutated([](json& b) { b["alerts"][0]["endsAt"] = "2026-11-22T05:00:00Z"; }),
       "alerts[0].endsAt: before startsAt"},
      {"fingerprint", Mutated([](json& b) { b["alerts"][1]["fingerprint"] = "C9C8FD3F"; }),
       "alerts[1].fingerprint: expected 16 lower-case hex digits, got \"C9C8FD3F\""},
      {"alert status", Mutated([](json& b) { b["alerts"][0]["status"] = true; }),
       "alerts[0].status: expected a string, got boolean"},
      {"inconsistent status", Mutated([](json& b) { b["status"] = "resolved"; }),
       "status: \"resolved\" but an alert is firing"},
      {"too deep", std::string(100'000, '['), "body: JSON nested deeper than 16 levels"},
  };
  std::set<std::string> reasons;
  for (const Malformed& c : cases) {
    ParseError error;
    EXPECT_FALSE(ParsePayload(c.body, At(kAfterResolved), &error).has_value()) << c.name;
    EXPECT_EQ(error.kind, ParseError::Kind::kInvalid) << c.name;
    EXPECT_EQ(error.reason, c.reason) << c.name;
    reasons.insert(error.reason);
  }
  EXPECT_EQ(reasons.size(), cases.size()) << "two cases share a reason";
}

TEST(WebhookPayload, MoreAlertsThanTheLimitIsTooLarge) {
  json body = json::parse(Capture("webhook-firing.json"));
  ParseOptions options = At(kAfterResolved);
  options.max_alerts = 2;
  ParseError error;
  EXPECT_TRUE(ParsePayload(body.dump(), options, &error).has_value()) << error.reason;
  body["alerts"].push_back(body["alerts"][0]);
  EXPECT_FALSE(ParsePayload(body.dump(), options, &error).has_value());
  EXPECT_EQ(error.kind, ParseError::Kind::kTooLarge);
  EXPECT_EQ(error.reason, "alerts: 3 alerts, more than the limit of 2");
}

// A body may carry secrets (annotations quoting a token): an error text quotes at most a short
// piece of a value, and never the raw bytes nlohmann's messages would quote.
TEST(WebhookPayload, ErrorsQuoteNoMoreThanAShortPieceOfTheBody) {
  const std::string token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
  ParseError error;
  ParsePayload(R"({"version":"4","note":")" + token, At(0), &error);
  EXPECT_EQ(error.reason.find("ghp_"), std::string::npos) << error.reason;
  EXPECT_NE(error.reason.find("line 1, column"), std::string::npos) << error.reason;

  const std::string long_value = "2026-11-22 " + std::string(500, 'x') + token;
  ParsePayload(Mutated([&](json& b) { b["alerts"][0]["startsAt"] = long_value; }), At(0), &error);
  EXPECT_EQ(error.reason.find("ghp_"), std::string::npos) << error.reason;
  EXPECT_LT(error.reason.size(), 100u) << error.reason;
  EXPECT_EQ(error.reason.rfind("alerts[0].startsAt: not RFC 3339: \"2026-11-22 xxx", 0), 0u)
      << error.reason;
}

// A quoted value is cut at a character boundary, so an error text stays valid UTF-8.
TEST(WebhookPayload, QuotedValuesAreCutBetweenCharacters) {
  const std::string value = std::string(39, 'a') + "\xc3\xa9" + std::string(10, 'b');  // é at 39
  ParseError error;
  ParsePayload(Mutated([&](json& b) { b["version"] = value; }), At(0), &error);
  EXPECT_EQ(error.reason, "version: expected \"4\", got \"" + std::string(39, 'a') + "...\"");
}

}  // namespace
}  // namespace codebot::alerts::webhook
