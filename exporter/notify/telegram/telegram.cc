#include "exporter/notify/telegram/telegram.h"

#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "exporter/core/log.h"
#include "exporter/http/client.h"
#include "exporter/notify/telegram/html.h"
#include "exporter/notify/telegram/render.h"

namespace codebot::notify::telegram {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kIntegration = "telegram";
// Telegram answers sendMessage with the message it created: a few kB at most.
constexpr size_t kMaxAnswerBytes = 1 << 20;

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// What one sendMessage request came back with.
struct Answer {
  http::ClientError transport = http::ClientError::kNone;
  std::string transport_message;
  int status = 0;
  bool ok = false;  // {"ok":true,...} with a message id
  int64_t message_id = 0;
  std::string description;  // Telegram's own words on an error
  std::optional<int64_t> retry_after_s;
  std::optional<int64_t> migrate_to_chat_id;

  bool Says(std::string_view words) const {
    return status == 400 && description.find(words) != std::string::npos;
  }
};

std::optional<int64_t> IntField(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

void ReadBody(const std::string& body, Answer& answer) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return;
  if (const auto it = json.find("description"); it != json.end() && it->is_string()) {
    answer.description = it->get<std::string>();
  }
  if (const auto it = json.find("parameters"); it != json.end()) {
    answer.retry_after_s = IntField(*it, "retry_after");
    answer.migrate_to_chat_id = IntField(*it, "migrate_to_chat_id");
  }
  const auto ok = json.find("ok");
  const auto result = json.find("result");
  if (ok != json.end() && ok->is_boolean() && ok->get<bool>() && result != json.end()) {
    if (const auto id = IntField(*result, "message_id")) {
      answer.ok = true;
      answer.message_id = *id;
    }
  }
}

std::string Replace(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t pos = 0; (pos = text.find(secret, pos)) != std::string::npos;) {
    text.replace(pos, secret.size(), "<redacted>");
    pos += 10;
  }
  return text;
}

// One message as sendMessage takes it.
struct Send {
  int64_t chat_id = 0;
  int64_t thread_id = 0;
  std::string text;
  bool html = true;
  bool silent = false;
  std::optional<int64_t> reply_to;
};

