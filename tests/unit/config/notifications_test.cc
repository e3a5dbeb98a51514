// The delivery sections of the config (notifications, route, receivers, inhibit_rules): what a
// good config loads to (defaults, inheritance down the route tree, Alertmanager's deprecated
// match/match_re), every class of error with its exact file:line:col message, and secrets that
// never show up in an error.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "exporter/config/config.h"
#include "exporter/config/yaml.h"
#include "exporter/core/label_matchers.h"
#include "exporter/core/sanitize.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::config {
namespace {

std::string ErrorOf(const std::string& yaml) {
  try {
    LoadString(yaml, "t.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> MatcherStrings(const std::vector<Matcher>& matchers) {
  std::vector<std::string> out;
  out.reserve(matchers.size());
  for (const auto& matcher : matchers) out.push_back(MatcherString(matcher));
  return out;
}

using Strings = std::vector<std::string>;

TEST(Delivery, AbsentSectionsLoadAsNothing) {
  const Config config = LoadString("global: {scrape_interval: 30s}\n", "c.yml");
  EXPECT_FALSE(config.delivery.route);
  EXPECT_TRUE(config.delivery.receivers.empty());
  EXPECT_TRUE(config.delivery.inhibit_rules.empty());
  EXPECT_EQ(config.delivery.notifications, NotificationsConfig{});
}

TEST(Delivery, FullConfig) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("tg-token"), "tg-file-token-value-42\n");
  testing::WriteFile(dir.File("pd-key"), "pagerduty-routing-key-value\n");
  const std::string path = dir.File("c.yml");
  testing::WriteFile(path, R"(
notifications:
  data_dir: state/outbox
  grafana_url: https://grafana.example.com/
  playbook_files: [../rules/playbooks.yml, /abs/more.yml]
  max_age: 12h
  min_backoff: 1s
  max_backoff: 2m
route:
  receiver: chat
  group_by: [operation, alertname]
  routes:
    - matchers: ['severity="critical"', 'service=~"bot|postgres"']
      receiver: pager
      continue: true
receivers:
  - name: chat
    telegram_configs:
      - bot_token_file: tg-token
        chat_id: -1001234567890
        message_thread_id: 42
        api_url: http://127.0.0.1:8081/
        disable_notifications: true
        parse_mode: ''
        send_resolved: false
  - name: pager
    pagerduty_configs:
      - routing_key_file: pd-key
        url: http://127.0.0.1:8084/v2/enqueue
        client: codebot
        client_url: https://codebot.example.com
        severity: warning
        source: pod-1
        component: bot
        group: codebot
        class: latency
        dedup_key: group
  - name: team
    slack_configs:
      - api_url: https://hooks.slack.com/services/T0/B0/abc
        channel: '#ops'
        username: codebot
        icon_emoji: ':fire:'
        icon_url: https://example.com/icon.png
        send_resolved: true
    webhook_configs:
      - url: http://127.0.0.1:9000/hook
        max_alerts: 5
        send_resolved: false
  - name: blackhole
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname, operation]
)");
  const Config config = LoadFile(path);
  const Delivery& d = config.delivery;

  EXPECT_EQ(d.notifications.data_dir, dir.File("state/outbox"));  // relative to the config file
  EXPECT_EQ(d.notifications.grafana_url, "https://grafana.example.com");
  EXPECT_EQ(d.notifications.playbook_files,
            (Strings{ResolvePath(path, "../rules/playbooks.yml"), "/abs/more.yml"}));
  EXPECT_EQ(d.notifications.max_age, std::chrono::hours(12));
  EXPECT_EQ(d.notifications.min_backoff, std::chrono::seconds(1));
  EXPECT_EQ(d.notifications.max_backoff, std::chrono::minutes(2));

  ASSERT_TRUE(d.route);
  EXPECT_EQ(d.route->receiver, "chat");
  EXPECT_EQ(d.route->group_by, (Strings{"alertname", "operation"}));  // sorted
  ASSERT_EQ(d.route->routes.size(), 1u);
  const Route& pager = d.route->routes[0];
  EXPECT_EQ(pager.receiver, "pager");
  EXPECT_TRUE(pager.continue_matching);
  EXPECT_EQ(MatcherStrings(pager.matchers),
            (Strings{"service=~\"bot|postgres\"", "severity=\"critical\""}));

