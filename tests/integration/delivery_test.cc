// Alert delivery end to end, through the real binary: alerts from a real Alertmanager 0.25 (its
// webhook pointing at the sidecar) and from the sidecar's own rules reach strict fakes of
// Telegram, Slack and PagerDuty enriched with their playbook, firing then resolved (the resolved
// Telegram message replies to the firing one, PagerDuty resolves the trigger's dedup_key); and the
// faults the issue lists: Telegram's 429 retry_after, a description longer than a Telegram
// message, Slack's 5xx, PagerDuty's 400, every API down while the sidecar is killed with
// notifications pending, malformed and unauthenticated webhook requests, and secrets in an
// annotation, which must leave nowhere unredacted. Besides: restarts (kill -9 between firing and
// resolved, a restart while a rule fires), a reload that fixes an integration, Telegram's group
// migrations and forum topics. Every sidecar must stop cleanly (exit 0, no sanitizer report).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporter/core/time.h"
#include "exporter/notify/slack/slack.h"
#include "tests/support/alertmanager_server.h"
#include "tests/support/env.h"
#include "tests/support/exporter.h"
#include "tests/support/fake_apis.h"
#include "tests/support/fake_http.h"
#include "tests/support/fake_telegram.h"
#include "tests/support/process.h"

namespace codebot::testing {
namespace {

using nlohmann::json;
using telegram::FakeTelegram;

constexpr int64_t kChat = -1001234567890;
constexpr const char* kRoutingKey = "R0ut1ngKeyForDeliveryTest0000001";  // 32 characters
constexpr const char* kBearer = "delivery-test-bearer-5c1e9a";
constexpr const char* kGrafana = "https://grafana.example.com";
constexpr const char* kReceiver = "oncall";

// Secrets someone pasted into an annotation: shapes the sanitiser knows without being told.
const std::string kGitHubToken = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
const std::string kBotToken = "123456:ABCdefGhIkl-zyx57W2v1u123ew11AAbbCC";

constexpr const char* kPlaybooks = R"(default:
  summary: No playbook matches this alert.
  actions: [Read the alert's description.]
playbooks:
  - matchers: ['alertname=~"Checkout.*"']
    summary: Checkout requests are slow; buyers give up before paying.
    actions:
      - Check the checkout pods for restarts.
      - Compare p99 latency with the last deployment.
      - Roll back if the deployment is the cause.
    runbook_url: https://runbooks.example.com/checkout#latency
    affected_services: [checkout, payments]
    dashboards:
      - {title: Latency, uid: latency, window: 1h}
  - matchers: ['alertname="BotServiceDown"']
    summary: The bot does not answer its metrics endpoint.
    actions:
      - Check the pod for restarts.
      - Read the bot's logs.
    runbook_url: https://runbooks.example.com/bot#down
    affected_services: [bot]
    dashboards:
      - {title: Overview, uid: main, window: 30m}
)";

// The shipped BotServiceDown with a `for` short enough for a test.
constexpr const char* kRules = R"(groups:
  - name: bot
    rules:
      - alert: BotServiceDown
        expr: up{job="bot"} == 0
        for: 1s
        labels:
          severity: critical
        annotations:
          summary: "CodeBot at {{ $labels.instance }} is down"
          description: "The bot's /metrics has not answered since {{ $value }}."
)";

// Where the sidecar delivers: the three APIs' URLs (the fakes', or ports nothing listens on).
struct Apis {
  std::string telegram;
  std::string slack;
  std::string pagerduty;
};

struct ConfigOptions {
  std::string bot_url;  // set: a bot source and the rules of kRules
  int64_t chat_id = kChat;
  int64_t thread_id = 0;  // message_thread_id; 0: none
  std::string group_wait = "100ms";
  std::string backoff = "  min_backoff: 100ms\n  max_backoff: 500ms\n";
  std::string global = "  evaluation_interval: 200ms\n";
};

// "2m 5s": how the messages say how long an alert fired (here between one and sixty minutes).
std::string MinutesSeconds(int64_t ms) {
  const int64_t seconds = ms / 1000;
  return std::to_string(seconds / 60) + "m" +
         (seconds % 60 != 0 ? " " + std::to_string(seconds % 60) + "s" : std::string());
}

// Seconds since the epoch, whole: what Alertmanager keeps.
int64_t WholeSecondsMs(int64_t ms) { return ms / 1000 * 1000; }

// An alert as Alertmanager posts it in its webhook payload.
json PayloadAlert(const Labels& labels, const Labels& annotations, int64_t starts_ms,
                  int64_t ends_ms) {
  json alert = AlertJson(labels, annotations, starts_ms, ends_ms,
                         "http://prometheus.example:9090/graph?g0.expr=up");
  const bool resolved = ends_ms != kNoTime && ends_ms <= NowUnixMs();
  alert["status"] = resolved ? "resolved" : "firing";
  if (ends_ms == kNoTime) alert["endsAt"] = "0001-01-01T00:00:00Z";
  return alert;
}

// Alertmanager's webhook payload (version 4) for one group of one alert, grouped by alertname.
json Payload(const Labels& labels, const Labels& annotations, int64_t starts_ms,
             int64_t ends_ms = kNoTime) {
  json alert = PayloadAlert(labels, annotations, starts_ms, ends_ms);
  const std::string name(LabelValue(labels, "alertname"));
  json common_labels = json::object();
  for (const auto& label : labels) common_labels[label.name] = label.value;
  json common_annotations = json::object();
  for (const auto& annotation : annotations) common_annotations[annotation.name] = annotation.value;
  return json{{"version", "4"},
              {"groupKey", "{}:{alertname=\"" + name + "\"}"},
              {"truncatedAlerts", 0},
              {"status", alert["status"]},
              {"receiver", kReceiver},
              {"groupLabels", {{"alertname", name}}},
              {"commonLabels", common_labels},
              {"commonAnnotations", common_annotations},
              {"externalURL", "http://alertmanager.example:9093"},
              {"alerts", json::array({alert})}};
}

http::Headers Authorized() { return {{"Authorization", std::string("Bearer ") + kBearer}}; }

// Every message part Telegram accepted whose text mentions `needle`.
std::vector<telegram::Message> MessagesWith(const FakeTelegram& tg, const std::string& needle) {
  std::vector<telegram::Message> out;
  for (auto& message : tg.Messages()) {
    if (message.text.find(needle) != std::string::npos) out.push_back(std::move(message));
  }
  return out;
}

std::vector<json> SlackWith(const FakeSlack& slack, const std::string& needle) {
  std::vector<json> out;
  for (auto& message : slack.Accepted()) {
    if (message.dump().find(needle) != std::string::npos) out.push_back(std::move(message));
  }
  return out;
}

std::vector<json> PagerDutyEvents(const FakePagerDuty& pd, const std::string& action) {
  std::vector<json> out;
  for (auto& event : pd.AcceptedEvents()) {
    if (event.value("event_action", "") == action) out.push_back(std::move(event));
  }
  return out;
}

// The mrkdwn texts of a Slack message's section blocks, joined.
std::string SlackSections(const json& message) {
  std::string out;
  for (const auto& block : message.at("blocks")) {
    if (block.value("type", "") == "section")
      out += block["text"]["text"].get<std::string>() + "\n";
  }
  return out;
}

std::vector<std::string> SlackButtonUrls(const json& message) {
  std::vector<std::string> out;
  for (const auto& block : message.at("blocks")) {
    if (block.value("type", "") != "actions") continue;
    for (const auto& element : block["elements"]) out.push_back(element.value("url", ""));
  }
  return out;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string WithoutSpaces(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') out += c;
  }
  return out;
}

class Delivery : public ::testing::Test {
 protected:
  void SetUp() override {
    tg_.AddChat(kChat);
    slack_.Start();
    pd_.Start();
    WriteFile(exporter_.dir().File("playbooks.yml"), kPlaybooks);
    WriteFile(exporter_.dir().File("rules.yml"), kRules);
  }

