// The delivery sections of the config, in Alertmanager's syntax so that `route`, `receivers` and
// `inhibit_rules` can be pasted into an alertmanager.yml (our extensions are listed in README):
// `notifications` (outbox, Grafana, playbooks), `route`, `receivers`, `inhibit_rules`.
// Plain data, compared by value on reload; read by ReadDelivery (notifications.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exporter/config/secret.h"
#include "exporter/core/duration.h"
#include "exporter/core/metric.h"
#include "exporter/core/series.h"

namespace codebot::config {

struct NotificationsConfig {
  std::string data_dir;                     // the durable outbox; required once a receiver exists
  std::string grafana_url;                  // "" : no dashboard links
  std::vector<std::string> playbook_files;  // resolved against the config file's folder
  // Our extensions: how long a notification is retried before it is given up, and the backoff.
  Duration max_age = std::chrono::hours(24);
  Duration min_backoff = std::chrono::milliseconds(500);
  Duration max_backoff = std::chrono::minutes(5);
  friend bool operator==(const NotificationsConfig&, const NotificationsConfig&) = default;
};

// One node of the route tree. Values not given are inherited from the parent (the root's
// defaults are Alertmanager's: group_wait 30s, group_interval 5m, repeat_interval 4h), so every
// node of a loaded config has all of them set.
struct Route {
  std::string receiver;
  std::vector<Matcher> matchers;      // `matchers`, plus the deprecated `match`/`match_re`
  bool continue_matching = false;     // `continue`
  std::vector<std::string> group_by;  // sorted label names
  bool group_by_all = false;          // group_by: ['...']
  Duration group_wait = std::chrono::seconds(30);
  Duration group_interval = std::chrono::minutes(5);
  Duration repeat_interval = std::chrono::hours(4);
  std::vector<Route> routes;
  friend bool operator==(const Route&, const Route&) = default;
};

struct TelegramConfig {
  bool send_resolved = true;
  std::string api_url = "https://api.telegram.org";
  Secret bot_token;  // bot_token or bot_token_file
  int64_t chat_id = 0;
  int64_t message_thread_id = 0;  // 0: none (our extension until Alertmanager 0.26)
  bool disable_notifications = false;
  std::string parse_mode = "HTML";  // "HTML" or "" (plain text)
  friend bool operator==(const TelegramConfig&, const TelegramConfig&) = default;
};

struct SlackConfig {
  bool send_resolved = false;  // Alertmanager's default
  Secret api_url;              // the incoming webhook URL: a secret (api_url or api_url_file)
  std::string channel;
  std::string username;
  std::string icon_emoji;
  std::string icon_url;
  friend bool operator==(const SlackConfig&, const SlackConfig&) = default;
};

enum class DedupKeyMode { kAlert, kGroup };

struct PagerDutyConfig {
  bool send_resolved = true;
  Secret routing_key;  // routing_key or routing_key_file
  std::string url = "https://events.pagerduty.com/v2/enqueue";
  std::string client = "codebot-exporter";
  std::string client_url;  // default: the sidecar's external URL
  // Fixed severity; empty: from the alert's `severity` label (critical, error, warning, info;
  // anything else is error).
  std::string severity;
  std::string source;  // default: the sidecar's host name
  std::string component;
  std::string group;
  std::string class_;                             // `class`
  DedupKeyMode dedup_key = DedupKeyMode::kAlert;  // our extension: `dedup_key: alert|group`
  friend bool operator==(const PagerDutyConfig&, const PagerDutyConfig&) = default;
};

struct WebhookConfig {
  bool send_resolved = true;
  Secret url;               // url or url_file: a webhook URL may carry a token
  uint64_t max_alerts = 0;  // 0: all
  friend bool operator==(const WebhookConfig&, const WebhookConfig&) = default;
};

struct Receiver {
  std::string name;
  std::vector<TelegramConfig> telegram_configs;
  std::vector<SlackConfig> slack_configs;
  std::vector<PagerDutyConfig> pagerduty_configs;
  std::vector<WebhookConfig> webhook_configs;
  friend bool operator==(const Receiver&, const Receiver&) = default;
};

struct InhibitRule {
  std::vector<Matcher> source_matchers;  // plus the deprecated source_match/source_match_re
  std::vector<Matcher> target_matchers;  // plus the deprecated target_match/target_match_re
  std::vector<std::string> equal;
  friend bool operator==(const InhibitRule&, const InhibitRule&) = default;
};

struct Delivery {
  NotificationsConfig notifications;
  std::optional<Route> route;  // required once a receiver exists
  std::vector<Receiver> receivers;
  std::vector<InhibitRule> inhibit_rules;
  friend bool operator==(const Delivery&, const Delivery&) = default;
};

class MapReader;
class SectionReader;
// Reads `notifications`, `route`, `receivers` and `inhibit_rules` from the top-level mapping and
// checks them together (every receiver a route names exists, data_dir once an integration
// exists); fails with file:line:col. Relative paths are resolved against the config file.
Delivery ReadDelivery(MapReader& top_level, const SectionReader& reader);

}  // namespace codebot::config