  ASSERT_EQ(d.receivers.size(), 4u);
  ASSERT_EQ(d.receivers[0].telegram_configs.size(), 1u);
  const TelegramConfig& tg = d.receivers[0].telegram_configs[0];
  EXPECT_EQ(tg.bot_token.file, dir.File("tg-token"));
  EXPECT_TRUE(tg.bot_token.inline_value.empty());
  std::string error;
  EXPECT_EQ(tg.bot_token.Resolve(&error), "tg-file-token-value-42");
  EXPECT_EQ(tg.chat_id, -1001234567890);
  EXPECT_EQ(tg.message_thread_id, 42);
  EXPECT_EQ(tg.api_url, "http://127.0.0.1:8081");
  EXPECT_TRUE(tg.disable_notifications);
  EXPECT_EQ(tg.parse_mode, "");
  EXPECT_FALSE(tg.send_resolved);

  const PagerDutyConfig& pd = d.receivers[1].pagerduty_configs.at(0);
  EXPECT_EQ(pd.routing_key.file, dir.File("pd-key"));
  EXPECT_EQ(pd.url, "http://127.0.0.1:8084/v2/enqueue");
  EXPECT_EQ(pd.client, "codebot");
  EXPECT_EQ(pd.client_url, "https://codebot.example.com");
  EXPECT_EQ(pd.severity, "warning");
  EXPECT_EQ(pd.source, "pod-1");
  EXPECT_EQ(pd.component, "bot");
  EXPECT_EQ(pd.group, "codebot");
  EXPECT_EQ(pd.class_, "latency");
  EXPECT_EQ(pd.dedup_key, DedupKeyMode::kGroup);

  const SlackConfig& slack = d.receivers[2].slack_configs.at(0);
  EXPECT_EQ(slack.api_url.inline_value, "https://hooks.slack.com/services/T0/B0/abc");
  EXPECT_EQ(slack.channel, "#ops");
  EXPECT_EQ(slack.username, "codebot");
  EXPECT_EQ(slack.icon_emoji, ":fire:");
  EXPECT_EQ(slack.icon_url, "https://example.com/icon.png");
  EXPECT_TRUE(slack.send_resolved);
  const WebhookConfig& hook = d.receivers[2].webhook_configs.at(0);
  EXPECT_EQ(hook.url.inline_value, "http://127.0.0.1:9000/hook");
  EXPECT_EQ(hook.max_alerts, 5u);
  EXPECT_FALSE(hook.send_resolved);
  EXPECT_EQ(d.receivers[3].name, "blackhole");

  ASSERT_EQ(d.inhibit_rules.size(), 1u);
  EXPECT_EQ(MatcherStrings(d.inhibit_rules[0].source_matchers), (Strings{"severity=\"critical\""}));
  EXPECT_EQ(MatcherStrings(d.inhibit_rules[0].target_matchers), (Strings{"severity=\"warning\""}));
  EXPECT_EQ(d.inhibit_rules[0].equal, (Strings{"alertname", "operation"}));

  // Every secret the config loaded is known to the sanitiser at once.
  EXPECT_EQ(sanitize::Redact("sent tg-file-token-value-42 ok"), "sent <redacted> ok");
  EXPECT_EQ(sanitize::Redact("pagerduty-routing-key-value"), "<redacted>");
  EXPECT_EQ(sanitize::Redact("https://hooks.slack.com/services/T0/B0/abc"), "<redacted>");
  EXPECT_EQ(sanitize::Redact("http://127.0.0.1:9000/hook"), "<redacted>");
}

