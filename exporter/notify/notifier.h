// What every integration (notify/telegram, notify/slack, notify/pagerduty, notify/webhook)
// implements: one attempt at delivering one notification, and a verdict on whether another
// attempt makes sense. Integrations never sleep, retry, count or log deliveries themselves: the
// delivery layer (notify/delivery) owns backoff, give-up, metrics and log lines for all of them,
// so the integrations stay small and their rules (which answers are final) stay in one place
// each.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/alerts/notification.h"
#include "exporter/core/time.h"

namespace codebot::notify {

enum class Outcome {
  kDelivered,  // done: the API accepted everything
  kRetry,      // worth trying again later (5xx, 429, timeout, connection refused)
  kFailed,     // final: the API rejected it and would reject it again (most 4xx)
};

// Bounded values of the `reason` label of failures, shared by every integration.
inline constexpr std::string_view kReasonClientError = "client_error";  // 4xx other than 429
inline constexpr std::string_view kReasonServerError = "server_error";  // 5xx
inline constexpr std::string_view kReasonRateLimited = "rate_limited";  // 429
inline constexpr std::string_view kReasonTimeout = "timeout";
inline constexpr std::string_view kReasonConnect = "connect";
inline constexpr std::string_view kReasonOther = "other";      // malformed answer, body too large
inline constexpr std::string_view kReasonExpired = "expired";  // retried past max_age (delivery)

struct Attempt {
  Outcome outcome = Outcome::kDelivered;
  std::string reason;  // one of the kReason* values when not delivered
  std::string error;   // for the log line: what the API said (never a secret or full URL)
  // The API said how long to wait (Telegram's parameters.retry_after, a Retry-After header).
  std::optional<std::chrono::milliseconds> retry_after;
  // The integration's own rate limit (Telegram's 1 message/s per chat) held the attempt back
  // before any request: not a failure, try again after retry_after.
  bool throttled = false;
  // Every HTTP request made in this attempt, by outcome: "" for success, else a kReason* value.
  std::vector<std::string> requests;
};

// Per-delivery state kept durably with the outbox entry across attempts and restarts: what part
// of the notification is already delivered (message ids of the parts of a long Telegram message,
// the PagerDuty events already accepted).
using EntryState = std::map<std::string, std::string>;

// State shared by all deliveries of one integration instance, kept durably in the outbox: the
// message id of a group's last firing Telegram message (so the resolved one replies to it), a
// migrated chat id. Keys are the integration's own.
class SharedState {
 public:
  virtual ~SharedState() = default;
  virtual std::optional<std::string> Get(const std::string& key) const = 0;
  virtual void Set(const std::string& key, std::string value) = 0;
  virtual void Erase(const std::string& key) = 0;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // One attempt, finished by the deadline. The notification has already been filtered by
  // send_resolved (it holds at least one alert to tell about). Called from one thread at a time.
  virtual Attempt Notify(const alerts::Notification& notification, EntryState& state,
                         SharedState& shared, Deadline deadline) = 0;
};

}  // namespace codebot::notify
