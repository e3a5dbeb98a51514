#include "exporter/config/sources.h"

#include <algorithm>
#include <set>

#include "exporter/config/config.h"
#include "exporter/config/reader.h"

namespace codebot::config {
namespace {

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
  SectionReader::CheckMetricName(name, mapping.name);
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
      SectionReader::CheckLabelName(label, label_name);
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
  if (auto labels = map.Get("const_labels"))
    mapping.const_labels = SectionReader::ReadLabelMap(*labels);
  map.Finish();
  return mapping;
}

BotSource ReadBot(const Node& node, const GlobalConfig& global, const SectionReader& reader) {
  BotSource bot;
  MapReader map(node, "sources.bot");
  const Node url = map.Required("url");
  bot.url = url.AsExpandedString();
  SectionReader::CheckUrl(url, bot.url);
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
  SectionReader::ReadSchedule(map, global.scrape_interval, global.scrape_timeout, &bot.interval,
                              &bot.timeout);
  bot.max_body_bytes = map.Bytes("max_body_bytes", bot.max_body_bytes);
  bot.job = map.String("job", bot.job);
  bot.bearer_token = reader.ReadSecret(map, "bearer_token");
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

GitHubSource ReadGitHub(const Node& node, const GlobalConfig& global, const SectionReader& reader) {
  GitHubSource github;
  MapReader map(node, "sources.github");
  if (auto url = map.Get("api_url")) {
    github.api_url = url->AsExpandedString();
    SectionReader::CheckUrl(*url, github.api_url);
    while (github.api_url.ends_with('/')) github.api_url.pop_back();
  }
  SectionReader::ReadSchedule(map, std::chrono::seconds(60), global.scrape_timeout,
                              &github.interval, &github.timeout);
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
      account.token = reader.ReadSecret(account_map, "token");
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
  SectionReader::CheckMetricName(name, query.name);
  if (!names->insert(query.name).second) name.Fail("duplicate query name " + Quote(query.name));
  query.help = map.String("help", "");
  query.sql = map.Required("sql").AsString();
  const Node columns = map.Required("columns");
  bool has_value = false;
  for (const auto& [key, value] : columns.Entries()) {
    QueryColumn column;
    column.name = key.AsString();
    SectionReader::CheckLabelName(key, column.name);
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

PostgresSource ReadPostgres(const Node& node, const GlobalConfig& global,
                            const SectionReader& reader) {
  PostgresSource postgres;
  MapReader map(node, "sources.postgres");
  postgres.dsn = reader.ReadSecret(map, "dsn");
  if (!postgres.dsn.IsSet()) node.Fail("sources.postgres needs dsn or dsn_file");
  SectionReader::ReadSchedule(map, std::chrono::seconds(30), std::chrono::seconds(5),
                              &postgres.interval, &postgres.timeout);
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

}  // namespace

Sources ReadSources(const Node& node, const GlobalConfig& global, const SectionReader& reader) {
  Sources sources;
  MapReader map(node, "sources");
  if (auto bot = map.Get("bot")) sources.bot = ReadBot(*bot, global, reader);
  if (auto github = map.Get("github")) sources.github = ReadGitHub(*github, global, reader);
  if (auto postgres = map.Get("postgres")) {
    sources.postgres = ReadPostgres(*postgres, global, reader);
  }
  map.Finish();
  return sources;
}

}  // namespace codebot::config
