#include "exporter/config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "exporter/config/yaml.h"
#include "exporter/core/sanitize.h"

namespace codebot::config {
namespace {

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::optional<std::string> ReadSecretFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error != nullptr) *error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string value = buffer.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
    value.pop_back();
  }
  return value;
}

struct Loader {
  std::string config_file;

  // Reads "<key>" (inline, ${ENV} expanded) or "<key>_file"; both at once is an error.
  Secret ReadSecret(MapReader& map, std::string_view key) {
    Secret secret;
    const std::string file_key = std::string(key) + "_file";
    auto inline_node = map.Get(key);
    auto file_node = map.Get(file_key);
    if (inline_node && file_node) {
      file_node->Fail("set either " + std::string(key) + " or " + file_key + " in " +
                      map.context() + ", not both");
    }
    if (inline_node) {
      secret.inline_value = inline_node->AsExpandedString();
      if (secret.inline_value.empty()) {
        inline_node->Fail(std::string(key) + " in " + map.context() + " is empty");
      }
      sanitize::RegisterSecret(secret.inline_value);
    }
    if (file_node) {
      secret.file = ResolvePath(config_file, file_node->AsExpandedString());
      std::string error;
      auto value = ReadSecretFile(secret.file, &error);
      if (!value) file_node->Fail(error);
      if (value->empty()) file_node->Fail(secret.file + " is empty");
      sanitize::RegisterSecret(*value);
    }
    return secret;
  }

  static void CheckMetricName(const Node& node, const std::string& name) {
    if (!IsValidMetricName(name)) {
      node.Fail("invalid metric name " + Quote(name) + ": expected [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
  }

  static void CheckLabelName(const Node& node, const std::string& name) {
    if (!IsValidLabelName(name) || name.starts_with("__")) {
      node.Fail("invalid label name " + Quote(name) +
                ": expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __");
    }
  }

  static Labels ReadLabelMap(const Node& node) {
    Labels labels;
    for (const auto& [key, value] : node.Entries()) {
      const std::string name = key.AsString();
      CheckLabelName(key, name);
      labels.push_back({name, value.AsExpandedString()});
    }
    std::sort(labels.begin(), labels.end());
    return labels;
  }

  static void CheckUrl(const Node& node, const std::string& url) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      node.Fail("invalid URL " + Quote(sanitize::Redact(url)) +
                ": expected an http:// or https:// URL");
    }
  }

  // interval and timeout of a source, with Prometheus' rule that a timeout can't exceed the
  // interval.
  static void ReadSchedule(MapReader& map, Duration default_interval, Duration default_timeout,
                           Duration* interval, Duration* timeout) {
    *interval = map.GetDuration("interval", default_interval);
    if (interval->count() <= 0) map.Required("interval").Fail("interval must be positive");
    auto timeout_node = map.Get("timeout");
    *timeout = timeout_node ? timeout_node->AsDuration() : std::min(default_timeout, *interval);
    if (timeout->count() <= 0) timeout_node->Fail("timeout must be positive");
    if (*timeout > *interval) {
      timeout_node->Fail("timeout " + FormatDuration(*timeout) + " is longer than interval " +
                         FormatDuration(*interval) + " in " + map.context());
    }
  }

  GlobalConfig ReadGlobal(const Node& node) {
    GlobalConfig global;
    MapReader map(node, "global");
    global.scrape_interval = map.GetDuration("scrape_interval", global.scrape_interval);
    global.scrape_timeout = map.GetDuration("scrape_timeout", global.scrape_timeout);
    global.evaluation_interval = map.GetDuration("evaluation_interval", global.evaluation_interval);
    if (auto labels = map.Get("external_labels")) global.external_labels = ReadLabelMap(*labels);
    map.Finish();
    if (global.scrape_timeout > global.scrape_interval) {
      global.scrape_timeout = global.scrape_interval;
    }
    return global;
  }

  WebConfig ReadWeb(const Node& node) {
    WebConfig web;
    MapReader map(node, "web");
    web.max_request_body_bytes = map.Bytes("max_request_body_bytes", web.max_request_body_bytes);
    web.bearer_token = ReadSecret(map, "bearer_token");
    if (auto basic = map.Get("basic_auth")) {
      MapReader auth(*basic, "web.basic_auth");
      web.basic_auth_username = auth.Required("username").AsExpandedString();
      web.basic_auth_password = ReadSecret(auth, "password");
      if (!web.basic_auth_password.IsSet()) {
        basic->Fail("web.basic_auth needs password or password_file");
      }
      auth.Finish();
    }
    map.Finish();
    return web;
  }