TEST(Delivery, Defaults) {
  const Config config = LoadString(R"(
notifications: {data_dir: /var/lib/x}
route: {receiver: all}
receivers:
  - name: all
    telegram_configs: [{bot_token: '1:x', chat_id: 5}]
    slack_configs: [{api_url: 'https://hooks.slack.com/x'}]
    pagerduty_configs: [{routing_key: abcdef}]
    webhook_configs: [{url: 'http://127.0.0.1/x'}]
)",
                                   "c.yml");
  const Delivery& d = config.delivery;
  EXPECT_EQ(d.notifications.max_age, std::chrono::hours(24));
  EXPECT_EQ(d.notifications.min_backoff, std::chrono::milliseconds(500));
  EXPECT_EQ(d.notifications.max_backoff, std::chrono::minutes(5));
  EXPECT_EQ(d.notifications.grafana_url, "");
  // Alertmanager's route defaults.
  EXPECT_EQ(d.route->group_wait, std::chrono::seconds(30));
  EXPECT_EQ(d.route->group_interval, std::chrono::minutes(5));
  EXPECT_EQ(d.route->repeat_interval, std::chrono::hours(4));
  EXPECT_TRUE(d.route->group_by.empty());
  EXPECT_FALSE(d.route->group_by_all);
  const Receiver& r = d.receivers.at(0);
  EXPECT_EQ(r.telegram_configs[0].api_url, "https://api.telegram.org");
  EXPECT_EQ(r.telegram_configs[0].parse_mode, "HTML");
  EXPECT_TRUE(r.telegram_configs[0].send_resolved);
  EXPECT_EQ(r.telegram_configs[0].message_thread_id, 0);
  EXPECT_FALSE(r.slack_configs[0].send_resolved);  // Alertmanager's default for Slack
  EXPECT_TRUE(r.pagerduty_configs[0].send_resolved);
  EXPECT_EQ(r.pagerduty_configs[0].url, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(r.pagerduty_configs[0].severity, "");  // from the alert's severity label
  EXPECT_EQ(r.pagerduty_configs[0].dedup_key, DedupKeyMode::kAlert);
  EXPECT_TRUE(r.webhook_configs[0].send_resolved);
  EXPECT_EQ(r.webhook_configs[0].max_alerts, 0u);
}

TEST(Delivery, ChildRoutesInheritWhatTheyDontSet) {
  const Config config = LoadString(R"(
route:
  receiver: a
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 2h
  routes:
    - matchers: ['team="db"']
      continue: true
      routes:
        - matchers: ['severity="critical"']
          receiver: b
          group_wait: 0s
    - matchers: ['team="bot"']
      group_by: ['...']
      repeat_interval: 30m
      routes:
        - receiver: b
    - matchers: ['team="gh"']
      group_by: []
receivers: [{name: a}, {name: b}]
)",
                                   "c.yml");
  const Route& root = *config.delivery.route;
  ASSERT_EQ(root.routes.size(), 3u);
  const Route& db = root.routes[0];
  EXPECT_EQ(db.receiver, "a");
  EXPECT_EQ(db.group_by, Strings{"alertname"});
  EXPECT_EQ(db.group_wait, std::chrono::seconds(10));
  EXPECT_EQ(db.group_interval, std::chrono::minutes(1));
  EXPECT_EQ(db.repeat_interval, std::chrono::hours(2));
  EXPECT_TRUE(db.continue_matching);
  const Route& critical = db.routes.at(0);
  EXPECT_EQ(critical.receiver, "b");
  EXPECT_EQ(critical.group_wait, std::chrono::seconds(0));  // 0: flush at once
  EXPECT_EQ(critical.group_interval, std::chrono::minutes(1));
  EXPECT_FALSE(critical.continue_matching);  // continue is not inherited
  EXPECT_EQ(MatcherStrings(critical.matchers), Strings{"severity=\"critical\""});  // nor matchers
  const Route& bot = root.routes[1];
  EXPECT_TRUE(bot.group_by_all);
  EXPECT_TRUE(bot.group_by.empty());
  EXPECT_EQ(bot.repeat_interval, std::chrono::minutes(30));
  const Route& grandchild = bot.routes.at(0);
  EXPECT_TRUE(grandchild.group_by_all);
  EXPECT_EQ(grandchild.repeat_interval, std::chrono::minutes(30));
  EXPECT_EQ(grandchild.group_wait, std::chrono::seconds(10));
  // An empty group_by inherits, as in Alertmanager.
  EXPECT_EQ(root.routes[2].group_by, Strings{"alertname"});
}

