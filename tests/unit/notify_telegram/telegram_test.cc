// The Telegram notifier against the strict fake Bot API: the exact request it sends, escaping of
// whatever alerts carry, long alerts split into parts Telegram accepts (and a retry sending only
// the parts not yet delivered), the verdict for every kind of answer (where Alertmanager retries
// 400s forever and ignores retry_after), chat migration, deleted topics, replies of resolved
// messages, our own flood limits, a rotated token, and no token in any error or log line.
#include "exporter/notify/telegram/telegram.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>

#include "exporter/core/log.h"
#include "exporter/core/sanitize.h"
#include "exporter/notify/telegram/html.h"
#include "exporter/notify/telegram/render.h"
#include "tests/support/env.h"
#include "tests/support/fake_telegram.h"

namespace codebot::notify::telegram {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fake = codebot::testing::telegram;

constexpr int64_t kChat = -1001234567890;
constexpr int64_t kPrivateChat = 555000111;

class MemoryState : public SharedState {
 public:
  std::optional<std::string> Get(const std::string& key) const override {
    const auto it = values.find(key);
    return it == values.end() ? std::nullopt : std::optional(it->second);
  }
  void Set(const std::string& key, std::string value) override { values[key] = std::move(value); }
  void Erase(const std::string& key) override { values.erase(key); }
  std::map<std::string, std::string> values;
};

alerts::Notification Sample(std::string id = "n-1") {
  alerts::Notification n;
  n.id = std::move(id);
  n.receiver = "oncall";
  n.group_key = "{}:{alertname=\"BotServiceDown\"}";
  n.group_labels = {{"alertname", "BotServiceDown"}};
  n.common_labels = {{"alertname", "BotServiceDown"}, {"severity", "critical"}};
  n.external_url = "http://sidecar.example:9877";
  alerts::NotifiedAlert a;
  a.alert.labels = {
      {"alertname", "BotServiceDown"}, {"instance", "bot-0:8080"}, {"severity", "critical"}};
  a.alert.annotations = {{"description", "No answer from bot-0:8080 for 2m."},
                         {"summary", "CodeBot is not answering"}};
  a.alert.starts_at_ms = *ParseRfc3339("2024-05-01T10:32:00Z");
  a.alert.generator_url = "http://sidecar.example:9877/rules";
  a.enrichment.actions = {"Check the pod", "Read the bot's logs"};
  a.enrichment.runbook_url = "https://runbooks.example.com/BotServiceDown";
  a.enrichment.affected_services = {"telegram-bot", "github-sync"};
  a.enrichment.dashboards = {{"Bot overview", "https://grafana.example.com/d/bot?from=1&to=2"}};
  n.alerts.push_back(a);
  return n;
}

alerts::Notification Resolved(alerts::Notification n) {
  n.id += "-resolved";
  for (auto& a : n.alerts) {
    a.status = alerts::Status::kResolved;
    a.alert.ends_at_ms = a.alert.starts_at_ms + 750'000;
  }
  return n;
}

std::string LongDescription() {
  std::string description;
  while (description.size() < 6000) {
    description += "p99 < 500ms & <b>rising</b> on \"api\" <script>x</script> &amp; ";
  }
  return description;
}

std::string WithoutBlanks(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c != ' ' && c != '\n' && c != '\t') out += c;
  }
  return out;
}

class TelegramNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Info: the fake's own HTTP server logs every request path (the token redacted) at debug.
    log::Init(log::Level::kInfo, log::Format::kJson);
    log::SetCaptureForTesting([this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_lines_.emplace_back(line);
    });
    fake_.AddChat(kChat);
    fake_.AddChat(kPrivateChat);
    config_.api_url = fake_.ApiUrl();
    config_.bot_token.inline_value = fake_.token();
    config_.chat_id = kChat;
  }

  void TearDown() override {
    log::SetCaptureForTesting(nullptr);
    std::lock_guard lock(log_mutex_);
    for (const auto& line : log_lines_) {
      EXPECT_EQ(line.find(fake_.token()), std::string::npos) << line;
      EXPECT_EQ(line.find("sendMessage"), std::string::npos) << line;
    }
    sanitize::ClearSecretsForTesting();
  }

  std::unique_ptr<Notifier> Make(RateLimiter* limiter = nullptr) {
    Options options;
    options.now = [this] { return now_; };
    options.limiter = limiter != nullptr ? limiter : &unlimited_;
    return NewNotifier(config_, "http://sidecar.example:9877", options);
  }

  Attempt Notify(Notifier& notifier, const alerts::Notification& n, EntryState& state) {
    Attempt attempt = notifier.Notify(n, state, shared_, SteadyClock::now() + seconds(10));
    EXPECT_EQ(attempt.error.find(fake_.token()), std::string::npos) << attempt.error;
    EXPECT_EQ(attempt.error.find("sendMessage"), std::string::npos) << attempt.error;
    return attempt;
  }

  std::vector<std::string> Logs() {
    std::lock_guard lock(log_mutex_);
    return log_lines_;
  }

  fake::FakeTelegram fake_;
  config::TelegramConfig config_;
  MemoryState shared_;
  RateLimiter unlimited_{
      RateLimits{.chat_burst = 1000, .group_per_minute = 1000, .global_per_second = 1000}};
  SteadyClock::time_point now_{seconds(1000)};
  std::mutex log_mutex_;
  std::vector<std::string> log_lines_;
};

