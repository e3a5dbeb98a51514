// Slack: the message a notification becomes (golden bodies for firing and resolved, mrkdwn
// escaping, Block Kit limits kept without losing text, the 50-block cap saying what it left out)
// and the verdicts on Slack's answers, against a fake that validates like Slack and answers with
// its plain-string errors. No secret (the webhook URL) reaches an error, a log line or a message.
#include "exporter/notify/slack/slack.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporter/core/log.h"
#include "exporter/core/sanitize.h"
#include "exporter/core/time.h"
#include "tests/support/env.h"
#include "tests/support/fake_apis.h"
#include "tests/support/process.h"

namespace codebot::notify::slack {
namespace {

using nlohmann::json;
using testing::FakeSlack;

const int64_t kStartsAt = *ParseRfc3339("2026-11-22T05:07:03Z");
const int64_t kEndsAt = *ParseRfc3339("2026-11-22T05:19:33Z");  // 12m 30s later

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

alerts::NotifiedAlert LatencyAlert(const std::string& instance, alerts::Status status) {
  alerts::NotifiedAlert n;
  n.alert.labels = {{"alertname", "HighLatency"},
                    {"instance", instance},
                    {"service", "checkout-api"},
                    {"severity", "critical"}};
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
                          "If a deploy started it, roll back",
                          "Scale checkout-api if CPU > 80% & queue grows"};
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
  n.common_annotations = {{"runbook_url", "https://runbooks.example.com/HighLatency"}};
  n.external_url = "http://sidecar.example:9877";
  n.created_ms = kStartsAt;
  n.alerts = {LatencyAlert("api-1:8080", status), LatencyAlert("api-2:8080", status)};
  return n;
}

config::SlackConfig Config(const std::string& url) {
  config::SlackConfig config;
  config.api_url.inline_value = url;
  config.channel = "#ops";
  config.username = "codebot";
  config.send_resolved = true;
  return config;
}

Deadline Soon() { return SteadyClock::now() + std::chrono::seconds(10); }

// Golden bodies: compared as JSON; CODEBOT_UPDATE_GOLDEN=1 rewrites them.
void ExpectGolden(const std::string& name, const std::string& body) {
  const std::string path = testing::SourceDir() + "/tests/data/notify/" + name;
  const json actual = json::parse(body);
  if (std::getenv("CODEBOT_UPDATE_GOLDEN") != nullptr) {
    // In the order the notifier writes the fields, so the file reads like the wire.
    testing::WriteFile(path, nlohmann::ordered_json::parse(body).dump(2) + "\n");
  }
  const json expected = json::parse(testing::ReadFile(path));
  EXPECT_EQ(actual, expected) << "golden " << name << " differs; got:\n" << actual.dump(2);
}

std::vector<std::string> SectionTexts(const json& message) {
  std::vector<std::string> texts;
  for (const auto& block : message["blocks"]) {
    if (block["type"] == "section") texts.push_back(block["text"]["text"]);
  }
  return texts;
}

std::string Unescape(std::string text) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
      text.replace(pos, from.size(), to);
      pos += to.size();
    }
  }
  return text;
}

class SlackTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }
  FakeSlack fake_;
  EntryState state_;
  MapState shared_;
};

TEST(SlackPayload, GoldenFiring) {
  ExpectGolden("slack-firing.json", RenderPayload(Latency(alerts::Status::kFiring),
                                                  Config("https://hooks.slack.invalid/x")));
}

TEST(SlackPayload, GoldenResolved) {
  ExpectGolden("slack-resolved.json", RenderPayload(Latency(alerts::Status::kResolved),
                                                    Config("https://hooks.slack.invalid/x")));
}

