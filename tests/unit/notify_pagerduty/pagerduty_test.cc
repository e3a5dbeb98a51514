// PagerDuty Events API v2: the events a notification becomes (golden bodies for firing, resolved
// and per-group), severity from the alert's label, the summary cut at 1024 characters on a UTF-8
// boundary, the 512 KB cap, and the verdicts against a fake that validates like PagerDuty and
// keeps incidents by dedup_key: the resolve closes the incident the trigger opened, a 400 is final
// and sent once, a retry after a partial failure sends only what was not accepted. The routing
// key never reaches an error, a log line or any field but routing_key.
#include "exporter/notify/pagerduty/pagerduty.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "exporter/core/log.h"
#include "exporter/core/sha256.h"
#include "exporter/core/time.h"
#include "exporter/core/utf8.h"
#include "tests/support/env.h"
#include "tests/support/fake_apis.h"
#include "tests/support/process.h"

namespace codebot::notify::pagerduty {
namespace {

using nlohmann::json;
using testing::FakePagerDuty;

const std::string kRoutingKey = "e93facc04764012d7bfb002500d5d1a6";  // 32 characters
const int64_t kStartsAt = *ParseRfc3339("2026-11-22T05:07:03Z");
const int64_t kEndsAt = *ParseRfc3339("2026-11-22T05:19:33Z");

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

alerts::NotifiedAlert LatencyAlert(const std::string& instance, alerts::Status status,
                                   const std::string& severity = "critical") {
  alerts::NotifiedAlert n;
  n.alert.labels = {{"alertname", "HighLatency"},
                    {"instance", instance},
                    {"service", "checkout-api"},
                    {"severity", severity}};
  n.alert.annotations = {
      {"description", "p99 latency is 850ms (> 500ms threshold) on " + instance + " for 5m"},
      {"runbook_url", "https://runbooks.example.com/HighLatency"},
      {"summary", "High p99 latency on " + instance}};
  n.alert.starts_at_ms = kStartsAt;
  n.alert.ends_at_ms = status == alerts::Status::kResolved ? kEndsAt : kNoTime;
  n.alert.generator_url = "http://prometheus.example:9090/graph?g0.expr=up&g0.tab=1";
  n.status = status;
  n.enrichment.summary = "Checkout answers slowly: users abandon carts.";
  n.enrichment.actions = {"Open the latency dashboard and find the slow route",
                          "If a deploy started it, roll back"};
  n.enrichment.runbook_url = "https://runbooks.example.com/HighLatency";
  n.enrichment.affected_services = {"checkout", "payments"};
  n.enrichment.dashboards = {
      {"Checkout latency",
       "https://grafana.example.com/d/latency?from=1795323723000&to=1795324323000"}};
  return n;
}

alerts::Notification Latency(alerts::Status status) {
  alerts::Notification n;
  n.id = "n-1";
  n.receiver = "oncall";
  n.group_key = "{}:{alertname=\"HighLatency\"}";
  n.group_labels = {{"alertname", "HighLatency"}};
  n.common_labels = {
      {"alertname", "HighLatency"}, {"service", "checkout-api"}, {"severity", "critical"}};
  n.external_url = "http://sidecar.example:9877";
  n.created_ms = kStartsAt;
  n.alerts = {LatencyAlert("api-1:8080", status), LatencyAlert("api-2:8080", status)};
  return n;
}

config::PagerDutyConfig Config(const std::string& url, const std::string& key = kRoutingKey) {
  config::PagerDutyConfig config;
  config.url = url;
  config.routing_key.inline_value = key;
  return config;
}

Origin TestOrigin() { return {"http://sidecar.example:9877", "pod-7"}; }

Deadline Soon() { return SteadyClock::now() + std::chrono::seconds(10); }

std::string Fingerprint(const alerts::NotifiedAlert& a) {
  return alerts::FingerprintHex(a.alert.Fingerprint());
}

json Bodies(const std::vector<Event>& events) {
  json out = json::array();
  for (const auto& e : events) out.push_back(json::parse(e.body));
  return out;
}

// Golden bodies: compared as JSON; CODEBOT_UPDATE_GOLDEN=1 rewrites them.
void ExpectGolden(const std::string& name, const std::vector<Event>& events) {
  const std::string path = testing::SourceDir() + "/tests/data/notify/" + name;
  const json actual = Bodies(events);
  if (std::getenv("CODEBOT_UPDATE_GOLDEN") != nullptr) {
    nlohmann::ordered_json ordered = nlohmann::ordered_json::array();
    for (const auto& e : events) ordered.push_back(nlohmann::ordered_json::parse(e.body));
    testing::WriteFile(path, ordered.dump(2) + "\n");
  }
  const json expected = json::parse(testing::ReadFile(path));
  EXPECT_EQ(actual, expected) << "golden " << name << " differs; got:\n" << actual.dump(2);
}

class PagerDutyTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }
  Attempt Notify(Notifier& notifier, const alerts::Notification& n) {
    return notifier.Notify(n, state_, shared_, Soon());
  }
  FakePagerDuty fake_;
  EntryState state_;
  MapState shared_;
};

