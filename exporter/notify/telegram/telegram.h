// Telegram delivery: one attempt at sending a notification with the Bot API's sendMessage
// (POST {api_url}/bot<token>/sendMessage, JSON), rendered as HTML (or plain text when
// parse_mode is empty), split into parts when longer than Telegram takes, and a verdict the
// delivery layer acts on. Where Alertmanager retries every error until the flush times out,
// this integration decides per answer:
//   200                     the part is recorded in the entry state; a retry sends only the rest
//   429                     retry after parameters.retry_after (rate_limited)
//   400 can't parse entities  the part is sent again at once as plain text (same attempt)
//   400 migrate_to_chat_id  the new chat id is kept in the shared state and used from then on
//   400 message thread not found  sent again at once without message_thread_id (the topic was
//                           deleted: the alert lands in the chat's General topic, not nowhere)
//   other 4xx               final (client_error): bot blocked, chat not found, bad token
//   5xx, timeout, connect   retry
// A message that resolves alerts replies to the group's last firing message (its id is kept in
// the shared state); a message that only tells about resolutions is sent without sound. Before
// any request the process-wide flood limits are checked: an attempt over them comes back
// throttled, with how long to wait.
//
// Must never put the bot token anywhere but the request URL: not in an error text, a log line
// or a metric (it is re-read from its file on every attempt, so a rotated token is used at once).
// Never sleeps, retries later or counts deliveries: the delivery layer does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "exporter/config/notifications.h"
#include "exporter/notify/notifier.h"
#include "exporter/notify/telegram/rate_limit.h"

namespace codebot::notify::telegram {

struct Options {
  // What the rate limiter reads as now; default the steady clock. Tests step their own.
  std::function<SteadyClock::time_point()> now;
  // Default: ProcessRateLimiter(), shared with every other Telegram notifier.
  RateLimiter* limiter = nullptr;
};

// `external_url` (the sidecar's --web.external-url) is linked as the source when a
// notification carries no external URL of its own.
std::unique_ptr<Notifier> NewNotifier(const config::TelegramConfig& config,
                                      std::string external_url, Options options = {});

// Keys of the shared state, exposed for tests and for whoever inspects an outbox.
// The message id of the last firing message of a group in a chat (a resolved message replies
// to it); erased once the group's all-resolved message is delivered.
std::string ReplyKey(int64_t chat_id, int64_t thread_id, std::string_view group_key);
// The chat a configured group chat was upgraded to (Telegram's migrate_to_chat_id).
std::string MigratedChatKey(int64_t configured_chat_id);
// Entry state: the message id of part `index` once Telegram accepted it.
std::string PartKey(size_t index);

}  // namespace codebot::notify::telegram