TEST(SlackPayload, FiringHasHeadlineColourActionsAndButtons) {
  const json message =
      json::parse(RenderPayload(Latency(alerts::Status::kFiring), Config("https://x.invalid/")));
  EXPECT_EQ(FakeSlack::Validate(message), "");
  EXPECT_EQ(message["text"], "🔴 FIRING 2 · HighLatency");
  EXPECT_EQ(message["channel"], "#ops");
  EXPECT_EQ(message["username"], "codebot");
  EXPECT_FALSE(message.contains("icon_emoji"));
  EXPECT_EQ(message["blocks"][0]["type"], "header");
  EXPECT_EQ(message["attachments"][0]["color"], std::string(kColorCritical));
  const std::vector<std::string> sections = SectionTexts(message);
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_NE(sections[0].find("🔴 *High p99 latency on api-1:8080*"), std::string::npos);
  EXPECT_NE(sections[0].find("(&gt; 500ms threshold)"), std::string::npos) << sections[0];
  EXPECT_NE(sections[0].find("1. Open the latency dashboard"), std::string::npos);
  EXPECT_NE(sections[0].find("3. Scale checkout-api if CPU &gt; 80% &amp; queue grows"),
            std::string::npos);
  EXPECT_NE(sections[0].find("*Affected services:* checkout, payments"), std::string::npos);
  EXPECT_NE(sections[0].find("Firing since <!date^1795324023^"), std::string::npos);
  int action_blocks = 0;
  for (const auto& block : message["blocks"]) {
    if (block["type"] != "actions") continue;
    ++action_blocks;
    ASSERT_EQ(block["elements"].size(), 2u);
    EXPECT_EQ(block["elements"][0]["url"], "https://runbooks.example.com/HighLatency");
    EXPECT_EQ(block["elements"][1]["text"]["text"], "📈 Checkout latency");
  }
  EXPECT_EQ(action_blocks, 2);
  EXPECT_TRUE(FakeSlack::MessageMrkdwnProblems(message).empty());
}

TEST(SlackPayload, ResolvedSaysHowLongItFiredInGreen) {
  const json message =
      json::parse(RenderPayload(Latency(alerts::Status::kResolved), Config("https://x.invalid/")));
  EXPECT_EQ(message["text"], "✅ RESOLVED · HighLatency");
  EXPECT_EQ(message["attachments"][0]["color"], std::string(kColorResolved));
  const std::vector<std::string> sections = SectionTexts(message);
  ASSERT_FALSE(sections.empty());
  EXPECT_NE(sections[0].find("Resolved after firing for *12m 30s*"), std::string::npos);
}

TEST(SlackPayload, SeverityPicksTheColour) {
  for (const auto& [label, colour] :
       std::vector<std::pair<std::string, std::string_view>>{{"critical", kColorCritical},
                                                             {"error", kColorError},
                                                             {"warning", kColorWarning},
                                                             {"info", kColorInfo},
                                                             {"whatever", kColorWarning}}) {
    alerts::Notification n = Latency(alerts::Status::kFiring);
    for (auto& a : n.alerts) a.alert.labels[3].value = label;
    const json message = json::parse(RenderPayload(n, Config("https://x.invalid/")));
    EXPECT_EQ(message["attachments"][0]["color"], std::string(colour)) << label;
  }
}

TEST(SlackPayload, EveryInsertedValueIsEscaped) {
  alerts::Notification n = Latency(alerts::Status::kFiring);
  n.group_labels = {{"alertname", "HighLatency"}, {"route", "</a><b>&x"}};
  n.alerts[0].alert.labels.push_back({"zz", "a<b>&c"});
  n.alerts[0].alert.annotations[2].value = "<!channel> & <https://evil.example|click>";
  n.alerts[0].alert.annotations[0].value = "1 < 2 && 3 > 2 <@U123>";
  n.alerts[0].enrichment.affected_services = {"<svc>"};
  n.alerts[0].enrichment.actions = {"run `a > b & c`"};
  const json message = json::parse(RenderPayload(n, Config("https://x.invalid/")));
  EXPECT_EQ(FakeSlack::Validate(message), "");
  const auto problems = FakeSlack::MessageMrkdwnProblems(message);
  EXPECT_TRUE(problems.empty()) << problems.front();
  const std::string all = message.dump();
  EXPECT_EQ(all.find("<!channel>"), std::string::npos) << "a mention must not ping the channel";
  EXPECT_EQ(all.find("<https://evil.example"), std::string::npos);
  EXPECT_NE(all.find("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"),
            std::string::npos);
  EXPECT_NE(all.find("zz=a&lt;b&gt;&amp;c"), std::string::npos);
  EXPECT_NE(message["text"].get<std::string>().find("route=&lt;/a&gt;&lt;b&gt;&amp;x"),
            std::string::npos);
}