TEST(PagerDutyEvents, GoldenFiring) {
  ExpectGolden("pagerduty-firing.json", BuildEvents(Latency(alerts::Status::kFiring), Config("x"),
                                                    TestOrigin(), kRoutingKey));
}

TEST(PagerDutyEvents, GoldenResolved) {
  ExpectGolden("pagerduty-resolved.json", BuildEvents(Latency(alerts::Status::kResolved),
                                                      Config("x"), TestOrigin(), kRoutingKey));
}

TEST(PagerDutyEvents, GoldenGroupFiring) {
  config::PagerDutyConfig config = Config("x");
  config.dedup_key = config::DedupKeyMode::kGroup;
  alerts::Notification n = Latency(alerts::Status::kFiring);
  n.alerts[1] = LatencyAlert("api-2:8080", alerts::Status::kResolved);
  ExpectGolden("pagerduty-group-firing.json", BuildEvents(n, config, TestOrigin(), kRoutingKey));
}

TEST(PagerDutyEvents, TriggerCarriesPlaybookLinksAndContext) {
  const alerts::Notification n = Latency(alerts::Status::kFiring);
  const std::vector<Event> events = BuildEvents(n, Config("x"), TestOrigin(), kRoutingKey);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, "trigger");
  EXPECT_EQ(events[0].dedup_key, Fingerprint(n.alerts[0]));
  const json e = json::parse(events[0].body);
  EXPECT_TRUE(FakePagerDuty::Validate(e, events[0].body.size()).empty());
  EXPECT_EQ(e["routing_key"], kRoutingKey);
  EXPECT_EQ(e["payload"]["summary"], "High p99 latency on api-1:8080");
  EXPECT_EQ(e["payload"]["source"], "pod-7");
  EXPECT_EQ(e["payload"]["severity"], "critical");
  EXPECT_EQ(e["payload"]["timestamp"], "2026-11-22T05:07:03Z");
  EXPECT_EQ(e["payload"]["component"], "checkout-api");
  EXPECT_EQ(e["payload"]["class"], "HighLatency");
  const json& details = e["payload"]["custom_details"];
  EXPECT_EQ(details["actions"],
            "1. Open the latency dashboard and find the slow route\n2. If a deploy started it, "
            "roll back");
  EXPECT_EQ(details["summary"], "Checkout answers slowly: users abandon carts.");
  EXPECT_EQ(details["affected_services"], "checkout, payments");
  EXPECT_EQ(details["labels"]["instance"], "api-1:8080");
  EXPECT_EQ(details["annotations"]["description"],
            "p99 latency is 850ms (> 500ms threshold) on api-1:8080 for 5m");
  EXPECT_EQ(details["firing_since"], "2026-11-22T05:07:03Z");
  ASSERT_EQ(e["links"].size(), 3u);
  EXPECT_EQ(e["links"][0],
            (json{{"href", "https://runbooks.example.com/HighLatency"}, {"text", "Runbook"}}));
  EXPECT_EQ(e["links"][1]["text"], "Checkout latency");
  EXPECT_EQ(e["client"], "codebot-exporter");
  EXPECT_EQ(e["client_url"], "http://sidecar.example:9877");
  // The configured values win.
  config::PagerDutyConfig config = Config("x");
  config.source = "checkout-cluster";
  config.component = "api";
  config.group = "prod";
  config.class_ = "latency";
  config.client_url = "https://alerts.example.com";
  const json f = json::parse(BuildEvents(n, config, TestOrigin(), kRoutingKey)[0].body);
  EXPECT_EQ(f["payload"]["source"], "checkout-cluster");
  EXPECT_EQ(f["payload"]["component"], "api");
  EXPECT_EQ(f["payload"]["group"], "prod");
  EXPECT_EQ(f["payload"]["class"], "latency");
  EXPECT_EQ(f["client_url"], "https://alerts.example.com");
}

