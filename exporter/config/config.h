// The sidecar's configuration: plain data, loaded and checked in one pass. A loaded Config is
// valid: every later stage can trust it. Loading throws ConfigError("file:line:col: message").
// Each section has its own header and reader (sources.h; notifications.h for notifications,
// route, receivers and inhibit_rules; alerting.h for alerting; the top level here: global, web,
// rule_files); sections compare by value, so a reload restarts only what changed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/alerting.h"
#include "exporter/config/notifications.h"
#include "exporter/config/secret.h"
#include "exporter/config/sources.h"
#include "exporter/core/duration.h"
#include "exporter/core/metric.h"

namespace codebot::config {

struct GlobalConfig {
  Duration scrape_interval = std::chrono::seconds(15);
  Duration scrape_timeout = std::chrono::seconds(10);
  Duration evaluation_interval = std::chrono::seconds(15);
  Labels external_labels;  // sorted by name
  friend bool operator==(const GlobalConfig&, const GlobalConfig&) = default;
};

struct WebConfig {
  uint64_t max_request_body_bytes = 1 << 20;
  // When set, the admin endpoints (/-/reload) and the webhook receiver require
  // "Authorization: Bearer <token>" or HTTP basic auth with these credentials.
  Secret bearer_token;
  std::string basic_auth_username;
  Secret basic_auth_password;
  friend bool operator==(const WebConfig&, const WebConfig&) = default;
};

struct Config {
  std::string file;  // where it was loaded from ("" for strings)
  GlobalConfig global;
  WebConfig web;
  Sources sources;
  std::vector<std::string> rule_files;  // resolved against the config file's folder
  Delivery delivery;                    // notifications, route, receivers, inhibit_rules
  AlertingConfig alerting;              // alerting.alertmanagers (alerting.h)

  friend bool operator==(const Config&, const Config&) = default;
};

Config LoadFile(const std::string& path);
Config LoadString(std::string_view yaml, const std::string& file_name);

// Resolves a path from the config relative to the config file's folder.
std::string ResolvePath(const std::string& config_file, const std::string& path);

}  // namespace codebot::config
