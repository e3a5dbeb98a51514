// The sources section: which collectors run and how (sources.bot, sources.github,
// sources.postgres). Plain data, compared by value on reload.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exporter/config/secret.h"
#include "exporter/core/duration.h"
#include "exporter/core/metric.h"

namespace codebot::config {

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

struct Sources {
  std::optional<BotSource> bot;
  std::optional<GitHubSource> github;
  std::optional<PostgresSource> postgres;
  friend bool operator==(const Sources&, const Sources&) = default;
};

class Node;
class SectionReader;
struct GlobalConfig;
// Reads the `sources` mapping (fails with file:line:col on anything invalid).
Sources ReadSources(const Node& node, const GlobalConfig& global, const SectionReader& reader);

}  // namespace codebot::config