TEST(Delivery, DeprecatedMatchAndMatchReBecomeMatchers) {
  const Config config = LoadString(R"(
route:
  receiver: a
  routes:
    - match: {severity: critical, service: bot}
      match_re: {operation: 'db_.*'}
      matchers: ['alertname!="X"']
      receiver: a
receivers: [{name: a}]
inhibit_rules:
  - source_match: {severity: critical}
    target_match_re: {severity: 'warning|info'}
    target_matchers: ['team="x", env!~"dev.*"']
)",
                                   "c.yml");
  const Route& child = config.delivery.route->routes.at(0);
  // Sorted by name, as Alertmanager sorts a route's matchers.
  EXPECT_EQ(MatcherStrings(child.matchers), (Strings{"alertname!=\"X\"", "operation=~\"db_.*\"",
                                                     "service=\"bot\"", "severity=\"critical\""}));
  EXPECT_TRUE(MatchesAll(child.matchers, {{"alertname", "Y"},
                                          {"operation", "db_query"},
                                          {"service", "bot"},
                                          {"severity", "critical"}}));
  // match_re is anchored: "xdb_query" doesn't match db_.*.
  EXPECT_FALSE(MatchesAll(
      child.matchers, {{"operation", "xdb_query"}, {"service", "bot"}, {"severity", "critical"}}));
  const InhibitRule& rule = config.delivery.inhibit_rules.at(0);
  EXPECT_EQ(MatcherStrings(rule.source_matchers), Strings{"severity=\"critical\""});
  // One list entry may hold several matchers, comma-separated.
  EXPECT_EQ(MatcherStrings(rule.target_matchers),
            (Strings{"severity=~\"warning|info\"", "team=\"x\"", "env!~\"dev.*\""}));
}

TEST(Delivery, ReceiversWithoutIntegrationsNeedNoDataDir) {
  const Config config = LoadString("route: {receiver: a}\nreceivers: [{name: a}]\n", "c.yml");
  EXPECT_EQ(config.delivery.receivers.at(0).name, "a");
}

TEST(Delivery, SecretsFromTheEnvironment) {
  ::setenv("CODEBOT_TEST_TG_TOKEN", "777777:env-token-value-abc", 1);
  const Config config = LoadString(R"(
notifications: {data_dir: /tmp/x}
route: {receiver: a}
receivers:
  - name: a
    telegram_configs: [{bot_token: '${CODEBOT_TEST_TG_TOKEN}', chat_id: 1}]
)",
                                   "c.yml");
  EXPECT_EQ(config.delivery.receivers[0].telegram_configs[0].bot_token.inline_value,
            "777777:env-token-value-abc");
  EXPECT_EQ(sanitize::Redact("777777:env-token-value-abc"), "<redacted>");
  ::unsetenv("CODEBOT_TEST_TG_TOKEN");
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* error;  // the whole message
};

class BadDelivery : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadDelivery, FailsWithPositionAndReason) {
  EXPECT_EQ(ErrorOf(GetParam().yaml), GetParam().error);
}

// A receiver named "a" with no integration, to complete route snippets.
#define RECV_A "receivers: [{name: a}]\n"
// A valid route and data_dir, to complete receiver snippets.
#define ROUTE_A "notifications: {data_dir: /tmp/x}\nroute: {receiver: a}\n"