  // The sidecar stops cleanly: exit code 0, and under the sanitizers no report (a leak or an
  // error found at exit makes it exit non-zero too).
  void TearDown() override {
    if (!exporter_.process().Running()) return;
    EXPECT_EQ(exporter_.Stop(), 0) << Diagnostics();
    EXPECT_FALSE(Contains(exporter_.Logs(), "Sanitizer")) << Diagnostics();
  }

  Apis FakeApis() const { return {tg_.ApiUrl(), slack_.WebhookUrl(), pd_.Url()}; }

  // The sidecar's config: one receiver with the three integrations, grouping by alertname, every
  // timer short; the outbox in the test's folder (the same across restarts).
  std::string Config(const Apis& apis, const ConfigOptions& options = {}) {
    std::string config = "global:\n" + options.global;
    config += "web:\n  bearer_token: " + std::string(kBearer) + "\n";
    if (!options.bot_url.empty()) {
      config += "sources:\n  bot:\n    url: " + options.bot_url +
                "\n    interval: 200ms\n    timeout: 150ms\nrule_files: [rules.yml]\n";
    }
    config += "notifications:\n  data_dir: " + exporter_.dir().File("outbox") +
              "\n  grafana_url: " + kGrafana +
              "\n  playbook_files: [playbooks.yml]\n  max_age: 1h\n" + options.backoff;
    config += R"(route:
  receiver: oncall
  group_by: [alertname]
  group_wait: )" +
              options.group_wait +
              R"(
  group_interval: 500ms
  repeat_interval: 1h
receivers:
  - name: oncall
    telegram_configs:
      - api_url: )" +
              apis.telegram + "\n        bot_token: " + tg_.token() +
              "\n        chat_id: " + std::to_string(options.chat_id) +
              (options.thread_id != 0
                   ? "\n        message_thread_id: " + std::to_string(options.thread_id)
                   : std::string()) +
              R"(
        parse_mode: HTML
        send_resolved: true
    slack_configs:
      - api_url: )" +
              apis.slack +
              R"(
        send_resolved: true
    pagerduty_configs:
      - url: )" +
              apis.pagerduty + "\n        routing_key: " + kRoutingKey +
              "\n        send_resolved: true\n";
    return config;
  }

  void StartSidecar(const Apis& apis, const ConfigOptions& options = {}) {
    exporter_.Start(Config(apis, options));
  }

  // POST /alertmanager/<receiver> (or /alertmanager with tree = true) as Alertmanager would,
  // retrying a 503 as it does (the sidecar answers 503 until its delivery stage is up).
  http::ClientResponse Post(const json& payload, bool tree = false,
                            const http::Headers& headers = Authorized()) const {
    http::ClientResponse response;
    WaitFor([&] {
      response = HttpPost(
          exporter_.Url(tree ? "/alertmanager" : std::string("/alertmanager/") + kReceiver),
          payload.dump(), "application/json", 5000, headers);
      return response.status != 503;
    });
    return response;
  }

  double Metric(const std::string& name, const Labels& match) const {
    return exporter_.ScrapeMetrics().Value(name, match).value_or(-1);
  }
  // Nothing waits in the outbox of any of the three integrations.
  bool QueuesEmpty() const {
    const Scrape scrape = exporter_.ScrapeMetrics();
    for (const char* integration : {"telegram", "slack", "pagerduty"}) {
      if (scrape.Value("codebot_exporter_notification_queue_length",
                       {{"integration", integration}}) != 0.0) {
        return false;
      }
    }
    return true;
  }

  // The sidecar's log without the debug lines of the test's own scrapes.
  std::string Diagnostics() const {
    std::string out = "\n--- sidecar log:\n";
    const std::string logs = exporter_.Logs();
    size_t start = 0;
    while (start < logs.size()) {
      size_t end = logs.find('\n', start);
      if (end == std::string::npos) end = logs.size();
      const std::string line = logs.substr(start, end - start);
      if (!Contains(line, "\"path\":\"/metrics\"")) out += line + "\n";
      start = end + 1;
    }
    return out;
  }

  FakeTelegram tg_;
  FakeSlack slack_;
  FakePagerDuty pd_;
  Exporter exporter_;
};

const Labels kCheckoutLabels = {{"alertname", "CheckoutLatencyHigh"},
                                {"instance", "checkout-1:8080"},
                                {"note", "p99<b> & \"quoted\""},
                                {"service", "checkout"},
                                {"severity", "critical"}};
const Labels kCheckoutAnnotations = {{"description", "p99 latency is 850ms (> 500ms) & rising"},
                                     {"summary", "Checkout p99 latency high on checkout-1:8080"}};