TEST_F(TelegramNotifierTest, GoldenRequest) {
  auto notifier = Make();
  EntryState state;
  const Attempt attempt = Notify(*notifier, Sample(), state);
  ASSERT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  EXPECT_EQ(attempt.requests, std::vector<std::string>{""});

  const auto requests = fake_.server().Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/bot" + fake_.token() + "/sendMessage");
  EXPECT_EQ(requests[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].body,
            R"({"chat_id":-1001234567890,"text":"<b>🔴 FIRING · BotServiceDown</b>\n\n)"
            R"(🔴 <b>CodeBot is not answering</b>\n)"
            R"(<i>instance=bot-0:8080 · since 2024-05-01 10:32 UTC</i>\n)"
            R"(No answer from bot-0:8080 for 2m.\n)"
            R"(<b>Affected:</b> telegram-bot, github-sync\n)"
            R"(<b>What to do:</b>\n1. Check the pod\n2. Read the bot's logs\n)"
            R"(📖 <a href=\"https://runbooks.example.com/BotServiceDown\">Runbook</a> · )"
            R"(📊 <a href=\"https://grafana.example.com/d/bot?from=1&amp;to=2\">Bot overview</a> · )"
            R"(📈 <a href=\"http://sidecar.example:9877/rules\">Query</a>\n\n)"
            R"(🔗 <a href=\"http://sidecar.example:9877\">Source</a>",)"
            R"("parse_mode":"HTML","link_preview_options":{"is_disabled":true},)"
            R"("disable_web_page_preview":true,"disable_notification":false})");

  const auto messages = fake_.Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].text.substr(0, messages[0].text.find('\n')), "🔴 FIRING · BotServiceDown");
  EXPECT_TRUE(messages[0].link_preview_disabled);
  EXPECT_FALSE(messages[0].disable_notification);
  EXPECT_EQ(state.at(PartKey(0)), std::to_string(messages[0].message_id));
  EXPECT_EQ(shared_.values.at(ReplyKey(kChat, 0, Sample().group_key)),
            std::to_string(messages[0].message_id));
}

TEST_F(TelegramNotifierTest, EscapesEverythingAlertsCarry) {
  alerts::Notification n = Sample();
  auto& alert = n.alerts[0].alert;
  alert.labels = {{"alertname", "BotServiceDown"},
                  {"operation", "<search> & \"sync\""},
                  {"severity", "critical"}};
  alert.annotations = {
      {"description", "see <a href=\"http://evil.example\">here</a> &amp; <b>now</b> a<b"},
      {"summary", "Errors > 5% on <i>search</i> & co"}};
  n.alerts[0].enrichment.dashboards = {
      {"<Board> & \"x\"", "https://grafana.example.com/d/x?var=\"a\"&b=<c>"}};
  auto notifier = Make();
  EntryState state;
  const Attempt attempt = Notify(*notifier, n, state);
  ASSERT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;

  const auto messages = fake_.Messages();
  ASSERT_EQ(messages.size(), 1u);
  const std::string& text = messages[0].text;
  EXPECT_NE(text.find("operation=<search> & \"sync\""), std::string::npos) << text;
  EXPECT_NE(text.find("Errors > 5% on <i>search</i> & co"), std::string::npos);
  EXPECT_NE(text.find("see <a href=\"http://evil.example\">here</a> &amp; <b>now</b> a<b"),
            std::string::npos);
  EXPECT_NE(text.find("<Board> & \"x\""), std::string::npos);
  bool dashboard_link = false;
  for (const auto& entity : messages[0].entities) {
    EXPECT_NE(entity.url, "http://evil.example/");
    EXPECT_NE(entity.url, "http://evil.example");
    if (entity.type == "text_link" &&
        entity.url == "https://grafana.example.com/d/x?var=\"a\"&b=<c>") {
      dashboard_link = true;
    }
    if (entity.type == "bold" || entity.type == "italic") {
      const std::string styled = fake::EntityText({messages[0].text, messages[0].entities}, entity);
      EXPECT_TRUE(styled.find("now") == std::string::npos && styled != "search") << styled;
    }
  }
  EXPECT_TRUE(dashboard_link);
}