INSTANTIATE_TEST_SUITE_P(
    Cases, BadDelivery,
    ::testing::Values(
        // --- route
        BadCase{"route_unknown_key", "route:\n  receiver: a\n  grup_by: [x]\n" RECV_A,
                "t.yml:3:3: unknown key \"grup_by\" in route; expected one of: receiver, match, "
                "match_re, matchers, continue, group_by, group_wait, group_interval, "
                "repeat_interval, routes"},
        BadCase{"route_not_a_mapping", "route: [a]\n" RECV_A,
                "t.yml:1:8: expected a mapping for route, found a sequence"},
        BadCase{"root_without_receiver", "route:\n  group_by: [a]\n",
                "t.yml:2:3: missing required key \"receiver\" in route (the root needs a default "
                "receiver)"},
        BadCase{"undefined_receiver", "route:\n  receiver: nobody\n" RECV_A,
                "t.yml:2:13: undefined receiver \"nobody\" used in route"},
        BadCase{"undefined_child_receiver",
                "route:\n  receiver: a\n  routes:\n    - receiver: b\n" RECV_A,
                "t.yml:4:17: undefined receiver \"b\" used in route.routes[0]"},
        BadCase{"root_with_matchers", "route:\n  receiver: a\n  matchers: ['x=\"y\"']\n" RECV_A,
                "t.yml:3:13: the root route must not have matchers: it receives every alert"},
        BadCase{"root_with_match", "route:\n  receiver: a\n  match: {x: y}\n" RECV_A,
                "t.yml:3:10: the root route must not have matchers: it receives every alert"},
        BadCase{"root_with_continue", "route:\n  receiver: a\n  continue: true\n" RECV_A,
                "t.yml:3:13: the root route can't have continue"},
        BadCase{"bad_matcher",
                "route:\n  receiver: a\n  routes:\n    - matchers: ['severity critical']\n" RECV_A,
                "t.yml:4:18: bad matcher \"severity critical\": expected =, !=, =~ or !~ after "
                "\"severity\" in route.routes[0].matchers"},
        BadCase{"matcher_label_name",
                "route:\n  receiver: a\n  routes:\n    - matchers: ['a:b=\"x\"']\n" RECV_A,
                "t.yml:4:18: invalid label name \"a:b\" in route.routes[0].matchers: expected "
                "[a-zA-Z_][a-zA-Z0-9_]*"},
        BadCase{"matchers_not_a_list",
                "route:\n  receiver: a\n  routes:\n    - matchers: 'x=\"y\"'\n" RECV_A,
                "t.yml:4:17: expected a list, found a scalar"},
        BadCase{"match_label_name",
                "route:\n  receiver: a\n  routes:\n    - match: {a-b: x}\n" RECV_A,
                "t.yml:4:15: invalid label name \"a-b\" in route.routes[0].match: expected "
                "[a-zA-Z_][a-zA-Z0-9_]*"},
        BadCase{"group_by_duplicate", "route:\n  receiver: a\n  group_by: [x, y, x]\n" RECV_A,
                "t.yml:3:20: duplicate label \"x\" in route.group_by"},
        BadCase{"group_by_all_and_names", "route:\n  receiver: a\n  group_by: ['...', x]\n" RECV_A,
                "t.yml:3:14: group_by '...' in route groups by all labels: it can't be "
                "combined with label names"},
        BadCase{"group_by_label_name", "route:\n  receiver: a\n  group_by: [a.b]\n" RECV_A,
                "t.yml:3:14: invalid label name \"a.b\" in route.group_by: expected "
                "[a-zA-Z_][a-zA-Z0-9_]*"},
        BadCase{"group_interval_zero", "route:\n  receiver: a\n  group_interval: 0s\n" RECV_A,
                "t.yml:3:19: group_interval must be positive in route"},
        BadCase{"repeat_interval_zero",
                "route:\n  receiver: a\n  routes:\n    - repeat_interval: 0s\n" RECV_A,
                "t.yml:4:24: repeat_interval must be positive in route.routes[0]"},
        BadCase{"group_wait_syntax", "route:\n  receiver: a\n  group_wait: 1.5m\n" RECV_A,
                "t.yml:3:15: invalid duration \"1.5m\": expected a number and a unit (ms, s, m, "
                "h, d, w, y), e.g. 15s or 1m30s"},
        BadCase{"continue_not_bool",
                "route:\n  receiver: a\n  routes:\n    - continue: yes\n" RECV_A,
                "t.yml:4:17: expected true or false, found \"yes\""},
        BadCase{"receivers_without_route", "receivers:\n  - name: a\n",
                "t.yml:2:3: receivers need a route: add a top-level route whose receiver is the "
                "default"},
        // --- receivers
        BadCase{"receiver_without_name", "route: {receiver: a}\nreceivers:\n  - {}\n",
                "t.yml:3:5: missing required key \"name\" in receivers[0]"},
        BadCase{"receiver_empty_name", "route: {receiver: a}\nreceivers:\n  - name: ''\n",
                "t.yml:3:11: empty receiver name in receivers[0]"},
        BadCase{"duplicate_receiver",
                "route: {receiver: a}\nreceivers:\n  - name: a\n  - name: a\n",
                "t.yml:4:11: duplicate receiver name \"a\""},
        BadCase{"receiver_unknown_integration",
                "route: {receiver: a}\nreceivers:\n  - name: a\n    email_configs: []\n",
                "t.yml:4:5: unknown key \"email_configs\" in receivers[0]; expected one of: name, "
                "telegram_configs, slack_configs, pagerduty_configs, webhook_configs"},
        BadCase{"data_dir_missing",
                "route: {receiver: a}\nreceivers:\n  - name: a\n"
                "    webhook_configs: [{url: 'http://x/'}]\n",
                "t.yml:3:5: notifications.data_dir is required once a receiver has an "
                "integration (receiver \"a\" has one): it holds the durable outbox"},
        BadCase{"data_dir_missing_with_notifications",
                "notifications:\n  grafana_url: http://g\nroute: {receiver: a}\nreceivers:\n"
                "  - name: a\n    webhook_configs: [{url: 'http://x/'}]\n",
                "t.yml:2:3: notifications.data_dir is required once a receiver has an "
                "integration (receiver \"a\" has one): it holds the durable outbox"},
        // telegram
        BadCase{"telegram_unknown_key",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n"
                        "      - {bot_token: '1:x', chat_id: 1, message: hi}\n",
                "t.yml:6:40: unknown key \"message\" in receivers[0].telegram_configs[0]; "
                "expected one of: send_resolved, api_url, bot_token, bot_token_file, chat_id, "
                "message_thread_id, disable_notifications, parse_mode"},
        BadCase{"telegram_no_token",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n      - chat_id: 1\n",
                "t.yml:6:9: receivers[0].telegram_configs[0] needs bot_token or bot_token_file"},
        BadCase{"telegram_both_tokens",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n"
                        "      - {bot_token: '1:x', bot_token_file: f, chat_id: 1}\n",
                "t.yml:6:44: set either bot_token or bot_token_file in "
                "receivers[0].telegram_configs[0], not both"},
        BadCase{"telegram_token_file_missing",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n"
                        "      - {bot_token_file: /nonexistent/token, chat_id: 1}\n",
                "t.yml:6:26: cannot read /nonexistent/token: No such file or directory"},
        BadCase{"telegram_no_chat_id",
                ROUTE_A
                "receivers:\n  - name: a\n    telegram_configs:\n      - bot_token: '1:x'\n",
                "t.yml:6:9: missing required key \"chat_id\" in receivers[0].telegram_configs[0]"},
        BadCase{"telegram_chat_id_not_integer",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n"
                        "      - {bot_token: '1:x', chat_id: '@oncall'}\n",
                "t.yml:6:37: expected an integer, found \"@oncall\""},
        BadCase{"telegram_chat_id_zero",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n"
                        "      - {bot_token: '1:x', chat_id: 0}\n",
                "t.yml:6:37: chat_id in receivers[0].telegram_configs[0] must not be 0"},
        BadCase{"telegram_thread_id",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n"
                        "      - {bot_token: '1:x', chat_id: 1, message_thread_id: -2}\n",
                "t.yml:6:59: message_thread_id in receivers[0].telegram_configs[0] must be a "
                "positive topic id"},
        BadCase{"telegram_parse_mode",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n"
                        "      - {bot_token: '1:x', chat_id: 1, parse_mode: MarkdownV2}\n",
                "t.yml:6:52: unsupported parse_mode \"MarkdownV2\" in "
                "receivers[0].telegram_configs[0]: expected HTML, or \"\" for plain text"},
        BadCase{"telegram_api_url",
                ROUTE_A "receivers:\n  - name: a\n    telegram_configs:\n"
                        "      - {bot_token: '1:x', chat_id: 1, api_url: 'ftp://x'}\n",
                "t.yml:6:49: invalid URL \"ftp://x\": expected an http:// or https:// URL"},
        // slack
        BadCase{"slack_no_url",
                ROUTE_A "receivers:\n  - name: a\n    slack_configs: [{channel: x}]\n",
                "t.yml:5:21: receivers[0].slack_configs[0] needs api_url or api_url_file"},
        BadCase{"slack_icon_url",
                ROUTE_A "receivers:\n  - name: a\n    slack_configs:\n"
                        "      - {api_url: 'https://h/x', icon_url: 'icon.png'}\n",
                "t.yml:6:44: invalid URL \"icon.png\": expected an http:// or https:// URL"},
        // pagerduty
        BadCase{"pagerduty_no_key",
                ROUTE_A "receivers:\n  - name: a\n    pagerduty_configs: [{client: x}]\n",
                "t.yml:5:25: receivers[0].pagerduty_configs[0] needs routing_key or "
                "routing_key_file"},
        BadCase{"pagerduty_severity",
                ROUTE_A "receivers:\n  - name: a\n    pagerduty_configs:\n"
                        "      - {routing_key: abcd, severity: high}\n",
                "t.yml:6:39: invalid severity \"high\" in receivers[0].pagerduty_configs[0]: "
                "expected critical, error, warning or info (or none: from the alert's severity "
                "label)"},
        BadCase{"pagerduty_dedup_key",
                ROUTE_A "receivers:\n  - name: a\n    pagerduty_configs:\n"
                        "      - {routing_key: abcd, dedup_key: fingerprint}\n",
                "t.yml:6:40: invalid dedup_key \"fingerprint\" in receivers[0].pagerduty_configs[0]"
                ": expected alert (one incident per alert) or group (one per group)"},
        BadCase{"pagerduty_service_key",
                ROUTE_A "receivers:\n  - name: a\n    pagerduty_configs:\n"
                        "      - {routing_key: abcd, service_key: v1}\n",
                "t.yml:6:29: unknown key \"service_key\" in receivers[0].pagerduty_configs[0]; "
                "expected one of: send_resolved, routing_key, routing_key_file, url, client, "
                "client_url, severity, source, component, group, class, dedup_key"},
        BadCase{"pagerduty_url",
                ROUTE_A "receivers:\n  - name: a\n    pagerduty_configs:\n"
                        "      - {routing_key: abcd, url: events.pagerduty.com}\n",
                "t.yml:6:34: invalid URL \"events.pagerduty.com\": expected an http:// or "
                "https:// URL"},
        // webhook
        BadCase{"webhook_no_url",
                ROUTE_A "receivers:\n  - name: a\n    webhook_configs: [{max_alerts: 1}]\n",
                "t.yml:5:23: receivers[0].webhook_configs[0] needs url or url_file"},
        BadCase{"webhook_max_alerts",
                ROUTE_A "receivers:\n  - name: a\n    webhook_configs:\n"
                        "      - {url: 'http://x/', max_alerts: -1}\n",
                "t.yml:6:40: max_alerts in receivers[0].webhook_configs[0] must not be negative "
                "(0: all)"},
        BadCase{"configs_not_a_list",
                ROUTE_A "receivers:\n  - name: a\n    webhook_configs: {url: 'http://x/'}\n",
                "t.yml:5:22: expected a list, found a mapping"},
        // --- inhibit_rules
        BadCase{"inhibit_unknown_key", "inhibit_rules:\n  - source_matcher: ['a=\"b\"']\n",
                "t.yml:2:5: unknown key \"source_matcher\" in inhibit_rules[0]; expected one of: "
                "source_match, source_match_re, source_matchers, target_match, target_match_re, "
                "target_matchers, equal"},
        BadCase{"inhibit_bad_matcher",
                "inhibit_rules:\n  - source_matchers: ['a=\"b']\n    target_matchers: ['c=d']\n",
                "t.yml:2:23: bad matcher \"a=\"b\": unterminated or badly escaped quoted value in "
                "inhibit_rules[0].source_matchers"},
        BadCase{"inhibit_equal_label",
                "inhibit_rules:\n  - source_matchers: ['a=b']\n    target_matchers: ['c=d']\n"
                "    equal: [ok, not-ok]\n",
                "t.yml:4:17: invalid label name \"not-ok\" in inhibit_rules[0].equal: expected "
                "[a-zA-Z_][a-zA-Z0-9_]*"},
        BadCase{"inhibit_without_target",
                "inhibit_rules:\n  - source_matchers: ['a=b']\n    equal: [x]\n",
                "t.yml:2:5: inhibit_rules[0] needs target_matchers: without them it would mute "
                "every alert"},
        BadCase{"inhibit_without_source", "inhibit_rules:\n  - target_matchers: ['a=b']\n",
                "t.yml:2:5: inhibit_rules[0] needs source_matchers: without them every alert "
                "would mute its targets"},
        // --- notifications
        BadCase{"notifications_unknown_key", "notifications:\n  datadir: /x\n",
                "t.yml:2:3: unknown key \"datadir\" in notifications; expected one of: data_dir, "
                "grafana_url, playbook_files, max_age, min_backoff, max_backoff"},
        BadCase{"grafana_url", "notifications:\n  grafana_url: grafana.local\n",
                "t.yml:2:16: invalid URL \"grafana.local\": expected an http:// or https:// URL"},
        BadCase{"max_age_zero", "notifications:\n  max_age: 0s\n",
                "t.yml:2:12: max_age must be positive in notifications"},
        BadCase{"backoff_order", "notifications:\n  min_backoff: 10m\n  max_backoff: 1m\n",
                "t.yml:2:16: min_backoff 10m is longer than max_backoff 1m in notifications"},
        BadCase{"playbook_files_not_list", "notifications:\n  playbook_files: a.yml\n",
                "t.yml:2:19: expected a list, found a scalar"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) { return param_info.param.name; });

TEST(Delivery, BadRegexNamesTheRegex) {
  EXPECT_EQ(ErrorOf("route:\n  receiver: a\n  routes:\n    - match_re: {x: '(unclosed'}\n" RECV_A),
            "t.yml:4:21: route.routes[0].match_re: invalid regular expression \"(unclosed\": "
            "missing ): ^(?:(unclosed)$");
}

// A secret never appears in an error, whether it came inline, from ${ENV} or from a file.
TEST(Delivery, SecretsNeverInErrors) {
  testing::TempDir dir;
  const std::string file_secret = "https-less-file-secret-0123456789";
  testing::WriteFile(dir.File("slack-url"), file_secret + "\n");
  ::setenv("CODEBOT_TEST_HOOK", "env-secret-hook-9876543210", 1);
  const std::string inline_secret = "inline-secret-hook-5555555555";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"receivers:\n  - name: a\n    slack_configs: [{api_url_file: slack-url}]\n",
       "t.yml:5:36: the content of " + dir.File("slack-url") +
           " in receivers[0].slack_configs[0] is not an http:// or https:// URL (the value is a "
           "secret: not shown)"},
      {"receivers:\n  - name: a\n    webhook_configs: [{url: '${CODEBOT_TEST_HOOK}'}]\n",
       "t.yml:5:29: url in receivers[0].webhook_configs[0] is not an http:// or https:// URL (the "
       "value is a secret: not shown)"},
      {"receivers:\n  - name: a\n    slack_configs: [{api_url: '" + inline_secret + "'}]\n",
       "t.yml:5:31: api_url in receivers[0].slack_configs[0] is not an http:// or https:// URL "
       "(the value is a secret: not shown)"},
      // An error elsewhere in a config that loaded a secret doesn't show it either.
      {"receivers:\n  - name: a\n    telegram_configs: [{bot_token: '" + inline_secret +
           "', chat_id: x}]\n",
       "t.yml:5:78: expected an integer, found \"x\""},
  };
  for (const auto& [receivers, expected] : cases) {
    const std::string path = dir.File("t.yml");
    testing::WriteFile(path,
                       "notifications: {data_dir: /tmp/x}\nroute: {receiver: a}\n" + receivers);
    std::string error;
    try {
      LoadFile(path);
    } catch (const ConfigError& e) {
      error = e.what();
    }
    EXPECT_EQ(error, dir.File(expected)) << receivers;
    EXPECT_EQ(error.find(file_secret), std::string::npos);
    EXPECT_EQ(error.find("env-secret-hook"), std::string::npos);
    EXPECT_EQ(error.find(inline_secret), std::string::npos);
  }
  ::unsetenv("CODEBOT_TEST_HOOK");
}

}  // namespace
}  // namespace codebot::config