// Alertmanager's alert, posted to its API, fires and resolves; its webhook hands the group to our
// receiver "oncall" (POST /alertmanager/oncall, bearer token and all), and every integration
// tells it enriched with the playbook.
TEST_F(Delivery, AlertmanagersAlertFiresAndResolvesOnEveryIntegration) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  StartSidecar(FakeApis());
  AlertmanagerServer am;
  std::string error;
  ASSERT_TRUE(am.Start(R"(route:
  receiver: sidecar
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 500ms
  repeat_interval: 1h
receivers:
  - name: sidecar
    webhook_configs:
      - url: )" + exporter_.Url("/alertmanager/oncall") +
                           R"(
        send_resolved: true
        http_config:
          authorization:
            credentials: )" +
                           kBearer + "\n",
                       &error))
      << error;

  const int64_t starts = WholeSecondsMs(NowUnixMs()) - 125'000;  // fired 2m 5s ago
  ASSERT_TRUE(am.PostAlerts(
      json::array({AlertJson(kCheckoutLabels, kCheckoutAnnotations, starts, kNoTime)}), &error))
      << error;
  ASSERT_TRUE(WaitFor([&] {
    return tg_.Messages().size() >= 1 && slack_.Accepted().size() >= 1 &&
           pd_.AcceptedEvents().size() >= 1;
  })) << am.Logs()
      << Diagnostics();

  // Telegram: marker, title, description, where, affected services, numbered actions, links.
  const telegram::Message firing = tg_.Messages().front();
  EXPECT_EQ(firing.chat_id, kChat);
  EXPECT_EQ(firing.parse_mode, "HTML");
  EXPECT_FALSE(firing.reply_to_message_id.has_value());
  EXPECT_EQ(firing.text.substr(0, firing.text.find('\n')),
            "\U0001f534 FIRING \u00b7 CheckoutLatencyHigh");
  EXPECT_TRUE(Contains(firing.text, "\U0001f534 Checkout p99 latency high on checkout-1:8080"))
      << firing.text;
  EXPECT_TRUE(Contains(firing.text, "p99 latency is 850ms (> 500ms) & rising")) << firing.text;
  EXPECT_TRUE(Contains(firing.text, "instance=checkout-1:8080, note=p99<b> & \"quoted\""))
      << firing.text;
  EXPECT_TRUE(Contains(firing.text, "Affected: checkout, payments")) << firing.text;
  EXPECT_TRUE(Contains(firing.text,
                       "What to do:\n1. Check the checkout pods for restarts.\n"
                       "2. Compare p99 latency with the last deployment.\n"
                       "3. Roll back if the deployment is the cause."))
      << firing.text;
  std::map<std::string, std::string> links;  // link text -> URL
  for (const auto& entity : firing.entities) {
    if (entity.type == "text_link")
      links[telegram::EntityText({firing.text, {}}, entity)] = entity.url;
  }
  EXPECT_EQ(links["Runbook"], "https://runbooks.example.com/checkout#latency");
  const std::string dashboard =
      std::string(kGrafana) + "/d/latency?from=" + std::to_string(starts - 3'600'000) + "&to=now";
  EXPECT_TRUE(links["Latency"].starts_with(dashboard)) << links["Latency"];

  // Slack: a header with the headline, the alert's section with the playbook, link buttons.
  const json slack_firing = slack_.Accepted().front();
  EXPECT_EQ(FakeSlack::Validate(slack_firing), "");
  EXPECT_EQ(slack_firing["blocks"][0]["type"], "header");
  EXPECT_EQ(slack_firing["blocks"][0]["text"]["text"],
            "\U0001f534 FIRING \u00b7 CheckoutLatencyHigh");
  const std::string sections = SlackSections(slack_firing);
  EXPECT_TRUE(Contains(sections, "*Checkout p99 latency high on checkout-1:8080*")) << sections;
  EXPECT_TRUE(Contains(sections, "p99 latency is 850ms (&gt; 500ms) &amp; rising")) << sections;
  EXPECT_TRUE(Contains(sections, "*Affected services:* checkout, payments")) << sections;
  EXPECT_TRUE(Contains(sections,
                       "*What to do:*\n1. Check the checkout pods for restarts.\n"
                       "2. Compare p99 latency with the last deployment.\n"
                       "3. Roll back if the deployment is the cause."))
      << sections;
  EXPECT_TRUE(FakeSlack::MessageMrkdwnProblems(slack_firing).empty())
      << FakeSlack::MessageMrkdwnProblems(slack_firing).front();
  const std::vector<std::string> buttons = SlackButtonUrls(slack_firing);
  ASSERT_EQ(buttons.size(), 2u) << slack_firing.dump(2);
  EXPECT_EQ(buttons[0], "https://runbooks.example.com/checkout#latency");
  EXPECT_TRUE(buttons[1].starts_with(dashboard)) << buttons[1];
  EXPECT_EQ(slack_firing["attachments"][0]["color"], notify::slack::kColorCritical);

  // PagerDuty: a trigger per alert, severity from the label, the playbook in custom_details.
  const json trigger = pd_.AcceptedEvents().front();
  EXPECT_EQ(trigger["event_action"], "trigger");
  EXPECT_EQ(trigger["routing_key"], kRoutingKey);
  const std::string dedup_key = trigger.value("dedup_key", "");
  EXPECT_EQ(dedup_key.size(), 16u) << "the alert's fingerprint";
  EXPECT_EQ(trigger["payload"]["severity"], "critical");
  EXPECT_EQ(trigger["payload"]["summary"], "Checkout p99 latency high on checkout-1:8080");
  EXPECT_EQ(trigger["payload"]["timestamp"], Rfc3339(starts));
  const json& details = trigger["payload"]["custom_details"];
  EXPECT_EQ(details["summary"], "Checkout requests are slow; buyers give up before paying.");
  EXPECT_TRUE(Contains(details["actions"].dump(), "Check the checkout pods for restarts."))
      << details.dump();
  EXPECT_EQ(details["runbook_url"], "https://runbooks.example.com/checkout#latency");
  ASSERT_TRUE(trigger.contains("links")) << trigger.dump(2);
  EXPECT_EQ(trigger["links"][0]["href"], "https://runbooks.example.com/checkout#latency");
  EXPECT_TRUE(pd_.OpenIncident(dedup_key).has_value());

  // Resolved: an endsAt in the past.
  const int64_t ends = WholeSecondsMs(NowUnixMs());
  ASSERT_TRUE(am.PostAlerts(
      json::array({AlertJson(kCheckoutLabels, kCheckoutAnnotations, starts, ends)}), &error))
      << error;
  ASSERT_TRUE(WaitFor([&] {
    return !MessagesWith(tg_, "RESOLVED").empty() && !SlackWith(slack_, "RESOLVED").empty() &&
           !PagerDutyEvents(pd_, "resolve").empty();
  })) << am.Logs()
      << Diagnostics();
  const telegram::Message resolved = MessagesWith(tg_, "RESOLVED").front();
  EXPECT_EQ(resolved.text.substr(0, resolved.text.find('\n')),
            "\u2705 RESOLVED \u00b7 CheckoutLatencyHigh");
  const std::string fired_for = MinutesSeconds(ends - starts);
  EXPECT_TRUE(Contains(resolved.text,
                       "\u2705 Checkout p99 latency high on checkout-1:8080 \u2014 "
                       "resolved after " +
                           fired_for))
      << resolved.text;
  EXPECT_EQ(resolved.reply_to_message_id, firing.message_id);
  EXPECT_TRUE(resolved.disable_notification);
  const json slack_resolved = SlackWith(slack_, "RESOLVED").front();
  EXPECT_EQ(slack_resolved["blocks"][0]["text"]["text"],
            "\u2705 RESOLVED \u00b7 CheckoutLatencyHigh");
  EXPECT_TRUE(
      Contains(SlackSections(slack_resolved), "Resolved after firing for *" + fired_for + "*"))
      << slack_resolved.dump(2);
  EXPECT_EQ(slack_resolved["attachments"][0]["color"], notify::slack::kColorResolved);
  const json resolve = PagerDutyEvents(pd_, "resolve").front();
  EXPECT_EQ(resolve["dedup_key"], dedup_key);
  EXPECT_FALSE(pd_.OpenIncident(dedup_key).has_value());
  ASSERT_EQ(pd_.Incidents().size(), 1u);

  // Each told once: two messages per integration, nothing else.
  ASSERT_TRUE(WaitFor([&] { return QueuesEmpty(); })) << Diagnostics();
  EXPECT_EQ(tg_.Messages().size(), 2u);
  EXPECT_EQ(slack_.Accepted().size(), 2u);
  EXPECT_EQ(pd_.AcceptedEvents().size(), 2u);
  // And counted: the alerts the webhook received, the deliveries and their latency.
  const Scrape scrape = exporter_.ScrapeMetrics();
  EXPECT_GE(scrape
                .Value("codebot_exporter_alerts_received_total",
                       {{"source", "webhook"}, {"status", "firing"}})
                .value_or(0),
            1.0);
  EXPECT_GE(scrape
                .Value("codebot_exporter_alerts_received_total",
                       {{"source", "webhook"}, {"status", "resolved"}})
                .value_or(0),
            1.0);
  for (const char* integration : {"telegram", "slack", "pagerduty"}) {
    EXPECT_EQ(scrape.Value("codebot_exporter_notifications_total", {{"integration", integration}}),
              2.0)
        << integration;
    EXPECT_EQ(scrape.Value("codebot_exporter_notification_latency_seconds_count",
                           {{"integration", integration}}),
              2.0)
        << integration;
  }
}