TEST_F(TelegramNotifierTest, LongAlertIsSplitIntoPartsTelegramAccepts) {
  alerts::Notification n = Sample();
  n.alerts[0].alert.annotations[0].value = LongDescription();
  auto notifier = Make();
  EntryState state;
  const Attempt attempt = Notify(*notifier, n, state);
  ASSERT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;

  const auto messages = fake_.Messages();
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(state.at("parts"), std::to_string(messages.size()));
  for (const auto& call : fake_.Calls()) EXPECT_EQ(call.status, 200) << call.description;
  std::string joined;
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_LE(fake::Utf16Length(messages[i].text), 4096);
    EXPECT_EQ(state.at(PartKey(i)), std::to_string(messages[i].message_id));
    joined += messages[i].text;
  }
  // Nothing lost, nothing doubled: the parts read as the whole message.
  std::string error;
  const auto whole = fake::ParseHtml(RenderText(n, "", true), &error);
  ASSERT_TRUE(whole) << error;
  EXPECT_EQ(WithoutBlanks(joined), WithoutBlanks(whole->text));
  EXPECT_NE(WithoutBlanks(joined).find(WithoutBlanks(LongDescription())), std::string::npos);
  // The headline leads the first part; the source link closes the last.
  EXPECT_EQ(messages.front().text.rfind("🔴 FIRING · BotServiceDown", 0), 0u);
  EXPECT_EQ(messages.back().entities.back().url, "http://sidecar.example:9877");
}

TEST_F(TelegramNotifierTest, RetrySendsOnlyThePartsNotYetDelivered) {
  alerts::Notification n = Sample();
  n.alerts[0].alert.annotations[0].value = LongDescription();
  fake_.EnqueueFault(fake::Fault{});  // the first part goes through
  fake_.EnqueueFault(fake::FakeTelegram::InternalServerError());
  auto notifier = Make();
  EntryState state;
  const Attempt first = Notify(*notifier, n, state);
  EXPECT_EQ(first.outcome, Outcome::kRetry);
  EXPECT_EQ(first.reason, kReasonServerError);
  EXPECT_EQ(first.requests, (std::vector<std::string>{"", "server_error"}));
  EXPECT_TRUE(state.contains(PartKey(0)));
  EXPECT_FALSE(state.contains(PartKey(1)));

  const Attempt second = Notify(*notifier, n, state);
  ASSERT_EQ(second.outcome, Outcome::kDelivered) << second.error;
  const size_t parts = std::stoul(state.at("parts"));
  EXPECT_EQ(fake_.Messages().size(), parts);  // no part twice
  EXPECT_EQ(fake_.CallCount(), parts + 1);
}

