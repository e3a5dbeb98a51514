// The sidecar's configuration: plain data, loaded and checked in one pass. A loaded Config is
// valid: every later stage can trust it. Loading throws ConfigError("file:line:col: message").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/duration.h"
#include "exporter/core/metric.h"

namespace codebot::config {

// A secret given inline (usually "${ENV_VAR}") or as a file that is read on every use, so that a
// rotated Kubernetes secret is picked up without a restart. Values are registered with the
// sanitiser as soon as they are read.
struct Secret {
  std::string inline_value;
  std::string file;

  bool IsSet() const { return !inline_value.empty() || !file.empty(); }
  // The current value; nullopt (and *error set, without the value) when the file can't be read.
  std::optional<std::string> Resolve(std::string* error) const;
  friend bool operator==(const Secret&, const Secret&) = default;
};

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

// One JSON path mapped to a metric. Path segments are separated by '.', '*' matches every key of
// an object (or index of an array) and turns it into the next label of wildcard_labels.
struct JsonMapping {
  std::string path;
  std::string name;
  MetricType type = MetricType::kGauge;
  std::string help;
  std::vector<std::string> wildcard_labels;  // one per '*' in path, in order
  Labels const_labels;
  friend bool operator==(const JsonMapping&, const JsonMapping&) = default;
};

enum class BotFormat { kPrometheus, kJson };

struct BotSource {
  std::string url;
  BotFormat format = BotFormat::kPrometheus;
  Duration interval = std::chrono::seconds(15);
  Duration timeout = std::chrono::seconds(10);
  uint64_t max_body_bytes = 16 << 20;
  std::string job = "bot";  // job label of the bot's series in the local sample store
  Secret bearer_token;      // optional auth towards the bot's endpoint
  std::vector<JsonMapping> json_mappings;
  friend bool operator==(const BotSource&, const BotSource&) = default;
};

struct GitHubAccount {
  std::string name;
  Secret token;  // unset: unauthenticated (60 requests/hour)
  friend bool operator==(const GitHubAccount&, const GitHubAccount&) = default;
};

struct GitHubSource {
  std::string api_url = "https://api.github.com";
  Duration interval = std::chrono::seconds(60);
  Duration timeout = std::chrono::seconds(10);
  std::string job = "github";
  std::vector<GitHubAccount> accounts;  // at least one
  friend bool operator==(const GitHubSource&, const GitHubSource&) = default;
};

enum class ColumnUsage { kLabel, kGauge, kCounter, kDiscard };

struct QueryColumn {
  std::string name;
  ColumnUsage usage = ColumnUsage::kGauge;
  std::string help;
  friend bool operator==(const QueryColumn&, const QueryColumn&) = default;
};

// A user-defined SQL query: each gauge/counter column becomes the metric <name>_<column>, with
// the label columns as labels (like postgres_exporter's queries file).
struct PostgresQuery {
  std::string name;
  std::string help;
  std::string sql;
  std::vector<QueryColumn> columns;
  friend bool operator==(const PostgresQuery&, const PostgresQuery&) = default;
};

struct PostgresSource {
  Secret dsn;  // libpq URI or key=value string
  Duration interval = std::chrono::seconds(30);
  Duration timeout = std::chrono::seconds(5);  // connect_timeout and statement_timeout
  std::string job = "postgres";
  std::vector<PostgresQuery> queries;
  friend bool operator==(const PostgresSource&, const PostgresSource&) = default;
};

struct Config {
  std::string file;  // where it was loaded from ("" for strings)
  GlobalConfig global;
  WebConfig web;
  std::optional<BotSource> bot;
  std::optional<GitHubSource> github;
  std::optional<PostgresSource> postgres;
  std::vector<std::string> rule_files;  // absolute or relative to the config file's folder

  friend bool operator==(const Config&, const Config&) = default;
};

Config LoadFile(const std::string& path);
Config LoadString(std::string_view yaml, const std::string& file_name);

// Resolves a path from the config relative to the config file's folder.
std::string ResolvePath(const std::string& config_file, const std::string& path);

}  // namespace codebot::config