TEST(PagerDutyEvents, ResolveCarriesOnlyWhatPagerDutyNeeds) {
  const alerts::Notification n = Latency(alerts::Status::kResolved);
  const std::vector<Event> events = BuildEvents(n, Config("x"), TestOrigin(), kRoutingKey);
  ASSERT_EQ(events.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(json::parse(events[i].body), (json{{"routing_key", kRoutingKey},
                                                 {"dedup_key", Fingerprint(n.alerts[i])},
                                                 {"event_action", "resolve"}}));
  }
  config::PagerDutyConfig quiet = Config("x");
  quiet.send_resolved = false;
  EXPECT_TRUE(BuildEvents(n, quiet, TestOrigin(), kRoutingKey).empty());
}

TEST(PagerDutyEvents, SeverityFromTheLabel) {
  for (const auto& [label, expected] :
       std::vector<std::pair<std::string, std::string>>{{"critical", "critical"},
                                                        {"error", "error"},
                                                        {"warning", "warning"},
                                                        {"info", "info"},
                                                        {"CRITICAL", "critical"},
                                                        {"page", "critical"},
                                                        {"emergency", "critical"},
                                                        {"low", "info"},
                                                        {"bogus", "warning"},
                                                        {"", "warning"}}) {
    alerts::Notification n = Latency(alerts::Status::kFiring);
    n.alerts = {LatencyAlert("api-1", alerts::Status::kFiring, label)};
    const json e = json::parse(BuildEvents(n, Config("x"), TestOrigin(), kRoutingKey).at(0).body);
    EXPECT_EQ(e["payload"]["severity"], expected) << "label " << label;
  }
  // A configured severity wins over the label.
  config::PagerDutyConfig fixed = Config("x");
  fixed.severity = "info";
  const json e = json::parse(
      BuildEvents(Latency(alerts::Status::kFiring), fixed, TestOrigin(), kRoutingKey)[0].body);
  EXPECT_EQ(e["payload"]["severity"], "info");
  // Per group: the highest firing severity, info included.
  config::PagerDutyConfig group = Config("x");
  group.dedup_key = config::DedupKeyMode::kGroup;
  alerts::Notification infos = Latency(alerts::Status::kFiring);
  infos.alerts = {LatencyAlert("a", alerts::Status::kFiring, "info"),
                  LatencyAlert("b", alerts::Status::kFiring, "info")};
  EXPECT_EQ(
      json::parse(
          BuildEvents(infos, group, TestOrigin(), kRoutingKey)[0].body)["payload"]["severity"],
      "info");
  infos.alerts[1] = LatencyAlert("b", alerts::Status::kFiring, "error");
  EXPECT_EQ(
      json::parse(
          BuildEvents(infos, group, TestOrigin(), kRoutingKey)[0].body)["payload"]["severity"],
      "error");
}

TEST(PagerDutyEvents, SummaryCutAtAUtf8Boundary) {
  // 1022 ASCII characters, then 3-byte characters across the 1024th position.
  const std::string text = std::string(1022, 'a') + "€€€€";
  const std::string cut = CutSummary(text);
  EXPECT_TRUE(utf8::Valid(cut));
  EXPECT_EQ(utf8::RuneCount(cut), 1024u);
  EXPECT_EQ(cut, std::string(1022, 'a') + "€…");
  EXPECT_EQ(CutSummary(std::string(1021, 'a') + "€€€"), std::string(1021, 'a') + "€€€");
  EXPECT_EQ(CutSummary("short"), "short");

  alerts::Notification n = Latency(alerts::Status::kFiring);
  n.alerts.resize(1);
  n.alerts[0].alert.annotations[2].value = std::string(1023, 'x') + "€ and much more";
  const Event event = BuildEvents(n, Config("x"), TestOrigin(), kRoutingKey)[0];
  const json e = json::parse(event.body);
  EXPECT_TRUE(FakePagerDuty::Validate(e, event.body.size()).empty());
  EXPECT_EQ(e["payload"]["summary"], std::string(1023, 'x') + "…");
  // The whole text is still there for the reader.
  EXPECT_EQ(e["payload"]["custom_details"]["annotations"]["summary"],
            std::string(1023, 'x') + "€ and much more");
}