TEST(SlackPayload, LongDescriptionIsSplitAtLinesNotCut) {
  alerts::Notification n = Latency(alerts::Status::kFiring);
  n.alerts.resize(1);
  std::string description;
  for (int i = 0; i < 400; ++i) {
    description += "line " + std::to_string(i) + ": queue < limit && p99 > SLO <b>x</b>\n";
  }
  n.alerts[0].alert.annotations[0].value = description;
  const json message = json::parse(RenderPayload(n, Config("https://x.invalid/")));
  EXPECT_EQ(FakeSlack::Validate(message), "");
  const std::vector<std::string> sections = SectionTexts(message);
  EXPECT_GE(sections.size(), 7u);  // ~24,000 escaped characters
  std::string joined;
  for (const auto& text : sections) {
    EXPECT_LE(FakeSlack::Utf16Length(text), kMaxSectionText);
    EXPECT_TRUE(FakeSlack::MrkdwnProblems(text).empty());
    joined += Unescape(text) + "\n";
  }
  for (int i = 0; i < 400; ++i) {
    const std::string line =
        "line " + std::to_string(i) + ": queue < limit && p99 > SLO <b>x</b>\n";
    EXPECT_NE(joined.find(line), std::string::npos) << "lost or broken: " << line;
  }
}

TEST(SlackPayload, SplitKeepsEntitiesAndLinksWhole) {
  const std::string text = std::string(2990, 'a') + " &amp;&amp;&amp; <https://x.example|y> tail";
  const std::vector<std::string> pieces = SplitMrkdwn(text, 3000);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], std::string(2990, 'a'));
  EXPECT_EQ(pieces[1], "&amp;&amp;&amp; <https://x.example|y> tail");
  // No break character at all: cut at a rune boundary, entities whole.
  std::string dense;
  for (int i = 0; i < 1000; ++i) dense += "é&lt;";
  for (const auto& piece : SplitMrkdwn(dense, 100)) {
    EXPECT_LE(Utf16Length(piece), 100u);
    EXPECT_TRUE(FakeSlack::MrkdwnProblems(piece).empty()) << piece;
  }
  EXPECT_EQ(Utf16Length("😀é"), 3u);
}

TEST(SlackPayload, FiftyBlockCapSaysHowManyAlertsWereLeftOut) {
  alerts::Notification n = Latency(alerts::Status::kFiring);
  n.alerts.clear();
  for (int i = 0; i < 40; ++i) {
    n.alerts.push_back(LatencyAlert("api-" + std::to_string(i), alerts::Status::kFiring));
  }
  n.alerts.push_back(LatencyAlert("old-1", alerts::Status::kResolved));
  const json message = json::parse(RenderPayload(n, Config("https://x.invalid/")));
  EXPECT_EQ(FakeSlack::Validate(message), "");
  EXPECT_LE(message["blocks"].size(), kMaxBlocks);
  const std::vector<std::string> sections = SectionTexts(message);
  size_t shown = 0;
  for (const auto& text : sections)
    shown += text.find("*High p99 latency on ") != std::string::npos;
  const std::string& note = sections.back();
  const size_t left_out = 41 - shown;
  EXPECT_NE(note.find("and *" + std::to_string(left_out) + "* more alerts not shown"),
            std::string::npos)
      << note;
  EXPECT_NE(note.find("(" + std::to_string(left_out - 1) + " firing, 1 resolved)"),
            std::string::npos)
      << note;
  EXPECT_GT(shown, 10u);
}

TEST(SlackPayload, ChannelUsernameAndIconOnlyWhenConfigured) {
  config::SlackConfig config;
  config.api_url.inline_value = "https://x.invalid/";
  json message = json::parse(RenderPayload(Latency(alerts::Status::kFiring), config));
  EXPECT_FALSE(message.contains("channel"));
  EXPECT_FALSE(message.contains("username"));
  EXPECT_FALSE(message.contains("icon_url"));
  config.icon_emoji = ":rotating_light:";
  config.icon_url = "https://example.com/icon.png";
  message = json::parse(RenderPayload(Latency(alerts::Status::kFiring), config));
  EXPECT_EQ(message["icon_emoji"], ":rotating_light:");
  EXPECT_EQ(message["icon_url"], "https://example.com/icon.png");
}

TEST_F(SlackTest, DeliveredMessageIsWhatSlackAccepted) {
  auto notifier = NewNotifier(Config(fake_.WebhookUrl()));
  const Attempt attempt =
      notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{""}));
  ASSERT_EQ(fake_.Accepted().size(), 1u);
  EXPECT_EQ(fake_.Accepted()[0]["text"], "🔴 FIRING 2 · HighLatency");
  const auto requests = fake_.Requests();
  EXPECT_EQ(requests[0].Header("Content-Type"), "application/json");
}