TEST_F(TelegramNotifierTest, RefusedHtmlIsResentOnceAsPlainText) {
  const std::string refused =
      R"({"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: )"
      R"(Unsupported start tag \"foo\" at byte offset 10"})";
  fake_.EnqueueFault(fake::Fault{400, refused});
  auto notifier = Make();
  EntryState state;
  const Attempt attempt = Notify(*notifier, Sample(), state);
  ASSERT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{"client_error", ""}));
  const auto messages = fake_.Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].parse_mode, "");
  EXPECT_EQ(messages[0].raw_text.find("<b>"), std::string::npos);
  EXPECT_NE(messages[0].text.find("Runbook (https://runbooks.example.com/BotServiceDown)"),
            std::string::npos)
      << messages[0].text;
  EXPECT_NE(messages[0].text.find("from=1&to=2"), std::string::npos);
  bool logged = false;
  for (const auto& line : Logs()) {
    if (line.find("plain text") != std::string::npos) {
      logged = true;
      EXPECT_NE(line.find("\"alert_id\":\"n-1\""), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(logged);

  // Refused twice: final, not retried forever as Alertmanager does.
  fake_.EnqueueFault(fake::Fault{400, refused}, 2);
  EntryState again;
  const Attempt twice = Notify(*notifier, Sample("n-2"), again);
  EXPECT_EQ(twice.outcome, Outcome::kFailed);
  EXPECT_EQ(twice.reason, kReasonClientError);
  EXPECT_EQ(twice.requests.size(), 2u);
}

TEST_F(TelegramNotifierTest, TooManyRequestsWaitsRetryAfter) {
  fake_.EnqueueFault(fake::FakeTelegram::TooManyRequests(2));
  auto notifier = Make();
  EntryState state;
  const Attempt attempt = Notify(*notifier, Sample(), state);
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonRateLimited);
  ASSERT_TRUE(attempt.retry_after.has_value());
  EXPECT_EQ(*attempt.retry_after, seconds(2));
  EXPECT_FALSE(attempt.throttled);
  EXPECT_EQ(attempt.error, "telegram: Too Many Requests: retry after 2 (429)");
  EXPECT_TRUE(fake_.Messages().empty());
  EXPECT_EQ(Notify(*notifier, Sample(), state).outcome, Outcome::kDelivered);
  EXPECT_EQ(fake_.Messages().size(), 1u);
}

TEST_F(TelegramNotifierTest, ServerErrorsAndTransportFailuresAreRetried) {
  auto notifier = Make();
  fake_.EnqueueFault(fake::FakeTelegram::InternalServerError());
  fake_.EnqueueFault(fake::FakeTelegram::BadGateway());
  EntryState state;
  Attempt attempt = Notify(*notifier, Sample(), state);
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonServerError);
  EXPECT_EQ(attempt.error, "telegram: Internal Server Error (500)");
  attempt = Notify(*notifier, Sample(), state);
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonServerError);
  EXPECT_EQ(attempt.error, "telegram: unexpected answer (502)");

  config_.api_url = "http://127.0.0.1:1";  // nothing listens there
  auto unreachable = Make();
  EntryState other;
  attempt = Notify(*unreachable, Sample(), other);
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonConnect);
  EXPECT_EQ(attempt.requests, std::vector<std::string>{"connect"});

  // A slow Telegram: the request ends with the attempt's deadline.
  fake_.EnqueueFault(fake::FakeTelegram::Slow(milliseconds(3000)));
  EntryState slow;
  attempt = notifier->Notify(Sample(), slow, shared_, SteadyClock::now() + milliseconds(300));
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonTimeout);
}

TEST_F(TelegramNotifierTest, DeadlineAlreadyPassedSendsNothing) {
  auto notifier = Make();
  EntryState state;
  const Attempt attempt =
      notifier->Notify(Sample(), state, shared_, SteadyClock::now() - seconds(1));
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonTimeout);
  EXPECT_EQ(fake_.CallCount(), 0u);
}

TEST_F(TelegramNotifierTest, MigratedGroupIsFollowedAndRemembered) {
  fake_.UpgradeToSupergroup(-4001, -1004001);
  config_.chat_id = -4001;
  auto notifier = Make();
  EntryState state;
  const Attempt attempt = Notify(*notifier, Sample(), state);
  ASSERT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{"client_error", ""}));
  EXPECT_EQ(fake_.Messages(-1004001).size(), 1u);
  EXPECT_EQ(shared_.values.at(MigratedChatKey(-4001)), "-1004001");

  // From then on straight to the supergroup, also from a new notifier sharing the state.
  auto restarted = Make();
  EntryState next;
  const size_t calls = fake_.CallCount();
  ASSERT_EQ(Notify(*restarted, Sample("n-2"), next).outcome, Outcome::kDelivered);
  EXPECT_EQ(fake_.CallCount(), calls + 1);
  EXPECT_EQ(fake_.Messages(-1004001).size(), 2u);
}

TEST_F(TelegramNotifierTest, BlockedBotAndUnknownChatAreFinal) {
  fake_.BlockBot(kPrivateChat);
  config_.chat_id = kPrivateChat;
  auto notifier = Make();
  EntryState state;
  Attempt attempt = Notify(*notifier, Sample(), state);
  EXPECT_EQ(attempt.outcome, Outcome::kFailed);
  EXPECT_EQ(attempt.reason, kReasonClientError);
  EXPECT_EQ(attempt.error, "telegram: Forbidden: bot was blocked by the user (403)");
  EXPECT_EQ(attempt.requests.size(), 1u);

  config_.chat_id = 42;
  auto unknown = Make();
  attempt = Notify(*unknown, Sample(), state);
  EXPECT_EQ(attempt.outcome, Outcome::kFailed);
  EXPECT_EQ(attempt.error, "telegram: Bad Request: chat not found (400)");
}

