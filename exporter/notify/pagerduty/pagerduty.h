// PagerDuty through the Events API v2 (POST {url}, default
// https://events.pagerduty.com/v2/enqueue): a `trigger` for what fires and a `resolve` for what
// resolved, with a stable dedup_key so that the resolve closes the incident the trigger opened. Per
// alert by default (dedup_key = the alert's fingerprint: a new alert in a group opens its own
// incident instead of updating an old one, Alertmanager's #2874), or per group (dedup_key = SHA-256
// hex of the group key, exactly as Alertmanager computes it, so incidents it opened are the same
// incidents). Never logs, sleeps or retries (notify/delivery does), and never lets the routing key
// (a secret) reach an error text, a log line or anything but the `routing_key` field of the body.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/alerts/notification.h"
#include "exporter/config/notifications.h"
#include "exporter/notify/message.h"
#include "exporter/notify/notifier.h"

namespace codebot::notify::pagerduty {

// The API's limits (developer.pagerduty.com, Events API v2).
inline constexpr size_t kMaxSummaryChars = 1024;
inline constexpr size_t kMaxEventBytes = size_t{512} * 1024;
inline constexpr size_t kMaxDedupKeyChars = 255;

// Where the events come from, for `source` and `client_url` when the config does not say.
struct Origin {
  std::string external_url;  // the sidecar's; used when the notification carries none
  std::string host_name;     // `source` when the config has none
};

// One request to make. The body holds the routing key: it is never logged or shown.
struct Event {
  std::string action;  // "trigger" or "resolve"
  std::string dedup_key;
  std::string body;  // JSON, at most kMaxEventBytes
};

// text cut to at most max_chars runes at a UTF-8 boundary, "…" as the last one when cut
// (Alertmanager's 400 on summaries over 1024 characters loses the alert, #1700).
std::string CutSummary(std::string_view text, size_t max_chars = kMaxSummaryChars);

// The event severity: config.severity when set (read like the label), else the alert's
// `severity` label: critical, error, warning and info map to themselves ("page", "emergency"
// and "high" to critical, "low" to info, as notify::ParseSeverity reads them); anything else, or no
// label, is warning, the severity of a problem nobody ranked.
Severity EventSeverity(const config::PagerDutyConfig& config, std::string_view severity_label);

// dedup_key of a group: Alertmanager's, the SHA-256 hex of the group key.
std::string GroupDedupKey(std::string_view group_key);

// The events of a notification in the order they are sent: per alert (firing first, highest
// severity first, then resolved) or one per group. Resolve events carry routing_key, dedup_key
// and event_action only. Every inserted value passes through the sanitiser.
std::vector<Event> BuildEvents(const alerts::Notification& notification,
                               const config::PagerDutyConfig& config, const Origin& origin,
                               std::string_view routing_key);

// The notifier for one pagerduty_configs entry. Each accepted event is recorded in the entry's
// state, so a retry sends only the rest. Verdicts: 202 next event; 400 ("invalid event") final for
// that event, its errors quoted, the other events still sent; other 4xx final; 429 and 5xx and
// transport failures retry (Retry-After honoured when given).
std::unique_ptr<Notifier> NewNotifier(const config::PagerDutyConfig& config,
                                      std::string external_url, std::string host_name);

}  // namespace codebot::notify::pagerduty