TEST_F(SlackTest, LongHtmlLookingDescriptionIsAcceptedWhole) {
  alerts::Notification n = Latency(alerts::Status::kFiring);
  std::string description;
  while (description.size() < 6000) description += "<b>bold</b> & <a href=\"x\">a < b</a> ";
  n.alerts[0].alert.annotations[0].value = description;
  auto notifier = NewNotifier(Config(fake_.WebhookUrl()));
  const Attempt attempt = notifier->Notify(n, state_, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  ASSERT_EQ(fake_.Accepted().size(), 1u);
  const json message = fake_.Accepted()[0];
  EXPECT_TRUE(FakeSlack::MessageMrkdwnProblems(message).empty());
  std::string joined;
  for (const auto& text : SectionTexts(message)) joined += Unescape(text) + " ";
  // Split only at spaces: every piece of the text arrives, none twice.
  auto count = [](const std::string& text, const std::string& what) {
    size_t found = 0;
    for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
      ++found;
    }
    return found;
  };
  for (const std::string piece : {"<b>bold</b>", "<a href=\"x\">a", "b</a>", "</b> & <a"}) {
    EXPECT_EQ(count(joined, piece), count(description, piece)) << piece;
  }
  EXPECT_GT(count(description, "<b>bold</b>"), 150u);
}

TEST_F(SlackTest, ThreeServerErrorsThenDeliveredOnce) {
  fake_.FailNext(3, 500, "rollup_error");
  auto notifier = NewNotifier(Config(fake_.WebhookUrl()));
  for (int i = 0; i < 3; ++i) {
    const Attempt attempt =
        notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
    EXPECT_EQ(attempt.outcome, Outcome::kRetry);
    EXPECT_EQ(attempt.reason, kReasonServerError);
    EXPECT_EQ(attempt.error, "HTTP 500: rollup_error");
    EXPECT_EQ(attempt.requests, (std::vector<std::string>{"server_error"}));
  }
  const Attempt attempt =
      notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered);
  EXPECT_EQ(fake_.Accepted().size(), 1u);
  EXPECT_EQ(fake_.Statuses(), (std::vector<int>{500, 500, 500, 200}));
}

TEST_F(SlackTest, RateLimitedRetriesAfterWhatSlackSaid) {
  fake_.FailNext(1, 429, "rate_limited", "7");
  auto notifier = NewNotifier(Config(fake_.WebhookUrl()));
  const Attempt attempt =
      notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonRateLimited);
  ASSERT_TRUE(attempt.retry_after.has_value());
  EXPECT_EQ(*attempt.retry_after, std::chrono::seconds(7));
  // Without the header: still a retry, the delivery layer's backoff decides when.
  fake_.FailNext(1, 429, "rate_limited");
  const Attempt bare = notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
  EXPECT_EQ(bare.outcome, Outcome::kRetry);
  EXPECT_FALSE(bare.retry_after.has_value());
}

TEST_F(SlackTest, ClientErrorsAreFinalWithSlacksWord) {
  auto notifier = NewNotifier(Config(fake_.WebhookUrl()));
  for (const auto& [status, word] :
       std::vector<std::pair<int, std::string>>{{400, "invalid_payload"},
                                                {403, "action_prohibited"},
                                                {404, "channel_not_found"},
                                                {410, "channel_is_archived"}}) {
    fake_.FailNext(1, status, word);
    const Attempt attempt =
        notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
    EXPECT_EQ(attempt.outcome, Outcome::kFailed) << word;
    EXPECT_EQ(attempt.reason, kReasonClientError);
    EXPECT_EQ(attempt.error, "HTTP " + std::to_string(status) + ": " + word);
  }
  // An unknown (revoked) webhook: the fake answers as Slack does.
  auto revoked = NewNotifier(Config(fake_.UrlFor("/services/T0/B0/revoked")));
  const Attempt attempt =
      revoked->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kFailed);
  EXPECT_EQ(attempt.error, "HTTP 404: no_service");
}