// The sidecar's own rule: the bot stops answering, BotServiceDown fires after its `for`, then the
// bot is back and it resolves. Telegram's resolved message replies to the firing one; PagerDuty
// resolves the dedup_key it triggered.
TEST_F(Delivery, LocalRuleFiresAndResolves) {
  std::atomic<bool> bot_up{true};
  FakeHttp bot;
  bot.Handle("/metrics", [&](const http::Request&) {
    if (!bot_up) return http::Response::Text(500, "down\n");
    return http::Response::Text(200,
                                "# TYPE codebot_messages_total counter\n"
                                "codebot_messages_total 3\n");
  });
  bot.Start();
  ConfigOptions options;
  options.bot_url = bot.Url("/metrics");
  StartSidecar(FakeApis(), options);
  // The bot answers (its counter is relayed) before it stops.
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_messages_total") == 3.0;
  })) << Diagnostics();

  bot_up = false;
  ASSERT_TRUE(WaitFor([&] {
    return !MessagesWith(tg_, "FIRING").empty() && !SlackWith(slack_, "FIRING").empty() &&
           !PagerDutyEvents(pd_, "trigger").empty();
  })) << Diagnostics();
  const telegram::Message firing = MessagesWith(tg_, "FIRING").front();
  const std::string instance = "127.0.0.1:" + std::to_string(bot.port());
  EXPECT_EQ(firing.text.substr(0, firing.text.find('\n')),
            "\U0001f534 FIRING \u00b7 BotServiceDown");
  EXPECT_TRUE(Contains(firing.text, "CodeBot at " + instance + " is down")) << firing.text;
  EXPECT_TRUE(Contains(firing.text,
                       "What to do:\n1. Check the pod for restarts.\n"
                       "2. Read the bot's logs."))
      << firing.text;
  EXPECT_TRUE(Contains(firing.text, "Affected: bot")) << firing.text;
  const json trigger = PagerDutyEvents(pd_, "trigger").front();
  EXPECT_EQ(trigger["payload"]["severity"], "critical");
  EXPECT_EQ(trigger["payload"]["custom_details"]["summary"],
            "The bot does not answer its metrics endpoint.");
  EXPECT_TRUE(Contains(SlackSections(SlackWith(slack_, "FIRING").front()),
                       "*What to do:*\n1. Check the pod for restarts."));

  bot_up = true;
  ASSERT_TRUE(WaitFor([&] {
    return !MessagesWith(tg_, "RESOLVED").empty() && !SlackWith(slack_, "RESOLVED").empty() &&
           !PagerDutyEvents(pd_, "resolve").empty();
  })) << Diagnostics();
  const telegram::Message resolved = MessagesWith(tg_, "RESOLVED").front();
  EXPECT_EQ(resolved.reply_to_message_id, firing.message_id);
  EXPECT_TRUE(Contains(resolved.text, "resolved after ")) << resolved.text;
  const json resolve = PagerDutyEvents(pd_, "resolve").front();
  EXPECT_EQ(resolve["dedup_key"], trigger["dedup_key"]);
  EXPECT_FALSE(pd_.OpenIncident(trigger["dedup_key"]).has_value());
  EXPECT_EQ(PagerDutyEvents(pd_, "trigger").size(), 1u);
}