std::string Body(const Send& send) {
  nlohmann::ordered_json body;
  body["chat_id"] = send.chat_id;
  if (send.thread_id != 0) body["message_thread_id"] = send.thread_id;
  body["text"] = send.text;
  if (send.html) body["parse_mode"] = "HTML";
  // Both spellings: link_preview_options since Bot API 7.0, the older one for self-hosted
  // Bot API servers that predate it (Telegram takes the new one when both are given).
  body["link_preview_options"] = {{"is_disabled", true}};
  body["disable_web_page_preview"] = true;
  body["disable_notification"] = send.silent;
  if (send.reply_to) {
    body["reply_parameters"] = {{"message_id", *send.reply_to},
                                {"allow_sending_without_reply", true}};
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view Reason(const Answer& answer) {
  switch (answer.transport) {
    case http::ClientError::kNone:
      break;
    case http::ClientError::kTimeout:
      return kReasonTimeout;
    case http::ClientError::kConnect:
      return kReasonConnect;
    case http::ClientError::kTooLarge:
    case http::ClientError::kOther:
      return kReasonOther;
  }
  if (answer.ok) return "";
  if (answer.status == 429) return kReasonRateLimited;
  if (answer.status >= 500) return kReasonServerError;
  if (answer.status >= 400) return kReasonClientError;
  return kReasonOther;  // 2xx without a message, 1xx, 3xx
}

class TelegramNotifier final : public Notifier {
 public:
  TelegramNotifier(const config::TelegramConfig& config, std::string external_url, Options options)
      : config_(config),
        external_url_(std::move(external_url)),
        now_(options.now ? std::move(options.now) : [] { return SteadyClock::now(); }),
        limiter_(options.limiter != nullptr ? options.limiter : &ProcessRateLimiter()) {}

  Attempt Notify(const alerts::Notification& notification, EntryState& state, SharedState& shared,
                 Deadline deadline) override {
    Attempt attempt;
    std::string token_error;
    const std::optional<std::string> token = config_.bot_token.Resolve(&token_error);
    if (!token || token->empty()) {
      attempt.outcome = Outcome::kRetry;  // a secret file mid-rotation comes back
      attempt.reason = std::string(kReasonOther);
      attempt.error = "telegram: bot token unavailable" +
                      (token_error.empty() ? std::string() : ": " + token_error);
      return attempt;
    }
    token_ = *token;
    std::string base = config_.api_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    url_ = base + "/bot" + token_ + "/sendMessage";

    const bool html = !config_.parse_mode.empty();
    const std::vector<std::string> parts =
        SplitMessage(RenderText(notification, external_url_, html), html);
    state["parts"] = std::to_string(parts.size());

    int64_t chat_id = config_.chat_id;
    if (const auto migrated = shared.Get(MigratedChatKey(config_.chat_id))) {
      chat_id = ParseInt(*migrated).value_or(chat_id);
    }
    const bool firing = notification.Firing() > 0;
    const bool resolves = notification.Resolved() > 0;

    for (size_t i = 0; i < parts.size(); ++i) {
      if (state.contains(PartKey(i))) continue;  // delivered by an earlier attempt
      const milliseconds wait = limiter_->Reserve(chat_id, now_());
      if (wait > milliseconds(0)) {
        attempt.outcome = Outcome::kRetry;
        attempt.reason = std::string(kReasonRateLimited);
        attempt.throttled = true;
        attempt.retry_after = wait;
        attempt.error = "telegram: held back by the flood limits of chat " +
                        std::to_string(chat_id) + " (part " + std::to_string(i + 1) + " of " +
                        std::to_string(parts.size()) + ")";
        return attempt;
      }
      Send send;
      send.chat_id = chat_id;
      send.thread_id = config_.message_thread_id;
      send.text = parts[i];
      send.html = html;
      // Nobody needs to be woken to learn that something is fine again.
      send.silent = config_.disable_notifications || !firing;
      const std::string reply_key =
          ReplyKey(chat_id, config_.message_thread_id, notification.group_key);
      if (i == 0 && resolves) {
        if (const auto id = shared.Get(reply_key)) send.reply_to = ParseInt(*id);
      }

      std::optional<Answer> delivered = SendPart(notification, send, shared, deadline, attempt);
      if (!delivered) return attempt;
      chat_id = send.chat_id;  // a migration moved it
      state[PartKey(i)] = std::to_string(delivered->message_id);
      if (i == 0 && firing) {
        shared.Set(ReplyKey(chat_id, config_.message_thread_id, notification.group_key),
                   std::to_string(delivered->message_id));
      }
    }
    if (!firing) shared.Erase(ReplyKey(chat_id, config_.message_thread_id, notification.group_key));
    attempt.outcome = Outcome::kDelivered;
    attempt.reason.clear();
    attempt.error.clear();
    return attempt;
  }

 private:
  // Sends one part, following Telegram's corrections within the attempt (plain text, migrated
  // chat, deleted topic) once each. nullopt: the attempt ends with the verdict set.
  std::optional<Answer> SendPart(const alerts::Notification& notification, Send& send,
                                 SharedState& shared, Deadline deadline, Attempt& attempt) {
    bool tried_plain = false;
    bool tried_migrate = false;
    bool tried_no_thread = false;
    while (true) {
      const milliseconds left = Remaining(deadline);
      if (left <= milliseconds(0)) {
        SetVerdict(attempt, Outcome::kRetry, kReasonTimeout,
                   "telegram: deadline reached before the request");
        return std::nullopt;
      }
      const Answer answer = Post(send, left);
      const std::string_view reason = Reason(answer);
      attempt.requests.emplace_back(reason);
      if (answer.ok) return answer;

      if (answer.Says("can't parse entities") && send.html && !tried_plain) {
        tried_plain = true;
        log::Warn("telegram refused the message's HTML; sending it again as plain text",
                  {{"alert_id", notification.id},
                   {"integration", kIntegration},
                   {"error", Scrub(answer.description)}});
        send.text = HtmlToPlain(send.text);
        send.html = false;
        continue;
      }
      if (answer.status == 400 && answer.migrate_to_chat_id && !tried_migrate) {
        tried_migrate = true;
        log::Warn("telegram chat was upgraded to a supergroup; following it",
                  {{"alert_id", notification.id},
                   {"integration", kIntegration},
                   {"chat_id", send.chat_id},
                   {"migrate_to_chat_id", *answer.migrate_to_chat_id}});
        shared.Set(MigratedChatKey(config_.chat_id), std::to_string(*answer.migrate_to_chat_id));
        send.chat_id = *answer.migrate_to_chat_id;
        continue;
      }
      if (answer.Says("message thread not found") && send.thread_id != 0 && !tried_no_thread) {
        tried_no_thread = true;
        log::Warn("telegram topic not found; sending to the chat without message_thread_id",
                  {{"alert_id", notification.id},
                   {"integration", kIntegration},
                   {"chat_id", send.chat_id},
                   {"message_thread_id", send.thread_id}});
        send.thread_id = 0;
        continue;
      }

      Outcome outcome = Outcome::kRetry;
      if (answer.transport == http::ClientError::kNone && answer.status >= 400 &&
          answer.status < 500 && answer.status != 429) {
        outcome = Outcome::kFailed;
      }
      SetVerdict(attempt, outcome, reason, Describe(answer));
      if (answer.retry_after_s && *answer.retry_after_s >= 0) {
        attempt.retry_after = std::chrono::seconds(*answer.retry_after_s);
      }
      return std::nullopt;
    }
  }

  Answer Post(const Send& send, milliseconds timeout) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = url_;
    request.headers = {{"Content-Type", "application/json"}};
    request.body = Body(send);
    request.timeout = timeout;
    request.max_body_bytes = kMaxAnswerBytes;
    const http::ClientResponse response = client_.Do(request);
    Answer answer;
    answer.transport = response.error;
    if (!response.transport_ok()) {
      answer.transport_message = response.error_message;
      return answer;
    }
    answer.status = response.status;
    ReadBody(response.body, answer);
    if (response.status < 200 || response.status >= 300) answer.ok = false;
    return answer;
  }

  static void SetVerdict(Attempt& attempt, Outcome outcome, std::string_view reason,
                         std::string error) {
    attempt.outcome = outcome;
    attempt.reason = std::string(reason);
    attempt.error = std::move(error);
  }

  // The error text for the delivery layer's log line: Telegram's description and status, or
  // the transport failure; never the URL (it holds the token).
  std::string Describe(const Answer& answer) const {
    if (answer.transport != http::ClientError::kNone) {
      return Scrub("telegram: " + std::string(http::ClientErrorName(answer.transport)) + ": " +
                   answer.transport_message);
    }
    std::string text = "telegram: ";
    text += answer.description.empty() ? "unexpected answer" : answer.description;
    text += " (" + std::to_string(answer.status) + ")";
    return Scrub(text);
  }

  std::string Scrub(std::string text) const { return Replace(std::move(text), token_); }

  config::TelegramConfig config_;
  std::string external_url_;
  std::function<SteadyClock::time_point()> now_;
  RateLimiter* limiter_;
  http::Client client_;
  std::string token_;  // this attempt's, for scrubbing
  std::string url_;
};

}  // namespace

std::string ReplyKey(int64_t chat_id, int64_t thread_id, std::string_view group_key) {
  return "reply/" + std::to_string(chat_id) + "/" + std::to_string(thread_id) + "/" +
         std::string(group_key);
}

std::string MigratedChatKey(int64_t configured_chat_id) {
  return "migrated_chat/" + std::to_string(configured_chat_id);
}

std::string PartKey(size_t index) { return "part." + std::to_string(index); }

std::unique_ptr<Notifier> NewNotifier(const config::TelegramConfig& config,
                                      std::string external_url, Options options) {
  return std::make_unique<TelegramNotifier>(config, std::move(external_url), std::move(options));
}

}  // namespace codebot::notify::telegram