TEST_F(SlackTest, FakeRefusesWhatSlackRefuses) {
  alerts::Notification n = Latency(alerts::Status::kFiring);
  auto notifier = NewNotifier(Config(fake_.WebhookUrl()));
  const json bad = {
      {"blocks",
       json::array({{{"type", "section"},
                     {"text", {{"type", "mrkdwn"}, {"text", std::string(3001, 'x')}}}}})}};
  EXPECT_EQ(FakeSlack::Validate(bad), "invalid_blocks");
  json too_many = {{"text", "x"}, {"blocks", json::array()}};
  for (int i = 0; i < 51; ++i) too_many["blocks"].push_back({{"type", "divider"}});
  EXPECT_EQ(FakeSlack::Validate(too_many), "invalid_blocks");
  const auto answer = testing::HttpPost(fake_.WebhookUrl(), "{not json");
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body, "invalid_payload");
  EXPECT_EQ(notifier->Notify(n, state_, shared_, Soon()).outcome, Outcome::kDelivered);
}

TEST_F(SlackTest, TransportFailuresRetry) {
  config::SlackConfig config = Config("http://127.0.0.1:1/services/T/B/secret");
  auto notifier = NewNotifier(config);
  const Attempt attempt =
      notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonConnect);
  // No time left: no request at all.
  const Attempt late = NewNotifier(Config(fake_.WebhookUrl()))
                           ->Notify(Latency(alerts::Status::kFiring), state_, shared_,
                                    SteadyClock::now() - std::chrono::seconds(1));
  EXPECT_EQ(late.outcome, Outcome::kRetry);
  EXPECT_EQ(late.reason, kReasonTimeout);
  EXPECT_EQ(fake_.RequestCount(), 0u);
}

TEST_F(SlackTest, UrlFileIsReadOnEveryAttempt) {
  testing::TempDir dir;
  const std::string file = dir.File("slack-url");
  testing::WriteFile(file, fake_.UrlFor("/services/T1/B1/old") + "\n");
  config::SlackConfig config;
  config.api_url.file = file;
  auto notifier = NewNotifier(config);
  EXPECT_EQ(notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon()).error,
            "HTTP 404: no_service");
  testing::WriteFile(file, fake_.WebhookUrl() + "\n");
  EXPECT_EQ(notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon()).outcome,
            Outcome::kDelivered);
  std::remove(file.c_str());
  const Attempt missing =
      notifier->Notify(Latency(alerts::Status::kFiring), state_, shared_, Soon());
  EXPECT_EQ(missing.outcome, Outcome::kRetry);
  EXPECT_EQ(missing.reason, kReasonOther);
}

TEST_F(SlackTest, WebhookUrlNeverLeaks) {
  const std::string token = "Zq8vT3kWm1xR7yP2nB5cL9dF";
  const std::string url = fake_.UrlFor("/services/T0SECRET/B0SECRET/" + token);
  std::vector<std::string> lines;
  log::SetCaptureForTesting([&](std::string_view line) { lines.emplace_back(line); });

  std::vector<Attempt> attempts;
  auto notifier = NewNotifier(Config(url));
  alerts::Notification n = Latency(alerts::Status::kFiring);
  // Someone pasted the URL into an annotation: it must not be posted to the channel.
  n.alerts[0].alert.annotations[0].value = "see " + url;
  attempts.push_back(notifier->Notify(n, state_, shared_, Soon()));  // 404 no_service
  fake_.FailNext(1, 500, "rollup_error " + url);
  attempts.push_back(NewNotifier(Config(fake_.WebhookUrl()))->Notify(n, state_, shared_, Soon()));
  config::SlackConfig refused = Config("http://127.0.0.1:1/services/T0SECRET/B0SECRET/" + token);
  attempts.push_back(NewNotifier(refused)->Notify(n, state_, shared_, Soon()));
  config::SlackConfig missing;
  missing.api_url.file = "/nonexistent/slack-url";
  attempts.push_back(NewNotifier(missing)->Notify(n, state_, shared_, Soon()));
  attempts.push_back(NewNotifier(Config(fake_.WebhookUrl()))->Notify(n, state_, shared_, Soon()));
  log::SetCaptureForTesting(nullptr);

  for (const auto& attempt : attempts) {
    EXPECT_EQ(attempt.error.find(token), std::string::npos) << attempt.error;
    EXPECT_EQ(attempt.error.find("B0SECRET"), std::string::npos) << attempt.error;
  }
  for (const auto& line : lines) EXPECT_EQ(line.find(token), std::string::npos) << line;
  ASSERT_FALSE(fake_.Accepted().empty());
  EXPECT_EQ(fake_.Accepted().back().dump().find(token), std::string::npos);
  EXPECT_EQ(attempts[4].outcome, Outcome::kDelivered);
}

}  // namespace
}  // namespace codebot::notify::slack