TEST(PagerDutyEvents, EventStaysUnder512KB) {
  alerts::Notification n = Latency(alerts::Status::kFiring);
  n.alerts.resize(1);
  n.alerts[0].alert.annotations[0].value = std::string(size_t{600} * 1024, 'd');
  const Event event = BuildEvents(n, Config("x"), TestOrigin(), kRoutingKey)[0];
  EXPECT_LE(event.body.size(), kMaxEventBytes);
  const json e = json::parse(event.body);
  EXPECT_TRUE(FakePagerDuty::Validate(e, event.body.size()).empty());
  EXPECT_TRUE(e["payload"]["custom_details"].contains("annotations_note") ||
              e["payload"]["custom_details"].contains("note"));

  config::PagerDutyConfig group = Config("x");
  group.dedup_key = config::DedupKeyMode::kGroup;
  alerts::Notification big = Latency(alerts::Status::kFiring);
  big.alerts.clear();
  for (int i = 0; i < 400; ++i) {
    auto a = LatencyAlert("api-" + std::to_string(i), alerts::Status::kFiring);
    a.alert.labels.push_back({"zpad", std::string(2000, 'p')});
    big.alerts.push_back(a);
  }
  const Event grouped = BuildEvents(big, group, TestOrigin(), kRoutingKey)[0];
  EXPECT_LE(grouped.body.size(), kMaxEventBytes);
  const json g = json::parse(grouped.body);
  const size_t listed = g["payload"]["custom_details"]["alerts"].size();
  EXPECT_LT(listed, 400u);
  EXPECT_EQ(g["payload"]["custom_details"]["alerts_left_out"], 400 - listed);
  EXPECT_EQ(g["payload"]["custom_details"]["num_firing"], 400);
}

TEST_F(PagerDutyTest, TriggerThenResolveClosesTheSameIncidents) {
  auto notifier = NewNotifier(Config(fake_.Url()), "http://sidecar.example:9877", "pod-7");
  const alerts::Notification firing = Latency(alerts::Status::kFiring);
  Attempt attempt = Notify(*notifier, firing);
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{"", ""}));
  for (const auto& a : firing.alerts) EXPECT_TRUE(fake_.OpenIncident(Fingerprint(a)).has_value());

  EntryState resolved_state;
  attempt = notifier->Notify(Latency(alerts::Status::kResolved), resolved_state, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  const auto incidents = fake_.Incidents();
  ASSERT_EQ(incidents.size(), 2u);  // closed, not new ones
  for (const auto& incident : incidents) {
    EXPECT_FALSE(incident.open) << incident.dedup_key;
    EXPECT_EQ(incident.triggers, 1);
  }
  EXPECT_EQ(fake_.Statuses(), (std::vector<int>{202, 202, 202, 202}));
}

TEST_F(PagerDutyTest, GroupModeUsesAlertmanagersDedupKey) {
  config::PagerDutyConfig config = Config(fake_.Url());
  config.dedup_key = config::DedupKeyMode::kGroup;
  auto notifier = NewNotifier(config, "", "pod-7");
  EXPECT_EQ(Notify(*notifier, Latency(alerts::Status::kFiring)).outcome, Outcome::kDelivered);
  // The dedup_key Alertmanager 0.25 sent for this group (pagerduty-firing.json).
  const std::string am_key = "d4061866bc333de2350285b0452a21f78349e3d63b4f06b6c956f64f95d7be36";
  ASSERT_TRUE(fake_.OpenIncident(am_key).has_value());
  EXPECT_EQ(fake_.AcceptedEvents().size(), 1u);
  EntryState resolved_state;
  EXPECT_EQ(
      notifier->Notify(Latency(alerts::Status::kResolved), resolved_state, shared_, Soon()).outcome,
      Outcome::kDelivered);
  EXPECT_FALSE(fake_.OpenIncident(am_key).has_value());
  EXPECT_EQ(fake_.Incidents().size(), 1u);
}

TEST_F(PagerDutyTest, TriggerAfterResolveOpensANewIncident) {
  auto notifier = NewNotifier(Config(fake_.Url()), "", "pod-7");
  for (auto status :
       {alerts::Status::kFiring, alerts::Status::kResolved, alerts::Status::kFiring}) {
    EntryState state;
    EXPECT_EQ(notifier->Notify(Latency(status), state, shared_, Soon()).outcome,
              Outcome::kDelivered);
  }
  const auto incidents = fake_.Incidents();
  ASSERT_EQ(incidents.size(), 4u);
  EXPECT_EQ(incidents[0].dedup_key, incidents[2].dedup_key);
  EXPECT_FALSE(incidents[0].open);
  EXPECT_TRUE(incidents[2].open);
}

