#include "exporter/config/notifications.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "exporter/config/config.h"
#include "exporter/config/reader.h"
#include "exporter/config/yaml.h"
#include "exporter/core/label_matchers.h"

namespace codebot::config {
namespace {

std::string Indexed(const std::string& context, std::string_view key, size_t index) {
  return context + "." + std::string(key) + "[" + std::to_string(index) + "]";
}

// Alertmanager's label names (any valid name, "__" prefixes included: group_by and equal may
// name them), unlike SectionReader::CheckLabelName, which guards labels users set.
void CheckAlertLabelName(const Node& node, const std::string& name, const std::string& where) {
  if (!IsValidLabelName(name)) {
    node.Fail("invalid label name " + Quote(name) + " in " + where +
              ": expected [a-zA-Z_][a-zA-Z0-9_]*");
  }
}

void FailMissing(const Node& node, std::string_view key, const std::string& context) {
  node.Fail("missing required key " + Quote(key) + " in " + context);
}

Duration PositiveDuration(MapReader& map, std::string_view key, Duration fallback) {
  auto node = map.Get(key);
  if (!node) return fallback;
  const Duration value = node->AsDuration();
  if (value.count() <= 0) {
    node->Fail(std::string(key) + " must be positive in " + map.context());
  }
  return value;
}

// A plain (non-secret) URL: http(s), trailing slashes dropped so paths can be appended.
std::string ReadUrl(const Node& node) {
  std::string url = node.AsExpandedString();
  SectionReader::CheckUrl(node, url);
  while (url.ends_with('/')) url.pop_back();
  return url;
}

// A URL that is also a secret (a Slack webhook, a webhook with a token in it): checked like any
// URL, but the message never shows it, inline or from its file.
void CheckSecretUrl(MapReader& map, std::string_view key, const Secret& secret) {
  std::string value = secret.inline_value;
  std::optional<Node> node = map.Get(key);
  std::string what = std::string(key);
  if (!secret.file.empty()) {
    std::string error;
    value = ReadSecretFile(secret.file, &error).value_or("");
    what = "the content of " + secret.file;
    node = map.Get(std::string(key) + "_file");
  }
  if (node && !value.starts_with("http://") && !value.starts_with("https://")) {
    node->Fail(what + " in " + map.context() +
               " is not an http:// or https:// URL (the value is a secret: not shown)");
  }
}

// `matchers`: a list of strings in Alertmanager's matcher syntax; one string may hold several,
// separated by commas, as Alertmanager allows. Matchers are taken literally (no ${ENV}), as
// Alertmanager reads them.
void ReadMatcherList(const Node& node, const std::string& where, std::vector<Matcher>* out) {
  for (const auto& item : node.Items()) {
    std::string error;
    auto parsed = ParseLabelMatchers(item.AsString(), &error);
    if (!parsed) item.Fail(error.append(" in ").append(where));
    for (auto& matcher : *parsed) {
      CheckAlertLabelName(item, matcher.name(), where);
      out->push_back(std::move(matcher));
    }
  }
}

// The deprecated `match` (label: value) and `match_re` (label: regex) maps.
void ReadMatchMap(const Node& node, MatchType type, const std::string& where,
                  std::vector<Matcher>* out) {
  for (const auto& [key, value] : node.Entries()) {
    const std::string name = key.AsString();
    CheckAlertLabelName(key, name, where);
    const std::string text = value.AsString();
    try {
      out->emplace_back(type, name, text);
    } catch (const std::invalid_argument& e) {
      value.Fail(where + ": " + e.what());
    }
  }
}

// Reads `<prefix>matchers`, `<prefix>match` and `<prefix>match_re` of one mapping.
std::vector<Matcher> ReadAllMatchers(MapReader& map, const std::string& prefix) {
  std::vector<Matcher> matchers;
  const std::string where = map.context();
  if (auto match = map.Get(prefix + "match")) {
    ReadMatchMap(*match, MatchType::kEqual, where + "." + prefix + "match", &matchers);
  }
  if (auto match_re = map.Get(prefix + "match_re")) {
    ReadMatchMap(*match_re, MatchType::kRegexMatch, where + "." + prefix + "match_re", &matchers);
  }
  if (auto list = map.Get(prefix + "matchers")) {
    ReadMatcherList(*list, where + "." + prefix + "matchers", &matchers);
  }
  return matchers;
}

// Alertmanager's order of matchers (name, value, type), so that a route's matchers print the same
// in group keys as they do in Alertmanager's.
void SortMatchers(std::vector<Matcher>* matchers) {
  std::stable_sort(matchers->begin(), matchers->end(), [](const Matcher& a, const Matcher& b) {
    if (a.name() != b.name()) return a.name() < b.name();
    if (a.value() != b.value()) return a.value() < b.value();
    return a.type() < b.type();
  });
}

NotificationsConfig ReadNotifications(const Node& node, const SectionReader& reader) {
  NotificationsConfig out;
  MapReader map(node, "notifications");
  const std::string data_dir = map.String("data_dir");
  if (!data_dir.empty()) out.data_dir = ResolvePath(reader.config_file(), data_dir);
  if (auto url = map.Get("grafana_url")) out.grafana_url = ReadUrl(*url);
  if (auto files = map.Get("playbook_files")) {
    for (const auto& item : files->Items()) {
      const std::string path = item.AsExpandedString();
      if (path.empty()) item.Fail("empty path in notifications.playbook_files");
      out.playbook_files.push_back(ResolvePath(reader.config_file(), path));
    }
  }
  out.max_age = PositiveDuration(map, "max_age", out.max_age);
  out.min_backoff = PositiveDuration(map, "min_backoff", out.min_backoff);
  out.max_backoff = PositiveDuration(map, "max_backoff", out.max_backoff);
  map.Finish();
  if (out.min_backoff > out.max_backoff) {
    map.Required("min_backoff")
        .Fail("min_backoff " + FormatDuration(out.min_backoff) + " is longer than max_backoff " +
              FormatDuration(out.max_backoff) + " in notifications");
  }
  return out;
}

TelegramConfig ReadTelegram(const Node& node, const std::string& context,
                            const SectionReader& reader) {
  TelegramConfig out;
  MapReader map(node, context);
  out.send_resolved = map.Bool("send_resolved", out.send_resolved);
  if (auto url = map.Get("api_url")) out.api_url = ReadUrl(*url);
  out.bot_token = reader.ReadSecret(map, "bot_token");
  auto chat_id = map.Get("chat_id");
  if (chat_id) out.chat_id = chat_id->AsInt();
  auto thread = map.Get("message_thread_id");
  if (thread) out.message_thread_id = thread->AsInt();
  out.disable_notifications = map.Bool("disable_notifications", out.disable_notifications);
  auto parse_mode = map.Get("parse_mode");
  if (parse_mode) {
    out.parse_mode = parse_mode->AsString();
  } else {
    // `parse_mode:` given without a value is plain text, as Alertmanager reads it.
    for (const auto& [key, value] : map.node().Entries()) {
      if (key.AsString() == "parse_mode") out.parse_mode.clear();
    }
  }
  map.Finish();
  if (!out.bot_token.IsSet()) node.Fail(context + " needs bot_token or bot_token_file");
  if (!chat_id) FailMissing(node, "chat_id", context);
  if (out.chat_id == 0) chat_id->Fail("chat_id in " + context + " must not be 0");
  if (thread && out.message_thread_id <= 0) {
    thread->Fail("message_thread_id in " + context + " must be a positive topic id");
  }
  if (parse_mode && !out.parse_mode.empty() && out.parse_mode != "HTML") {
    parse_mode->Fail("unsupported parse_mode " + Quote(out.parse_mode) + " in " + context +
                     ": expected HTML, or \"\" for plain text");
  }
  return out;
}

SlackConfig ReadSlack(const Node& node, const std::string& context, const SectionReader& reader) {
  SlackConfig out;
  MapReader map(node, context);
  out.send_resolved = map.Bool("send_resolved", out.send_resolved);
  out.api_url = reader.ReadSecret(map, "api_url");
  out.channel = map.String("channel");
  out.username = map.String("username");
  out.icon_emoji = map.String("icon_emoji");
  if (auto icon_url = map.Get("icon_url")) out.icon_url = ReadUrl(*icon_url);
  map.Finish();
  if (!out.api_url.IsSet()) node.Fail(context + " needs api_url or api_url_file");
  CheckSecretUrl(map, "api_url", out.api_url);
  return out;
}

PagerDutyConfig ReadPagerDuty(const Node& node, const std::string& context,
                              const SectionReader& reader) {
  PagerDutyConfig out;
  MapReader map(node, context);
  out.send_resolved = map.Bool("send_resolved", out.send_resolved);
  out.routing_key = reader.ReadSecret(map, "routing_key");
  if (auto url = map.Get("url")) out.url = ReadUrl(*url);
  out.client = map.String("client", out.client);
  if (auto client_url = map.Get("client_url")) out.client_url = ReadUrl(*client_url);
  auto severity = map.Get("severity");
  if (severity) out.severity = severity->AsExpandedString();
  out.source = map.String("source");
  out.component = map.String("component");
  out.group = map.String("group");
  out.class_ = map.String("class");
  auto dedup_key = map.Get("dedup_key");
  std::string dedup_text;
  if (dedup_key) dedup_text = dedup_key->AsString();
  map.Finish();
  if (!out.routing_key.IsSet()) node.Fail(context + " needs routing_key or routing_key_file");
  if (severity && !out.severity.empty() && out.severity != "critical" && out.severity != "error" &&
      out.severity != "warning" && out.severity != "info") {
    severity->Fail("invalid severity " + Quote(out.severity) + " in " + context +
                   ": expected critical, error, warning or info (or none: from the alert's "
                   "severity label)");
  }
  if (dedup_key) {
    if (dedup_text == "alert") {
      out.dedup_key = DedupKeyMode::kAlert;
    } else if (dedup_text == "group") {
      out.dedup_key = DedupKeyMode::kGroup;
    } else {
      dedup_key->Fail("invalid dedup_key " + Quote(dedup_text) + " in " + context +
                      ": expected alert (one incident per alert) or group (one per group)");
    }
  }
  return out;
}

WebhookConfig ReadWebhook(const Node& node, const std::string& context,
                          const SectionReader& reader) {
  WebhookConfig out;
  MapReader map(node, context);
  out.send_resolved = map.Bool("send_resolved", out.send_resolved);
  out.url = reader.ReadSecret(map, "url");
  auto max_alerts = map.Get("max_alerts");
  int64_t max_alerts_value = 0;
  if (max_alerts) max_alerts_value = max_alerts->AsInt();
  map.Finish();
  if (!out.url.IsSet()) node.Fail(context + " needs url or url_file");
  CheckSecretUrl(map, "url", out.url);
  if (max_alerts_value < 0) {
    max_alerts->Fail("max_alerts in " + context + " must not be negative (0: all)");
  }
  out.max_alerts = static_cast<uint64_t>(max_alerts_value);
  return out;
}

template <typename T, typename ReadOne>
void ReadConfigs(MapReader& map, std::string_view key, ReadOne read_one, std::vector<T>* out) {
  auto list = map.Get(key);
  if (!list) return;
  size_t index = 0;
  for (const auto& item : list->Items()) {
    out->push_back(read_one(item, Indexed(map.context(), key, index++)));
  }
}

Receiver ReadReceiver(const Node& node, const std::string& context, const SectionReader& reader) {
  Receiver out;
  MapReader map(node, context);
  auto name = map.Get("name");
  if (name) out.name = name->AsString();
  auto with_reader = [&reader](auto read) {
    return [&reader, read](const Node& item, const std::string& item_context) {
      return read(item, item_context, reader);
    };
  };
  ReadConfigs(map, "telegram_configs", with_reader(ReadTelegram), &out.telegram_configs);
  ReadConfigs(map, "slack_configs", with_reader(ReadSlack), &out.slack_configs);
  ReadConfigs(map, "pagerduty_configs", with_reader(ReadPagerDuty), &out.pagerduty_configs);
  ReadConfigs(map, "webhook_configs", with_reader(ReadWebhook), &out.webhook_configs);
  map.Finish();
  if (!name) FailMissing(node, "name", context);
  if (out.name.empty()) name->Fail("empty receiver name in " + context);
  return out;
}

bool HasIntegration(const Receiver& receiver) {
  return !receiver.telegram_configs.empty() || !receiver.slack_configs.empty() ||
         !receiver.pagerduty_configs.empty() || !receiver.webhook_configs.empty();
}

// One node of the route tree; parent is null for the root. Children inherit what they don't set
// (receiver, group_by, the three intervals), as in Alertmanager.
Route ReadRoute(const Node& node, const Route* parent, const std::string& context,
                const std::set<std::string>& receivers) {
  Route out;
  if (parent != nullptr) {
    out.receiver = parent->receiver;
    out.group_by = parent->group_by;
    out.group_by_all = parent->group_by_all;
    out.group_wait = parent->group_wait;
    out.group_interval = parent->group_interval;
    out.repeat_interval = parent->repeat_interval;
  }
  MapReader map(node, context);
  auto receiver = map.Get("receiver");
  if (receiver) out.receiver = receiver->AsString();
  out.matchers = ReadAllMatchers(map, "");
  SortMatchers(&out.matchers);
  auto continue_node = map.Get("continue");
  if (continue_node) out.continue_matching = continue_node->AsBool();
  auto group_by = map.Get("group_by");
  std::vector<Node> group_by_items;
  if (group_by) group_by_items = group_by->Items();
  if (auto wait = map.Get("group_wait")) out.group_wait = wait->AsDuration();
  out.group_interval = PositiveDuration(map, "group_interval", out.group_interval);
  out.repeat_interval = PositiveDuration(map, "repeat_interval", out.repeat_interval);
  auto routes = map.Get("routes");
  map.Finish();

  if (parent == nullptr) {
    if (!receiver) FailMissing(node, "receiver", context + " (the root needs a default receiver)");
    if (!out.matchers.empty()) {
      const std::string key = map.Has("matchers") ? "matchers"
                              : map.Has("match")  ? "match"
                                                  : "match_re";
      map.Required(key).Fail("the root route must not have matchers: it receives every alert");
    }
    if (continue_node) continue_node->Fail("the root route can't have continue");
  }
  if (receiver && receivers.count(out.receiver) == 0) {
    receiver->Fail("undefined receiver " + Quote(out.receiver) + " used in " + context);
  }
  // An empty group_by inherits, as in Alertmanager.
  if (!group_by_items.empty()) {
    out.group_by.clear();
    out.group_by_all = false;
    std::set<std::string> seen;
    for (const auto& item : group_by_items) {
      const std::string name = item.AsString();
      if (name == "...") {
        if (group_by_items.size() > 1) {
          item.Fail("group_by '...' in " + context +
                    " groups by all labels: it can't be combined with label names");
        }
        out.group_by_all = true;
        continue;
      }
      CheckAlertLabelName(item, name, context + ".group_by");
      if (!seen.insert(name).second) {
        item.Fail("duplicate label " + Quote(name) + " in " + context + ".group_by");
      }
      out.group_by.push_back(name);
    }
    std::sort(out.group_by.begin(), out.group_by.end());
  }
  if (routes) {
    size_t index = 0;
    for (const auto& item : routes->Items()) {
      out.routes.push_back(ReadRoute(item, &out, Indexed(context, "routes", index++), receivers));
    }
  }
  return out;
}

InhibitRule ReadInhibitRule(const Node& node, const std::string& context) {
  InhibitRule out;
  MapReader map(node, context);
  out.source_matchers = ReadAllMatchers(map, "source_");
  out.target_matchers = ReadAllMatchers(map, "target_");
  if (auto equal = map.Get("equal")) {
    std::set<std::string> seen;
    for (const auto& item : equal->Items()) {
      const std::string name = item.AsString();
      CheckAlertLabelName(item, name, context + ".equal");
      if (!seen.insert(name).second) {
        item.Fail("duplicate label " + Quote(name) + " in " + context + ".equal");
      }
      out.equal.push_back(name);
    }
  }
  map.Finish();
  // Stricter than Alertmanager: a rule without one side would mute (or be muted by) every alert.
  if (out.source_matchers.empty()) {
    node.Fail(context + " needs source_matchers: without them every alert would mute its targets");
  }
  if (out.target_matchers.empty()) {
    node.Fail(context + " needs target_matchers: without them it would mute every alert");
  }
  return out;
}

}  // namespace

Delivery ReadDelivery(MapReader& top_level, const SectionReader& reader) {
  Delivery out;
  auto notifications = top_level.Get("notifications");
  auto route = top_level.Get("route");
  auto receivers = top_level.Get("receivers");
  auto inhibit_rules = top_level.Get("inhibit_rules");

  if (notifications) out.notifications = ReadNotifications(*notifications, reader);

  std::set<std::string> names;
  std::vector<Node> receiver_nodes;
  if (receivers) {
    size_t index = 0;
    for (const auto& item : receivers->Items()) {
      const std::string context = "receivers[" + std::to_string(index++) + "]";
      Receiver receiver = ReadReceiver(item, context, reader);
      if (!names.insert(receiver.name).second) {
        MapReader again(item, context);
        again.Required("name").Fail("duplicate receiver name " + Quote(receiver.name));
      }
      out.receivers.push_back(std::move(receiver));
      receiver_nodes.push_back(item);
    }
  }

  if (route) {
    out.route = ReadRoute(*route, nullptr, "route", names);
  } else if (!out.receivers.empty()) {
    receivers->Fail("receivers need a route: add a top-level route whose receiver is the default");
  }

  if (inhibit_rules) {
    size_t index = 0;
    for (const auto& item : inhibit_rules->Items()) {
      out.inhibit_rules.push_back(
          ReadInhibitRule(item, "inhibit_rules[" + std::to_string(index++) + "]"));
    }
  }

  if (out.notifications.data_dir.empty()) {
    for (size_t i = 0; i < out.receivers.size(); ++i) {
      if (!HasIntegration(out.receivers[i])) continue;
      const Node& where = notifications ? *notifications : receiver_nodes[i];
      where.Fail(
          "notifications.data_dir is required once a receiver has an integration (receiver " +
          Quote(out.receivers[i].name) + " has one): it holds the durable outbox");
    }
  }
  return out;
}

}  // namespace codebot::config