// The sidecar restarts while the bot is still down: the rule fires again after its `for`, and the
// dispatcher, its state restored, knows the group was told already: no second firing message.
// The resolution still replies to the first one.
TEST_F(Delivery, RestartDoesNotTellAFiringAlertAgain) {
  std::atomic<bool> bot_up{false};
  FakeHttp bot;
  bot.Handle("/metrics", [&](const http::Request&) {
    if (!bot_up) return http::Response::Text(500, "down\n");
    return http::Response::Text(200,
                                "# TYPE codebot_messages_total counter\n"
                                "codebot_messages_total 3\n");
  });
  bot.Start();
  ConfigOptions options;
  options.bot_url = bot.Url("/metrics");
  StartSidecar(FakeApis(), options);
  ASSERT_TRUE(WaitFor([&] { return !MessagesWith(tg_, "FIRING").empty() && QueuesEmpty(); }))
      << Diagnostics();
  const telegram::Message firing = MessagesWith(tg_, "FIRING").front();

  exporter_.Stop();
  StartSidecar(FakeApis(), options);
  auto firing_again = [&] {
    auto response = HttpGet(exporter_.Url("/api/v1/alerts"));
    const json body = json::parse(response.body, nullptr, false);
    if (!body.is_object()) return false;
    for (const auto& alert : body["data"]["alerts"]) {
      if (alert["labels"]["alertname"] == "BotServiceDown" && alert["state"] == "firing") {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(WaitFor(firing_again)) << Diagnostics();
  // A negative: a few group intervals in which a second firing message would have been sent.
  EXPECT_FALSE(WaitFor([&] { return MessagesWith(tg_, "FIRING").size() > 1; },
                       std::chrono::milliseconds(1500)))
      << Diagnostics();

  bot_up = true;
  ASSERT_TRUE(WaitFor([&] {
    return !MessagesWith(tg_, "RESOLVED").empty() && !PagerDutyEvents(pd_, "resolve").empty();
  })) << Diagnostics();
  EXPECT_EQ(MessagesWith(tg_, "RESOLVED").front().reply_to_message_id, firing.message_id);
  EXPECT_EQ(MessagesWith(tg_, "FIRING").size(), 1u);
  EXPECT_EQ(PagerDutyEvents(pd_, "trigger").size(), 1u);
  EXPECT_EQ(SlackWith(slack_, "FIRING").size(), 1u);
}

// A forum topic (message_thread_id) gets the messages; once the topic is deleted they land in
// the chat's General topic rather than nowhere.
TEST_F(Delivery, TelegramForumTopicAndItsDeletion) {
  tg_.AddTopic(kChat, 42);
  ConfigOptions options;
  options.thread_id = 42;
  StartSidecar(FakeApis(), options);
  const int64_t starts = NowUnixMs() - 60'000;
  ASSERT_EQ(Post(Payload({{"alertname", "CheckoutInTopic"}}, {}, starts)).status, 200);
  ASSERT_TRUE(WaitFor([&] { return tg_.Messages().size() == 1; })) << Diagnostics();
  EXPECT_EQ(tg_.Messages()[0].message_thread_id, 42);

  tg_.DeleteTopic(kChat, 42);
  ASSERT_EQ(Post(Payload({{"alertname", "CheckoutTopicGone"}}, {}, starts)).status, 200);
  ASSERT_TRUE(WaitFor([&] { return tg_.Messages().size() == 2 && QueuesEmpty(); }))
      << Diagnostics();
  EXPECT_EQ(tg_.Messages()[1].message_thread_id, 0);
  EXPECT_TRUE(Contains(tg_.Messages()[1].text, "CheckoutTopicGone"));
}

// Telegram throttles the first attempt (429, retry_after 2): the retry waits at least the 2 s
// Telegram asked for, then goes through.
TEST_F(Delivery, TelegramRetryAfterIsHonoured) {
  StartSidecar(FakeApis());
  tg_.EnqueueFault(FakeTelegram::TooManyRequests(2));
  // Slack's and PagerDuty's 429s are retried too (Alertmanager gives up on Slack's).
  slack_.FailNext(1, 429, "rate_limited", "1");
  pd_.FailNext(1, 429, "", "1");
  const Labels labels = {{"alertname", "CheckoutThrottled"}, {"severity", "warning"}};
  auto response = Post(Payload(labels, {{"summary", "throttled"}}, NowUnixMs() - 60'000));
  ASSERT_EQ(response.status, 200) << response.body;
  // A call is recorded once answered, just after the message it accepted.
  ASSERT_TRUE(WaitFor([&] { return tg_.CallCount() >= 2 && !tg_.Messages().empty(); }))
      << Diagnostics();
  const std::vector<telegram::Call> calls = tg_.Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].status, 429);
  EXPECT_EQ(calls[1].status, 200);
  EXPECT_GE(calls[1].at - calls[0].at, std::chrono::seconds(2));
  EXPECT_EQ(calls[0].body, calls[1].body) << "the same message, retried";
  EXPECT_EQ(Metric("codebot_exporter_notification_requests_failed_total",
                   {{"integration", "telegram"}, {"reason", "rate_limited"}}),
            1.0);
  ASSERT_TRUE(WaitFor([&] { return QueuesEmpty(); })) << Diagnostics();
  EXPECT_EQ(slack_.Statuses(), (std::vector<int>{429, 200}));
  EXPECT_EQ(pd_.Statuses(), (std::vector<int>{429, 202}));
  for (const char* integration : {"slack", "pagerduty"}) {
    EXPECT_EQ(Metric("codebot_exporter_notification_requests_failed_total",
                     {{"integration", integration}, {"reason", "rate_limited"}}),
              1.0)
        << integration;
  }
}

// The configured group was upgraded to a supergroup: the first message follows Telegram's
// migrate_to_chat_id, and from then on (a restart included) messages go to the new chat directly.
TEST_F(Delivery, TelegramFollowsAGroupUpgradedToASupergroup) {
  constexpr int64_t kGroup = -4001234567;
  constexpr int64_t kSupergroup = -1009876543210;
  tg_.UpgradeToSupergroup(kGroup, kSupergroup);
  ConfigOptions options;
  options.chat_id = kGroup;
  StartSidecar(FakeApis(), options);
  const int64_t starts = NowUnixMs() - 60'000;
  ASSERT_EQ(Post(Payload({{"alertname", "CheckoutMigratedA"}}, {}, starts)).status, 200);
  ASSERT_TRUE(WaitFor([&] { return tg_.Messages().size() == 1 && QueuesEmpty(); }))
      << Diagnostics();
  EXPECT_EQ(tg_.Messages()[0].chat_id, kSupergroup);
  ASSERT_EQ(tg_.Calls().size(), 2u);
  EXPECT_EQ(tg_.Calls()[0].status, 400);

  exporter_.Stop();
  StartSidecar(FakeApis(), options);
  ASSERT_EQ(Post(Payload({{"alertname", "CheckoutMigratedB"}}, {}, starts)).status, 200);
  ASSERT_TRUE(WaitFor([&] { return tg_.Messages().size() == 2 && QueuesEmpty(); }))
      << Diagnostics();
  EXPECT_EQ(tg_.Messages()[1].chat_id, kSupergroup);
  EXPECT_EQ(tg_.Calls().size(), 3u) << "straight to the supergroup";
}

// A description longer than a Telegram message, full of characters HTML gives meaning to: every
// part is accepted by the strict fake and together they hold the whole text.
TEST_F(Delivery, LongDescriptionArrivesWholeInParts) {
  // The first part goes through, the second is throttled once: the retry sends the rest only.
  tg_.EnqueueFault(telegram::Fault{});
  tg_.EnqueueFault(FakeTelegram::TooManyRequests(1));
  StartSidecar(FakeApis());
  std::string description;
  for (int line = 0; description.size() < 6000; ++line) {
    description += "line " + std::to_string(line) +
                   ": a < b && c > d, <b>not bold</b> <a href=\"x\">no link</a> &amp; "
                   "&lt;tag&gt; <script>alert(1)</script>\n";
  }
  description.resize(6000);
  const Labels labels = {{"alertname", "CheckoutVerbose"}, {"severity", "warning"}};
  auto response = Post(Payload(labels, {{"description", description}}, NowUnixMs() - 60'000));
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(WaitFor([&] { return QueuesEmpty() && !tg_.Messages().empty(); })) << Diagnostics();

  const std::vector<telegram::Call> calls = tg_.Calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ(calls[1].status, 429);
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i != 1) {
      EXPECT_EQ(calls[i].status, 200) << i << ": " << calls[i].description;
    }
  }
  const std::vector<telegram::Message> parts = tg_.Messages();
  ASSERT_GE(parts.size(), 2u);
  EXPECT_EQ(parts.size(), calls.size() - 1) << "a part was sent twice";
  std::string all;
  for (const auto& part : parts) {
    EXPECT_EQ(part.parse_mode, "HTML") << "no part fell back to plain text";
    all += part.text + "\n";
  }
  const std::string whole = WithoutSpaces(all);
  const size_t at = whole.find(WithoutSpaces(description));
  EXPECT_NE(at, std::string::npos) << "the description is cut or altered";
  EXPECT_EQ(whole.find("line0:", at + 1), std::string::npos) << "told twice";
  // Slack and PagerDuty took theirs too (Slack in several sections, PagerDuty whole).
  ASSERT_EQ(slack_.Accepted().size(), 1u);
  EXPECT_TRUE(Contains(WithoutSpaces(SlackSections(slack_.Accepted()[0])),
                       "line0:a&lt;b&amp;&amp;c&gt;d,&lt;b&gt;notbold&lt;/b&gt;"))
      << SlackSections(slack_.Accepted()[0]).substr(0, 400);
  ASSERT_EQ(pd_.AcceptedEvents().size(), 1u);
  EXPECT_EQ(pd_.AcceptedEvents()[0]["payload"]["custom_details"]["description"], description);
}

// Slack fails three times with 500, then takes the message: delivered once.
TEST_F(Delivery, SlackServerErrorsAreRetriedUntilDeliveredOnce) {
  slack_.FailNext(3, 500, "rollup_error");
  StartSidecar(FakeApis());
  const Labels labels = {{"alertname", "CheckoutSlackFlaky"}, {"severity", "warning"}};
  auto response = Post(Payload(labels, {{"summary", "flaky slack"}}, NowUnixMs() - 60'000));
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(WaitFor([&] { return !slack_.Accepted().empty() && QueuesEmpty(); }))
      << Diagnostics();
  EXPECT_EQ(slack_.Statuses(), (std::vector<int>{500, 500, 500, 200}));
  EXPECT_EQ(slack_.Accepted().size(), 1u);
  const Scrape scrape = exporter_.ScrapeMetrics();
  EXPECT_EQ(scrape.Value("codebot_exporter_notification_requests_failed_total",
                         {{"integration", "slack"}, {"reason", "server_error"}}),
            3.0);
  EXPECT_EQ(
      scrape.Value("codebot_exporter_notifications_total", {{"integration", "slack"}}).value_or(0),
      1.0);
  EXPECT_EQ(scrape.Value("codebot_exporter_notifications_failed_total",
                         {{"integration", "slack"}, {"reason", "server_error"}}),
            0.0);
  EXPECT_EQ(slack_.Accepted()[0]["attachments"][0]["color"], notify::slack::kColorWarning);
  // PagerDuty, undisturbed, got the alert's own severity.
  ASSERT_EQ(pd_.AcceptedEvents().size(), 1u);
  EXPECT_EQ(pd_.AcceptedEvents()[0]["payload"]["severity"], "warning");
}

// PagerDuty refuses the event (400): not retried, counted as failed with its reason.
TEST_F(Delivery, PagerDutyBadRequestIsNotRetriedAndCounted) {
  pd_.FailNext(1, 400,
               R"({"status":"invalid event","message":"Event object is invalid","errors":["x"]})");
  StartSidecar(FakeApis());
  const Labels labels = {{"alertname", "CheckoutPdRefused"}, {"severity", "critical"}};
  auto response = Post(Payload(labels, {{"summary", "refused"}}, NowUnixMs() - 60'000));
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_notifications_failed_total",
                   {{"integration", "pagerduty"}, {"reason", "client_error"}}) == 1.0;
  })) << Diagnostics();
  // The other integrations delivered theirs; PagerDuty was asked once and the entry is gone.
  ASSERT_TRUE(WaitFor([&] { return QueuesEmpty() && tg_.Messages().size() == 1; }));
  EXPECT_EQ(pd_.RequestCount(), 1u);
  EXPECT_EQ(pd_.Statuses(), (std::vector<int>{400}));
  EXPECT_TRUE(Contains(exporter_.Logs(), "client_error")) << Diagnostics();
}

// Every API is down (nothing listens) and the sidecar is killed with notifications pending: once
// it is back with the same data_dir, and the APIs with it, every notification arrives.
TEST_F(Delivery, PendingNotificationsSurviveKillNine) {
  const int tg_port = FreePort();
  const int slack_port = FreePort();
  const int pd_port = FreePort();
  const Apis down = {
      "http://127.0.0.1:" + std::to_string(tg_port),
      "http://127.0.0.1:" + std::to_string(slack_port) + std::string(FakeSlack::kDefaultPath),
      "http://127.0.0.1:" + std::to_string(pd_port) + "/v2/enqueue"};
  StartSidecar(down);
  const std::vector<std::string> names = {"CheckoutPendingA", "CheckoutPendingB",
                                          "CheckoutPendingC"};
  for (const auto& name : names) {
    auto response = Post(Payload({{"alertname", name}, {"severity", "critical"}},
                                 {{"summary", name + " summary"}}, NowUnixMs() - 60'000));
    ASSERT_EQ(response.status, 200) << response.body;
  }
  // Every integration tried and failed to connect; all three notifications wait for each.
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    for (const char* integration : {"telegram", "slack", "pagerduty"}) {
      if (s.Value("codebot_exporter_notification_queue_length", {{"integration", integration}}) !=
              3.0 ||
          s.Value("codebot_exporter_notification_requests_failed_total",
                  {{"integration", integration}, {"reason", "connect"}})
                  .value_or(0) < 1) {
        return false;
      }
    }
    return true;
  })) << exporter_.ScrapeMetrics().text
      << Diagnostics();
  exporter_.process().Signal(SIGKILL);
  ASSERT_GE(exporter_.process().Wait(std::chrono::seconds(10)), 0);

  // The APIs come back where the sidecar expects them, and so does the sidecar.
  FakeTelegram tg(tg_.token(), {}, tg_port);
  tg.AddChat(kChat);
  FakeSlack slack(std::string(FakeSlack::kDefaultPath), slack_port);
  slack.Start();
  FakePagerDuty pd(pd_port);
  pd.Start();
  StartSidecar(down);
  ASSERT_TRUE(WaitFor([&] {
    return tg.Messages().size() >= 3 && slack.Accepted().size() >= 3 &&
           pd.AcceptedEvents().size() >= 3;
  })) << Diagnostics();
  for (const auto& name : names) {
    EXPECT_EQ(MessagesWith(tg, "FIRING \u00b7 " + name).size(), 1u) << name;
    EXPECT_EQ(SlackWith(slack, "FIRING \u00b7 " + name).size(), 1u) << name;
    size_t triggers = 0;
    for (const auto& event : pd.AcceptedEvents()) {
      triggers += event["payload"]["summary"] == name + " summary" ? 1 : 0;
    }
    EXPECT_EQ(triggers, 1u) << name;
  }
  ASSERT_TRUE(WaitFor([&] { return QueuesEmpty(); }));
}

// The firing message is delivered, the sidecar is killed, and the resolution comes after the
// restart: the Telegram message still replies to the firing one (its id lives in the outbox's
// state, not in memory) and PagerDuty resolves the incident the trigger opened.
TEST_F(Delivery, ResolvedRepliesToTheFiringMessageAcrossKillNine) {
  StartSidecar(FakeApis());
  const int64_t starts = WholeSecondsMs(NowUnixMs()) - 60'000;
  const Labels labels = {{"alertname", "CheckoutAcrossRestart"}, {"severity", "critical"}};
  ASSERT_EQ(Post(Payload(labels, {{"summary", "across a restart"}}, starts)).status, 200);
  ASSERT_TRUE(WaitFor([&] {
    return !tg_.Messages().empty() && !pd_.AcceptedEvents().empty() && !slack_.Accepted().empty();
  })) << Diagnostics();
  const telegram::Message firing = tg_.Messages().front();
  const std::string dedup_key = pd_.AcceptedEvents().front()["dedup_key"];
  ASSERT_TRUE(WaitFor([&] { return QueuesEmpty(); }));
  exporter_.process().Signal(SIGKILL);
  ASSERT_GE(exporter_.process().Wait(std::chrono::seconds(10)), 0);

  StartSidecar(FakeApis());
  const int64_t ends = WholeSecondsMs(NowUnixMs());
  ASSERT_EQ(Post(Payload(labels, {{"summary", "across a restart"}}, starts, ends)).status, 200);
  ASSERT_TRUE(WaitFor([&] {
    return !MessagesWith(tg_, "RESOLVED").empty() && !PagerDutyEvents(pd_, "resolve").empty();
  })) << Diagnostics();
  EXPECT_EQ(MessagesWith(tg_, "RESOLVED").front().reply_to_message_id, firing.message_id);
  EXPECT_EQ(PagerDutyEvents(pd_, "resolve").front()["dedup_key"], dedup_key);
  EXPECT_FALSE(pd_.OpenIncident(dedup_key).has_value());
  EXPECT_EQ(MessagesWith(tg_, "FIRING").size(), 1u) << "the firing message is not told again";
}

// The Telegram URL was wrong, the notification waits on a long backoff; the operator fixes the
// config and reloads: the lane restarted with the new config sends what waited, without waiting
// out a backoff earned by the old one.
TEST_F(Delivery, ReloadThatFixesAnIntegrationSendsWhatWaited) {
  ConfigOptions options;
  options.backoff = "  min_backoff: 1h\n  max_backoff: 1h\n";
  Apis wrong = FakeApis();
  wrong.telegram = "http://127.0.0.1:" + std::to_string(FreePort());
  StartSidecar(wrong, options);
  const Labels labels = {{"alertname", "CheckoutWaitsForAFix"}, {"severity", "warning"}};
  ASSERT_EQ(Post(Payload(labels, {}, NowUnixMs() - 60'000)).status, 200);
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    const double failed = s.Value("codebot_exporter_notification_requests_failed_total",
                                  {{"integration", "telegram"}, {"reason", "connect"}})
                              .value_or(0);
    const double queued =
        s.Value("codebot_exporter_notification_queue_length", {{"integration", "telegram"}})
            .value_or(0);
    return failed == 1.0 && queued == 1.0;
  })) << Diagnostics();

  WriteFile(exporter_.config_path(), Config(FakeApis(), options));
  auto reload = HttpPost(exporter_.Url("/-/reload"), "", "text/plain", 10000, Authorized());
  ASSERT_EQ(reload.status, 200) << reload.body;
  ASSERT_TRUE(WaitFor([&] { return tg_.Messages().size() == 1 && QueuesEmpty(); }))
      << Diagnostics();
  EXPECT_TRUE(Contains(tg_.Messages()[0].text, "CheckoutWaitsForAFix"));
  // The integrations whose config did not change kept their lanes: told once.
  EXPECT_EQ(slack_.Accepted().size(), 1u);
  EXPECT_EQ(pd_.AcceptedEvents().size(), 1u);
}

// Alertmanager's alert through our route tree (POST /alertmanager) is acknowledged, and the
// sidecar is killed during group_wait, before anything was queued for the integrations: the
// restarted sidecar still tells it (the 200 meant the dispatcher's state held it on disk).
TEST_F(Delivery, AcknowledgedAlertSurvivesKillNineDuringGroupWait) {
  ConfigOptions options;
  options.group_wait = "2s";
  StartSidecar(FakeApis(), options);
  const Labels labels = {{"alertname", "CheckoutInGroupWait"}, {"severity", "critical"}};
  // Started now: an alert older than group_wait would be flushed at once (as Alertmanager does).
  ASSERT_EQ(Post(Payload(labels, {{"summary", "waiting"}}, NowUnixMs()), true).status, 200);
  exporter_.process().Signal(SIGKILL);
  ASSERT_GE(exporter_.process().Wait(std::chrono::seconds(10)), 0);
  ASSERT_EQ(tg_.CallCount(), 0u) << "killed within group_wait";

  StartSidecar(FakeApis(), options);
  ASSERT_TRUE(WaitFor([&] {
    return tg_.Messages().size() == 1 && slack_.Accepted().size() == 1 &&
           pd_.AcceptedEvents().size() == 1;
  })) << Diagnostics();
  EXPECT_TRUE(Contains(tg_.Messages()[0].text, "CheckoutInGroupWait"));
}

// Ten malformed payloads get 400 with the reason and queue nothing; POSTs without the bearer
// token (or with a wrong one) get 401. A valid POST after them is the only thing any API sees.
TEST_F(Delivery, MalformedAndUnauthenticatedRequestsQueueNothing) {
  StartSidecar(FakeApis());
  const int64_t starts = NowUnixMs() - 60'000;
  const Labels labels = {{"alertname", "CheckoutMalformed"}, {"severity", "critical"}};
  const json valid = Payload(labels, {{"summary", "valid"}}, starts);
  auto with = [&](const std::function<void(json&)>& change) {
    json payload = valid;
    change(payload);
    return payload.dump();
  };
  struct BadCase {
    std::string body;
    std::string reason;  // in the 400's body
  };
  const std::vector<BadCase> cases = {
      {"", "JSON"},
      {"{\"version\": \"4\", \"alerts\": [", "JSON"},
      {"[]", "expected a JSON object"},
      {with([](json& p) { p["version"] = "3"; }), "version"},
      {with([](json& p) { p.erase("alerts"); }), "alerts"},
      {with([](json& p) { p["alerts"] = json::array(); }), "alerts"},
      {with([](json& p) { p["alerts"][0]["labels"].erase("alertname"); }), "alertname"},
      {with([](json& p) { p["alerts"][0]["startsAt"] = "yesterday"; }), "startsAt"},
      {with([](json& p) { p["alerts"][0]["status"] = "burning"; }), "status"},
      {with([](json& p) { p["alerts"][0]["labels"]["severity"] = 5; }), "severity"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + ": " + cases[i].body.substr(0, 80));
    const std::string path = i % 2 == 0 ? "/alertmanager" : "/alertmanager/oncall";
    auto response =
        HttpPost(exporter_.Url(path), cases[i].body, "application/json", 5000, Authorized());
    ASSERT_TRUE(response.transport_ok()) << response.error_message;
    EXPECT_EQ(response.status, 400);
    EXPECT_TRUE(Contains(response.body, cases[i].reason)) << response.body;
  }
  for (const http::Headers& headers :
       {http::Headers{}, http::Headers{{"Authorization", "Bearer not-the-token"}}}) {
    for (bool tree : {false, true}) {
      auto response = Post(valid, tree, headers);
      ASSERT_TRUE(response.transport_ok()) << response.error_message;
      EXPECT_EQ(response.status, 401);
    }
  }
  const Scrape scrape = exporter_.ScrapeMetrics();
  EXPECT_EQ(scrape.Value("codebot_exporter_webhook_requests_total", {{"outcome", "invalid"}}),
            10.0);
  EXPECT_EQ(scrape.Value("codebot_exporter_webhook_requests_total", {{"outcome", "unauthorized"}}),
            4.0);
  EXPECT_TRUE(QueuesEmpty()) << scrape.text;

  // The valid one, authenticated: what the APIs receive is it alone. Posted twice, as
  // Alertmanager retries a POST whose answer it did not get: told once.
  for (int i = 0; i < 2; ++i) {
    auto response = Post(valid);
    ASSERT_EQ(response.status, 200) << response.body;
  }
  ASSERT_TRUE(WaitFor([&] {
    return !tg_.Messages().empty() && !slack_.Accepted().empty() && !pd_.AcceptedEvents().empty() &&
           QueuesEmpty();
  })) << Diagnostics();
  EXPECT_EQ(tg_.CallCount(), 1u);
  EXPECT_EQ(slack_.RequestCount(), 1u);
  EXPECT_EQ(pd_.RequestCount(), 1u);
}

// Secrets pasted into an annotation (a GitHub token, a Telegram bot token), and the bot token of
// the config itself, appear in no request any API received, no log line and no metric; the
// alert is still told, with the secrets replaced.
TEST_F(Delivery, SecretsInAnnotationsLeaveRedacted) {
  CODEBOT_REQUIRE_PROGRAM(AlertmanagerServer::Available(), "prometheus-alertmanager");
  StartSidecar(FakeApis());
  AlertmanagerServer am;
  std::string error;
  // Through Alertmanager and our own route tree this time (POST /alertmanager).
  ASSERT_TRUE(am.Start(R"(route:
  receiver: sidecar
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 500ms
receivers:
  - name: sidecar
    webhook_configs:
      - url: )" + exporter_.Url("/alertmanager") +
                           R"(
        send_resolved: true
        http_config:
          authorization:
            credentials: )" +
                           kBearer + "\n",
                       &error))
      << error;
  const Labels labels = {{"alertname", "CheckoutLeakyAnnotation"}, {"severity", "warning"}};
  const Labels annotations = {
      {"description", "clone failed: https://x-access-token:" + kGitHubToken +
                          "@github.com/o/r.git; bot token " + kBotToken + " rejected"},
      {"summary", "Leaky " + kGitHubToken}};
  const int64_t starts = WholeSecondsMs(NowUnixMs()) - 60'000;
  ASSERT_TRUE(am.PostAlerts(json::array({AlertJson(labels, annotations, starts, kNoTime)}), &error))
      << error;
  ASSERT_TRUE(WaitFor([&] {
    return !tg_.Messages().empty() && !slack_.Accepted().empty() && !pd_.AcceptedEvents().empty();
  })) << am.Logs()
      << Diagnostics();
  ASSERT_TRUE(am.PostAlerts(
      json::array({AlertJson(labels, annotations, starts, WholeSecondsMs(NowUnixMs()))}), &error))
      << error;
  ASSERT_TRUE(WaitFor([&] {
    return !MessagesWith(tg_, "RESOLVED").empty() && !SlackWith(slack_, "RESOLVED").empty() &&
           !PagerDutyEvents(pd_, "resolve").empty() && QueuesEmpty();
  })) << am.Logs()
      << Diagnostics();

  // Told, with the secrets replaced.
  const telegram::Message firing = tg_.Messages().front();
  EXPECT_TRUE(Contains(firing.text, "clone failed: https://x-access-token:")) << firing.text;
  EXPECT_TRUE(Contains(firing.text, "<redacted>")) << firing.text;

  std::vector<std::string> sent;
  for (const auto& call : tg_.Calls()) sent.push_back("telegram: " + call.body);
  for (const auto& request : slack_.Requests()) sent.push_back("slack: " + request.body);
  for (const auto& request : pd_.Requests()) sent.push_back("pagerduty: " + request.body);
  ASSERT_GE(sent.size(), 6u);
  const std::string logs = exporter_.Logs();
  const std::string metrics = exporter_.ScrapeMetrics().text;
  // The config's own secrets: never in a log line or a metric (the routing key is in PagerDuty's
  // requests by design, the webhook URL is Slack's address).
  for (const std::string& secret : {std::string(kRoutingKey), std::string(kBearer),
                                    std::string(FakeSlack::kDefaultPath.substr(1))}) {
    EXPECT_FALSE(Contains(logs, secret)) << secret;
    EXPECT_FALSE(Contains(metrics, secret)) << secret;
  }
  for (const std::string& secret : {kGitHubToken, kBotToken, tg_.token()}) {
    SCOPED_TRACE(secret);
    for (const auto& body : sent) EXPECT_FALSE(Contains(body, secret)) << body;
    // Also the parts of a token a JSON or HTML escaper might split it into.
    const std::string tail = secret.substr(secret.size() - 20);
    for (const auto& body : sent) EXPECT_FALSE(Contains(body, tail)) << body;
    EXPECT_FALSE(Contains(logs, tail)) << logs;
    EXPECT_FALSE(Contains(metrics, tail));
  }
}

}  // namespace
}  // namespace codebot::testing