TEST_F(PagerDutyTest, InvalidEventIsFinalQuotedAndSentOnce) {
  // A routing key of the wrong length: PagerDuty's own 400.
  auto notifier = NewNotifier(Config(fake_.Url(), kRoutingKey.substr(1)), "", "pod-7");
  Attempt attempt = Notify(*notifier, Latency(alerts::Status::kFiring));
  EXPECT_EQ(attempt.outcome, Outcome::kFailed);
  EXPECT_EQ(attempt.reason, kReasonClientError);
  EXPECT_NE(attempt.error.find("HTTP 400: invalid event: Event object is invalid: errors "
                               "[\"Length of 'routing_key' is incorrect (should be 32 "
                               "characters)\"]"),
            std::string::npos)
      << attempt.error;
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{"client_error", "client_error"}));
  EXPECT_EQ(fake_.Statuses(), (std::vector<int>{400, 400}));
  // Asked again (it should not be): nothing is resent, the verdict stands.
  attempt = Notify(*notifier, Latency(alerts::Status::kFiring));
  EXPECT_EQ(attempt.outcome, Outcome::kFailed);
  EXPECT_TRUE(attempt.requests.empty());
  EXPECT_EQ(fake_.RequestCount(), 2u);
  EXPECT_TRUE(fake_.Incidents().empty());
}

TEST_F(PagerDutyTest, OneBadEventDoesNotStopTheOthers) {
  fake_.FailNext(
      1, 400,
      R"({"status":"invalid event","message":"Event object is invalid","errors":["'payload.summary' is missing or blank"]})");
  auto notifier = NewNotifier(Config(fake_.Url()), "", "pod-7");
  const alerts::Notification n = Latency(alerts::Status::kFiring);
  const Attempt attempt = Notify(*notifier, n);
  EXPECT_EQ(attempt.outcome, Outcome::kFailed);
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{"client_error", ""}));
  EXPECT_NE(attempt.error.find("event 1 of 2 (trigger " + Fingerprint(n.alerts[0]) + ")"),
            std::string::npos)
      << attempt.error;
  EXPECT_NE(attempt.error.find("\"'payload.summary' is missing or blank\""), std::string::npos);
  EXPECT_TRUE(fake_.OpenIncident(Fingerprint(n.alerts[1])).has_value());
}

TEST_F(PagerDutyTest, RetryResumesAfterTheAcceptedEvents) {
  alerts::Notification n = Latency(alerts::Status::kFiring);
  n.alerts.push_back(LatencyAlert("api-3:8080", alerts::Status::kFiring));
  fake_.AcceptNext(1);
  fake_.FailNext(1, 500);
  auto notifier = NewNotifier(Config(fake_.Url()), "", "pod-7");
  Attempt attempt = Notify(*notifier, n);
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonServerError);
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{"", "server_error"}));
  EXPECT_EQ(fake_.AcceptedEvents().size(), 1u);

  attempt = Notify(*notifier, n);
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{"", ""}));
  const auto accepted = fake_.AcceptedEvents();
  ASSERT_EQ(accepted.size(), 3u);
  std::set<std::string> keys;
  for (const auto& e : accepted) keys.insert(e["dedup_key"].get<std::string>());
  EXPECT_EQ(keys.size(), 3u) << "an accepted event was sent again";
  for (const auto& incident : fake_.Incidents()) EXPECT_EQ(incident.triggers, 1);
}

TEST_F(PagerDutyTest, RateLimitAndServerErrorsRetry) {
  auto notifier = NewNotifier(Config(fake_.Url()), "", "pod-7");
  fake_.FailNext(1, 429, "", "30");
  Attempt attempt = Notify(*notifier, Latency(alerts::Status::kFiring));
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonRateLimited);
  ASSERT_TRUE(attempt.retry_after.has_value());
  EXPECT_EQ(*attempt.retry_after, std::chrono::seconds(30));
  EXPECT_NE(attempt.error.find("throttle event"), std::string::npos) << attempt.error;

  fake_.FailNext(1, 429);
  attempt = Notify(*notifier, Latency(alerts::Status::kFiring));
  EXPECT_EQ(attempt.reason, kReasonRateLimited);
  EXPECT_FALSE(attempt.retry_after.has_value());

  fake_.FailNext(1, 503);
  attempt = Notify(*notifier, Latency(alerts::Status::kFiring));
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonServerError);

  attempt = Notify(*notifier, Latency(alerts::Status::kFiring));
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered);
  EXPECT_EQ(fake_.AcceptedEvents().size(), 2u);

  auto down = NewNotifier(Config("http://127.0.0.1:1/v2/enqueue"), "", "pod-7");
  EntryState fresh;
  attempt = down->Notify(Latency(alerts::Status::kFiring), fresh, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonConnect);
  EXPECT_TRUE(fresh.empty());
}