  JsonMapping ReadJsonMapping(const Node& node, size_t index) {
    JsonMapping mapping;
    MapReader map(node, "sources.bot.json_mappings[" + std::to_string(index) + "]");
    const Node path = map.Required("path");
    mapping.path = path.AsString();
    if (mapping.path.empty() || mapping.path.front() == '.' || mapping.path.back() == '.' ||
        mapping.path.find("..") != std::string::npos) {
      path.Fail("invalid JSON path " + Quote(mapping.path) +
                ": expected keys separated by '.', e.g. handlers.*.errors");
    }
    const Node name = map.Required("name");
    mapping.name = name.AsString();
    CheckMetricName(name, mapping.name);
    if (auto type = map.Get("type")) {
      const std::string text = type->AsString();
      if (text == "gauge") {
        mapping.type = MetricType::kGauge;
      } else if (text == "counter") {
        mapping.type = MetricType::kCounter;
      } else {
        type->Fail("invalid type " + Quote(text) + ": expected gauge or counter");
      }
    }
    mapping.help = map.String("help", "Mapped from the bot's JSON at " + mapping.path + ".");
    const size_t wildcards =
        static_cast<size_t>(std::count(mapping.path.begin(), mapping.path.end(), '*'));
    if (auto labels = map.Get("labels")) {
      for (const auto& label : labels->Items()) {
        const std::string label_name = label.AsString();
        CheckLabelName(label, label_name);
        mapping.wildcard_labels.push_back(label_name);
      }
      if (mapping.wildcard_labels.size() != wildcards) {
        labels->Fail("path " + Quote(mapping.path) + " has " + std::to_string(wildcards) +
                     " wildcard(s) but " + std::to_string(mapping.wildcard_labels.size()) +
                     " label name(s) are given; expected one label per '*'");
      }
    } else if (wildcards > 0) {
      path.Fail("path " + Quote(mapping.path) + " has " + std::to_string(wildcards) +
                " wildcard(s): name a label for each under \"labels\"");
    }
    if (auto labels = map.Get("const_labels")) mapping.const_labels = ReadLabelMap(*labels);
    map.Finish();
    return mapping;
  }

  BotSource ReadBot(const Node& node, const GlobalConfig& global) {
    BotSource bot;
    MapReader map(node, "sources.bot");
    const Node url = map.Required("url");
    bot.url = url.AsExpandedString();
    CheckUrl(url, bot.url);
    if (auto format = map.Get("format")) {
      const std::string text = format->AsString();
      if (text == "prometheus") {
        bot.format = BotFormat::kPrometheus;
      } else if (text == "json") {
        bot.format = BotFormat::kJson;
      } else {
        format->Fail("invalid format " + Quote(text) + ": expected prometheus or json");
      }
    }
    ReadSchedule(map, global.scrape_interval, global.scrape_timeout, &bot.interval, &bot.timeout);
    bot.max_body_bytes = map.Bytes("max_body_bytes", bot.max_body_bytes);
    bot.job = map.String("job", bot.job);
    bot.bearer_token = ReadSecret(map, "bearer_token");
    if (auto mappings = map.Get("json_mappings")) {
      if (bot.format != BotFormat::kJson) {
        mappings->Fail("json_mappings are only used with format: json");
      }
      size_t index = 0;
      for (const auto& item : mappings->Items()) {
        bot.json_mappings.push_back(ReadJsonMapping(item, index++));
      }
    }
    if (bot.format == BotFormat::kJson && bot.json_mappings.empty()) {
      node.Fail("format: json needs at least one entry under json_mappings");
    }
    map.Finish();
    return bot;
  }

  GitHubSource ReadGitHub(const Node& node, const GlobalConfig& global) {
    GitHubSource github;
    MapReader map(node, "sources.github");
    if (auto url = map.Get("api_url")) {
      github.api_url = url->AsExpandedString();
      CheckUrl(*url, github.api_url);
      while (github.api_url.ends_with('/')) github.api_url.pop_back();
    }
    ReadSchedule(map, std::chrono::seconds(60), global.scrape_timeout, &github.interval,
                 &github.timeout);
    github.job = map.String("job", github.job);
    if (auto accounts = map.Get("accounts")) {
      std::set<std::string> names;
      size_t index = 0;
      for (const auto& item : accounts->Items()) {
        MapReader account_map(item, "sources.github.accounts[" + std::to_string(index++) + "]");
        GitHubAccount account;
        const Node name = account_map.Required("name");
        account.name = name.AsExpandedString();
        if (account.name.empty()) name.Fail("account name is empty");
        if (!names.insert(account.name).second) {
          name.Fail("duplicate account name " + Quote(account.name));
        }
        account.token = ReadSecret(account_map, "token");
        account_map.Finish();
        github.accounts.push_back(std::move(account));
      }
    }
    if (github.accounts.empty()) github.accounts.push_back({"anonymous", {}});
    map.Finish();
    return github;
  }