TEST_F(TelegramNotifierTest, ResolvedRepliesToTheFiringMessageSilently) {
  auto notifier = Make();
  EntryState firing_state;
  ASSERT_EQ(Notify(*notifier, Sample(), firing_state).outcome, Outcome::kDelivered);
  EntryState resolved_state;
  const Attempt attempt = Notify(*notifier, Resolved(Sample()), resolved_state);
  ASSERT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;

  const auto messages = fake_.Messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].reply_to_message_id, messages[0].message_id);
  EXPECT_TRUE(messages[1].disable_notification);
  EXPECT_EQ(messages[1].text.rfind("✅ RESOLVED · BotServiceDown", 0), 0u);
  EXPECT_NE(messages[1].text.find("resolved after 12m 30s"), std::string::npos);
  // The group is over: its next firing message starts a new thread.
  EXPECT_FALSE(shared_.values.contains(ReplyKey(kChat, 0, Sample().group_key)));
  EntryState again;
  ASSERT_EQ(Notify(*notifier, Resolved(Sample("n-3")), again).outcome, Outcome::kDelivered);
  EXPECT_FALSE(fake_.Messages().back().reply_to_message_id.has_value());
}

TEST_F(TelegramNotifierTest, DeletedTopicFallsBackToTheChat) {
  fake_.AddTopic(kChat, 7);
  config_.message_thread_id = 7;
  auto notifier = Make();
  EntryState state;
  ASSERT_EQ(Notify(*notifier, Sample(), state).outcome, Outcome::kDelivered);
  EXPECT_EQ(fake_.Messages().back().message_thread_id, 7);
  EXPECT_NE(fake_.Calls().back().body.find("\"message_thread_id\":7"), std::string::npos);

  fake_.DeleteTopic(kChat, 7);
  EntryState next;
  const Attempt attempt = Notify(*notifier, Sample("n-2"), next);
  ASSERT_EQ(attempt.outcome, Outcome::kDelivered) << attempt.error;
  EXPECT_EQ(attempt.requests, (std::vector<std::string>{"client_error", ""}));
  EXPECT_EQ(fake_.Messages().back().message_thread_id, 0);
  bool logged = false;
  for (const auto& line : Logs()) logged |= line.find("topic not found") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(TelegramNotifierTest, PlainParseModeSendsTextAsIs) {
  config_.parse_mode = "";
  alerts::Notification n = Sample();
  n.alerts[0].alert.annotations[0].value = "p99 < 500ms & <b>rising</b>";
  auto notifier = Make();
  EntryState state;
  ASSERT_EQ(Notify(*notifier, n, state).outcome, Outcome::kDelivered);
  const auto messages = fake_.Messages();
  const auto& message = messages.at(0);
  EXPECT_EQ(message.parse_mode, "");
  EXPECT_EQ(fake_.Calls().at(0).body.find("parse_mode"), std::string::npos);
  EXPECT_NE(message.text.find("p99 < 500ms & <b>rising</b>"), std::string::npos);
  EXPECT_NE(message.text.find("📖 Runbook: https://runbooks.example.com/BotServiceDown"),
            std::string::npos);
}

TEST_F(TelegramNotifierTest, RotatedTokenFileIsReadOnEveryAttempt) {
  testing::TempDir dir;
  const std::string file = dir.File("bot_token");
  std::ofstream(file) << fake_.token() << "\n";
  config_.bot_token = config::Secret{"", file};
  auto notifier = Make();
  EntryState state;
  ASSERT_EQ(Notify(*notifier, Sample(), state).outcome, Outcome::kDelivered);

  // Revoked: the old token is refused (final, and never quoted back).
  const std::string old_token = fake_.token();
  fake_.SetToken("7012345678:AAH_rotatedTelegramBotTokenForTests9876");
  EntryState refused;
  Attempt attempt = Notify(*notifier, Sample("n-2"), refused);
  EXPECT_EQ(attempt.outcome, Outcome::kFailed);
  EXPECT_EQ(attempt.error, "telegram: Unauthorized (401)");
  EXPECT_EQ(attempt.error.find(old_token), std::string::npos);

  std::ofstream(file) << fake_.token() << "\n";
  EntryState rotated;
  ASSERT_EQ(Notify(*notifier, Sample("n-3"), rotated).outcome, Outcome::kDelivered);
  EXPECT_EQ(fake_.Messages().size(), 2u);

  std::remove(file.c_str());
  EntryState missing;
  attempt = Notify(*notifier, Sample("n-4"), missing);
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_EQ(attempt.reason, kReasonOther);
  EXPECT_TRUE(attempt.requests.empty());
}

TEST_F(TelegramNotifierTest, FloodLimitsHoldBackBeforeAnyRequest) {
  RateLimiter limiter;  // Telegram's: 3 at once then 1/s per chat, 20/min per group, 30/s
  config_.chat_id = kPrivateChat;
  auto notifier = Make(&limiter);
  for (int i = 0; i < 3; ++i) {
    EntryState state;
    ASSERT_EQ(Notify(*notifier, Sample("n-" + std::to_string(i)), state).outcome,
              Outcome::kDelivered);
  }
  EntryState held;
  Attempt attempt = Notify(*notifier, Sample("n-held"), held);
  EXPECT_EQ(attempt.outcome, Outcome::kRetry);
  EXPECT_TRUE(attempt.throttled);
  ASSERT_TRUE(attempt.retry_after.has_value());
  EXPECT_EQ(*attempt.retry_after, milliseconds(1000));
  EXPECT_TRUE(attempt.requests.empty());
  EXPECT_EQ(fake_.CallCount(), 3u);
  now_ += seconds(1);
  EXPECT_EQ(Notify(*notifier, Sample("n-held"), held).outcome, Outcome::kDelivered);
}

TEST_F(TelegramNotifierTest, ThrottledPartsResumeWhereTheyStopped) {
  RateLimiter limiter(RateLimits{.chat_burst = 1});
  config_.chat_id = kPrivateChat;
  alerts::Notification n = Sample();
  n.alerts[0].alert.annotations[0].value = LongDescription();
  auto notifier = Make(&limiter);
  EntryState state;
  Attempt attempt = Notify(*notifier, n, state);
  EXPECT_TRUE(attempt.throttled);
  EXPECT_EQ(attempt.retry_after, milliseconds(1000));
  EXPECT_TRUE(state.contains(PartKey(0)));
  EXPECT_EQ(fake_.Messages().size(), 1u);
  const size_t parts = std::stoul(state.at("parts"));
  for (size_t i = 1; i < parts; ++i) {
    now_ += seconds(1);
    attempt = Notify(*notifier, n, state);
  }
  EXPECT_EQ(attempt.outcome, Outcome::kDelivered);
  EXPECT_EQ(fake_.Messages().size(), parts);
}

TEST(TelegramRateLimiter, GroupsGetTwentyAMinuteAndAllChatsThirtyASecond) {
  RateLimiter limiter(RateLimits{.chat_burst = 1000});
  const SteadyClock::time_point t0{seconds(100)};
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(limiter.Reserve(kChat, t0 + seconds(i)), milliseconds(0)) << i;
  }
  EXPECT_EQ(limiter.Reserve(kChat, t0 + seconds(20)), seconds(40));
  EXPECT_EQ(limiter.Reserve(kChat, t0 + seconds(60)), milliseconds(0));
  // A private chat is not a group: the per-minute limit does not apply.
  for (int i = 0; i < 25; ++i)
    EXPECT_EQ(limiter.Reserve(kPrivateChat, t0 + seconds(i)), milliseconds(0));

  RateLimiter global;
  const SteadyClock::time_point t1{seconds(500)};
  for (int chat = 1; chat <= 30; ++chat) EXPECT_EQ(global.Reserve(chat, t1), milliseconds(0));
  EXPECT_EQ(global.Reserve(31, t1 + milliseconds(400)), milliseconds(600));
  EXPECT_EQ(global.Reserve(31, t1 + seconds(1)), milliseconds(0));
}

TEST(TelegramRateLimiter, OneChatBurstsThenOneASecond) {
  RateLimiter limiter;
  const SteadyClock::time_point t0{seconds(100)};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Reserve(1, t0), milliseconds(0));
  EXPECT_EQ(limiter.Reserve(1, t0), milliseconds(1000));
  EXPECT_EQ(limiter.Reserve(1, t0 + milliseconds(250)), milliseconds(750));
  EXPECT_EQ(limiter.Reserve(1, t0 + seconds(1)), milliseconds(0));
  EXPECT_EQ(limiter.Reserve(1, t0 + seconds(1)), milliseconds(1000));
  EXPECT_EQ(limiter.Reserve(2, t0), milliseconds(0));  // another chat has its own budget
}

}  // namespace
}  // namespace codebot::notify::telegram