TEST_F(PagerDutyTest, OtherClientErrorsStopAtOnce) {
  auto notifier = NewNotifier(Config(fake_.Url() + "/wrong"), "", "pod-7");
  const Attempt attempt = Notify(*notifier, Latency(alerts::Status::kFiring));
  EXPECT_EQ(attempt.outcome, Outcome::kFailed);
  EXPECT_EQ(attempt.requests.size(), 1u);
  EXPECT_NE(attempt.error.find("HTTP 404"), std::string::npos);
}

TEST_F(PagerDutyTest, SummaryOver1024IsAcceptedNotLost) {
  alerts::Notification n = Latency(alerts::Status::kFiring);
  n.alerts.resize(1);
  n.alerts[0].alert.annotations[2].value = std::string(1022, 's') + "€€€€€ long tail";
  auto notifier = NewNotifier(Config(fake_.Url()), "", "pod-7");
  EXPECT_EQ(Notify(*notifier, n).outcome, Outcome::kDelivered);
  const auto incident = fake_.OpenIncident(Fingerprint(n.alerts[0]));
  ASSERT_TRUE(incident.has_value());
  EXPECT_EQ(incident->first_trigger["payload"]["summary"], std::string(1022, 's') + "€…");
}

TEST_F(PagerDutyTest, RoutingKeyNeverLeaks) {
  std::vector<std::string> lines;
  log::SetCaptureForTesting([&](std::string_view line) { lines.emplace_back(line); });
  std::vector<Attempt> attempts;
  alerts::Notification n = Latency(alerts::Status::kFiring);
  // Someone pasted the key into an annotation.
  n.alerts[0].alert.annotations[0].value = "key is " + kRoutingKey;
  auto notifier = NewNotifier(Config(fake_.Url()), "", "pod-7");
  fake_.FailNext(1, 500, "{\"status\":\"error\",\"message\":\"bad key " + kRoutingKey + "\"}");
  attempts.push_back(Notify(*notifier, n));
  fake_.FailNext(
      1, 400,
      "{\"status\":\"invalid event\",\"errors\":[\"routing_key " + kRoutingKey + " unknown\"]}");
  EntryState other;
  attempts.push_back(notifier->Notify(n, other, shared_, Soon()));
  EntryState down_state;
  attempts.push_back(NewNotifier(Config("http://127.0.0.1:1/v2/enqueue"), "", "pod-7")
                         ->Notify(n, down_state, shared_, Soon()));
  EXPECT_EQ(attempts.back().reason, kReasonConnect);
  config::PagerDutyConfig missing = Config(fake_.Url());
  missing.routing_key = {};
  missing.routing_key.file = "/nonexistent/routing-key";
  EntryState missing_state;
  attempts.push_back(NewNotifier(missing, "", "pod-7")->Notify(n, missing_state, shared_, Soon()));
  attempts.push_back(Notify(*notifier, n));
  EXPECT_EQ(attempts.back().outcome, Outcome::kDelivered);
  log::SetCaptureForTesting(nullptr);

  for (const auto& attempt : attempts) {
    EXPECT_EQ(attempt.error.find(kRoutingKey), std::string::npos) << attempt.error;
  }
  for (const auto& line : lines) EXPECT_EQ(line.find(kRoutingKey), std::string::npos) << line;
  const auto accepted = fake_.AcceptedEvents();
  ASSERT_FALSE(accepted.empty());
  for (const auto& event : accepted) {
    json without_key = event;
    EXPECT_EQ(without_key["routing_key"], kRoutingKey);
    without_key.erase("routing_key");
    EXPECT_EQ(without_key.dump().find(kRoutingKey), std::string::npos) << without_key.dump();
  }
}

}  // namespace
}  // namespace codebot::notify::pagerduty