  PostgresQuery ReadQuery(const Node& node, size_t index, std::set<std::string>* names) {
    PostgresQuery query;
    MapReader map(node, "sources.postgres.queries[" + std::to_string(index) + "]");
    const Node name = map.Required("name");
    query.name = name.AsString();
    CheckMetricName(name, query.name);
    if (!names->insert(query.name).second) name.Fail("duplicate query name " + Quote(query.name));
    query.help = map.String("help", "");
    query.sql = map.Required("sql").AsString();
    const Node columns = map.Required("columns");
    bool has_value = false;
    for (const auto& [key, value] : columns.Entries()) {
      QueryColumn column;
      column.name = key.AsString();
      CheckLabelName(key, column.name);
      std::string usage;
      if (value.IsMap()) {
        MapReader column_map(value, "column " + column.name);
        usage = column_map.Required("usage").AsString();
        column.help = column_map.String("help", "");
        column_map.Finish();
      } else {
        usage = value.AsString();
      }
      if (usage == "label") {
        column.usage = ColumnUsage::kLabel;
      } else if (usage == "gauge") {
        column.usage = ColumnUsage::kGauge;
      } else if (usage == "counter") {
        column.usage = ColumnUsage::kCounter;
      } else if (usage == "discard") {
        column.usage = ColumnUsage::kDiscard;
      } else {
        value.Fail("invalid usage " + Quote(usage) + " for column " + Quote(column.name) +
                   ": expected label, gauge, counter or discard");
      }
      has_value =
          has_value || column.usage == ColumnUsage::kGauge || column.usage == ColumnUsage::kCounter;
      query.columns.push_back(std::move(column));
    }
    if (!has_value) {
      columns.Fail("query " + Quote(query.name) + " needs at least one gauge or counter column");
    }
    map.Finish();
    return query;
  }

  PostgresSource ReadPostgres(const Node& node, const GlobalConfig& global) {
    PostgresSource postgres;
    MapReader map(node, "sources.postgres");
    postgres.dsn = ReadSecret(map, "dsn");
    if (!postgres.dsn.IsSet()) node.Fail("sources.postgres needs dsn or dsn_file");
    ReadSchedule(map, std::chrono::seconds(30), std::chrono::seconds(5), &postgres.interval,
                 &postgres.timeout);
    (void)global;
    postgres.job = map.String("job", postgres.job);
    if (auto queries = map.Get("queries")) {
      std::set<std::string> names;
      size_t index = 0;
      for (const auto& item : queries->Items()) {
        postgres.queries.push_back(ReadQuery(item, index++, &names));
      }
    }
    map.Finish();
    return postgres;
  }

  Config Read(const Node& root) {
    Config config;
    config.file = config_file;
    if (root.IsNull()) return config;
    MapReader map(root, "the top level");
    if (auto global = map.Get("global")) config.global = ReadGlobal(*global);
    if (auto web = map.Get("web")) config.web = ReadWeb(*web);
    if (auto sources = map.Get("sources")) {
      MapReader source_map(*sources, "sources");
      if (auto bot = source_map.Get("bot")) config.bot = ReadBot(*bot, config.global);
      if (auto github = source_map.Get("github")) {
        config.github = ReadGitHub(*github, config.global);
      }
      if (auto postgres = source_map.Get("postgres")) {
        config.postgres = ReadPostgres(*postgres, config.global);
      }
      source_map.Finish();
    }
    if (auto rule_files = map.Get("rule_files")) {
      for (const auto& item : rule_files->Items()) {
        config.rule_files.push_back(ResolvePath(config_file, item.AsExpandedString()));
      }
    }
    map.Finish();
    return config;
  }
};

}  // namespace

std::optional<std::string> Secret::Resolve(std::string* error) const {
  std::optional<std::string> value;
  if (!file.empty()) {
    value = ReadSecretFile(file, error);
  } else {
    value = inline_value;
  }
  if (value) sanitize::RegisterSecret(*value);
  return value;
}

std::string ResolvePath(const std::string& config_file, const std::string& path) {
  if (path.empty() || path.front() == '/' || config_file.empty()) return path;
  const std::filesystem::path base = std::filesystem::path(config_file).parent_path();
  return (base / path).lexically_normal().string();
}

Config LoadFile(const std::string& path) {
  Loader loader{path};
  return loader.Read(LoadYamlFile(path));
}

Config LoadString(std::string_view yaml, const std::string& file_name) {
  Loader loader{file_name};
  return loader.Read(LoadYamlString(yaml, file_name));
}

}  // namespace codebot::config
