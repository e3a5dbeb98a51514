// A local Telegram Bot API (sendMessage) for unit and end-to-end tests, as strict as the real
// one: it checks the bot token in the path (401 Unauthorized), parses `text` with parse_mode
// HTML the way Telegram's own parser (tdlib) does and rejects what Telegram rejects with the
// same words and byte offsets ("Bad Request: can't parse entities: Unsupported start tag \"foo\"
// at byte offset 10"), counts the length Telegram counts (UTF-16 code units after parsing and
// trimming; over 4096 is "message is too long"), knows which chats and forum topics exist, who
// blocked the bot and which groups were upgraded to supergroups, and follows replies. Faults are
// scripted per request (429 with retry_after, 5xx, 403, migrate_to_chat_id, a slow answer).
//
// Everything Telegram accepted is recorded as the reader would see it (text without markup plus
// entities, with the raw text beside it), and every request with the answer it got.
//
// One deliberate difference: Telegram keeps an '&' that starts no entity as a literal '&'; this
// fake rejects it ("Unescaped \"&\" at byte offset N") unless strict_ampersand is turned off, so
// that an unescaped value fails the tests before it garbles a message in production.
//
// Usage:
//   testing::telegram::FakeTelegram tg;             // started, token kDefaultToken
//   tg.AddChat(-1001234567890);
//   config.api_url = tg.ApiUrl();  config.bot_token.inline_value = tg.token();
//   tg.EnqueueFault(FakeTelegram::TooManyRequests(2));
//   ... tg.WaitForMessages(1, 5s); tg.Messages()[0].text ...
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/time.h"
#include "tests/support/fake_http.h"

namespace codebot::testing::telegram {

// Shaped like a real token: <bot id>:<35 characters>.
inline constexpr std::string_view kDefaultToken =
    "7012345678:AAE_fakeTelegramBotTokenForTests12345";

// A MessageEntity as the Bot API returns it (offset and length in UTF-16 code units).
struct Entity {
  std::string type;  // bold, italic, underline, strikethrough, spoiler, text_link, code, pre,
                     // blockquote, expandable_blockquote, custom_emoji
  int64_t offset = 0;
  int64_t length = 0;
  std::string url;              // text_link
  std::string language;         // pre
  std::string custom_emoji_id;  // custom_emoji
  friend bool operator==(const Entity&, const Entity&) = default;
};

struct ParsedText {
  std::string text;
  std::vector<Entity> entities;
};

struct ParseOptions {
  bool strict_ampersand = true;  // see the header comment
};

// Telegram's HTML parse mode: the text without markup and its entities, before trimming. On
// markup Telegram refuses, nullopt and *error holds what follows "can't parse entities: ".
std::optional<ParsedText> ParseHtml(std::string_view html, std::string* error,
                                    const ParseOptions& options = {});
// Leading and trailing whitespace removed, as Telegram does before storing a message.
ParsedText TrimText(ParsedText parsed);
// UTF-16 code units of UTF-8 text: Telegram's unit for lengths and offsets.
int64_t Utf16Length(std::string_view utf8);
// The text an entity covers.
std::string EntityText(const ParsedText& parsed, const Entity& entity);

// A message Telegram accepted.
struct Message {
  int64_t chat_id = 0;
  int64_t message_id = 0;         // per chat, from 1
  int64_t message_thread_id = 0;  // 0: none
  std::string text;               // as the reader sees it: markup parsed, trimmed
  std::vector<Entity> entities;
  std::string raw_text;                        // the text parameter as sent
  std::string parse_mode;                      // as sent; "" when none
  std::optional<int64_t> reply_to_message_id;  // set when it replies to an existing message
  bool disable_notification = false;
  bool link_preview_disabled = false;  // link_preview_options.is_disabled or the old flag
  int64_t date_ms = 0;                 // when it arrived, Unix ms
  SteadyClock::time_point received;
  std::string request_body;
};

// Every request to /bot..., accepted or not.
struct Call {
  std::string method;  // as in the path
  int status = 0;
  std::string description;  // Telegram's error description; "" when accepted
  std::string body;         // the request body
  SteadyClock::time_point at;
};

// A scripted answer: status and body as sent after `delay`. status 0: after the delay, answer
// as the API normally would (a slow Telegram).
struct Fault {
  int status = 0;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};
};

class FakeTelegram {
 public:
  // port 0: a free one (see FakeHttp).
  explicit FakeTelegram(std::string token = std::string(kDefaultToken), ParseOptions options = {},
                        int port = 0);
  ~FakeTelegram();
  FakeTelegram(const FakeTelegram&) = delete;
  FakeTelegram& operator=(const FakeTelegram&) = delete;

  // For TelegramConfig.api_url: http://127.0.0.1:<port>
  std::string ApiUrl() const;
  std::string token() const;
  // The bot token changed (BotFather /revoke): the old one answers 401 from now on.
  void SetToken(std::string token);

  // Chats that exist. The type follows the id as Telegram's do: > 0 private, <= -10^12
  // supergroup (-100...), else a basic group.
  void AddChat(int64_t chat_id);
  // A forum supergroup and one of its topics (message_thread_id).
  void AddTopic(int64_t chat_id, int64_t thread_id);
  void DeleteTopic(int64_t chat_id, int64_t thread_id);
  // The group was upgraded: sending to group_id answers 400 with migrate_to_chat_id, and
  // supergroup_id exists from now on.
  void UpgradeToSupergroup(int64_t group_id, int64_t supergroup_id);
  // 403 "Forbidden: bot was blocked by the user" (private) / "bot was kicked from the group
  // chat" (groups) from now on.
  void BlockBot(int64_t chat_id);

  // The next sendMessage requests (one per fault, in order) get these answers instead of being
  // processed; checked after the token, so a wrong token still gets 401.
  void EnqueueFault(const Fault& fault, int times = 1);
  static Fault TooManyRequests(int retry_after_seconds);
  static Fault InternalServerError();                  // 500, Telegram's JSON
  static Fault BadGateway();                           // 502, nginx's HTML page
  static Fault Blocked();                              // 403
  static Fault ChatNotFound();                         // 400
  static Fault Migrated(int64_t migrate_to_chat_id);   // 400 with parameters
  static Fault Slow(std::chrono::milliseconds delay);  // then answers normally

  std::vector<Message> Messages() const;
  std::vector<Message> Messages(int64_t chat_id) const;
  std::vector<Call> Calls() const;
  size_t CallCount() const;
  // Waits until at least n messages were accepted; false on timeout.
  bool WaitForMessages(size_t n, std::chrono::milliseconds timeout) const;

  FakeHttp& server() { return http_; }

 private:
  struct Chat {
    std::string type;  // private, group, supergroup
    bool forum = false;
    std::set<int64_t> topics;
    std::optional<int64_t> migrated_to;
    bool blocked = false;
    int64_t next_message_id = 1;
    std::set<int64_t> message_ids;
  };
  http::Response Handle(const http::Request& request);
  http::Response SendMessage(const http::Request& request);
  Chat& AddChatLocked(int64_t chat_id);

  std::string bot_username_;
  ParseOptions options_;
  FakeHttp http_;
  mutable std::mutex mutex_;
  mutable std::condition_variable accepted_;
  std::string token_;
  std::map<int64_t, Chat> chats_;
  std::deque<Fault> faults_;
  std::vector<Message> messages_;
  std::vector<Call> calls_;
};

}  // namespace codebot::testing::telegram
