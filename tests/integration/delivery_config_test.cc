// The delivery configuration as an operator meets it, through the real binary: the shipped example
// passes `check config`; its route, receivers and inhibit_rules, cut out and pasted into an
// alertmanager.yml, pass the real `amtool check-config` (Alertmanager 0.25); every shipped
// alerting rule has a playbook of its own; and broken delivery configs stop both `check config`
// and the sidecar's start with file:line:col, never showing a secret.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "exporter/alerts/enrich.h"
#include "exporter/config/config.h"
#include "exporter/config/playbooks.h"
#include "exporter/rules/rule_file.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {
namespace {

struct CommandRun {
  int code = -1;
  std::string output;  // stdout and stderr
};

CommandRun RunArgv(const std::vector<std::string>& argv) {
  CommandRun run;
  run.code = RunCommand(argv, &run.output, "", std::chrono::seconds(30));
  return run;
}

CommandRun CheckConfig(const std::string& path) {
  return RunArgv({ExporterBinary(), "check", "config", path});
}

// Starts the sidecar with the config; a bad config makes it exit at once with code 1.
CommandRun StartSidecar(const std::string& path) {
  return RunArgv({ExporterBinary(), "--config.file=" + path,
                  "--web.listen-address=127.0.0.1:" + std::to_string(FreePort())});
}

std::string ExamplePath() { return SourceDir() + "/examples/codebot-exporter.yml"; }

TEST(DeliveryConfig, TheShippedExamplePassesCheckConfig) {
  const CommandRun run = CheckConfig(ExamplePath());
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("SUCCESS: 1 rule files found"), std::string::npos) << run.output;
  // What it found, as amtool lists it, and the playbooks it names.
  EXPECT_NE(run.output.find(" - route: 5 route(s), default receiver telegram-oncall"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(" - 3 inhibit rules"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(" - 4 receivers: telegram-oncall (telegram), pagerduty-critical "
                            "(pagerduty), slack-team (slack), tickets-webhook (webhook)"),
            std::string::npos)
      << run.output;
  const std::regex playbooks(
      R"(rules/playbooks\.yml\n  SUCCESS: (\d+) playbooks and a default found)");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(run.output, match, playbooks)) << run.output;
  EXPECT_GT(std::stoi(match[1]), 20);
  // The placeholder secrets never show.
  EXPECT_EQ(run.output.find("replace-with"), std::string::npos) << run.output;
}

// The example's inhibit rules are the ones rules/README.md documents, and load as written.
TEST(DeliveryConfig, TheExampleLoadsWithItsRouteTree) {
  const config::Config loaded = config::LoadFile(ExamplePath());
  const config::Delivery& delivery = loaded.delivery;
  ASSERT_TRUE(delivery.route);
  EXPECT_EQ(delivery.route->receiver, "telegram-oncall");
  ASSERT_FALSE(delivery.route->routes.empty());
  const config::Route& pages = delivery.route->routes[0];
  EXPECT_EQ(pages.receiver, "pagerduty-critical");
  EXPECT_TRUE(pages.continue_matching);
  // Pages go on to the on-call chat too: the last route catches everything.
  EXPECT_EQ(delivery.route->routes.back().receiver, "telegram-oncall");
  EXPECT_TRUE(delivery.route->routes.back().matchers.empty());
  EXPECT_EQ(delivery.inhibit_rules.size(), 3u);
  EXPECT_FALSE(delivery.notifications.data_dir.empty());
  EXPECT_EQ(delivery.notifications.data_dir.front(), '/');  // resolved against the file
  EXPECT_EQ(delivery.notifications.playbook_files,
            std::vector<std::string>{SourceDir() + "/rules/playbooks.yml"});
}

// Cuts the top-level blocks `route`, `receivers` and `inhibit_rules` out of a config text, as an
// operator would copy them into an alertmanager.yml.
std::string CutDeliverySections(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::string out;
  bool keep = false;
  while (std::getline(in, line)) {
    const bool top_level = !line.empty() && line[0] != ' ' && line[0] != '#';
    if (top_level) {
      keep = line.starts_with("route:") || line.starts_with("receivers:") ||
             line.starts_with("inhibit_rules:");
    }
    if (keep) out += line + "\n";
  }
  return out;
}

// Our extensions out: *_file keys become inline placeholders, message_thread_id and dedup_key go.
std::string ToAlertmanagerSyntax(const std::string& cut) {
  std::istringstream in(cut);
  std::string line;
  std::string out;
  const std::regex dropped(R"(^(\s*)(- )?(message_thread_id|dedup_key):.*$)");
  const std::regex file_key(R"(^(\s*(- )?)(bot_token|api_url|routing_key|url)_file:.*$)");
  while (std::getline(in, line)) {
    std::smatch match;
    if (std::regex_match(line, match, dropped)) {
      // A list item that starts with a dropped key keeps its "- " for the next key.
      EXPECT_FALSE(match[2].matched)
          << "rewrite the example so that " << line << " is not the first key of its item";
      continue;
    }
    if (std::regex_match(line, match, file_key)) {
      const std::string key = match[3];
      std::string value = "placeholder-value";
      if (key == "api_url") value = "https://hooks.slack.com/services/T0/B0/PLACEHOLDER";
      if (key == "url") value = "http://127.0.0.1:1/placeholder";
      if (key == "bot_token") value = "123456:placeholder";
      out.append(match[1].str()).append(key).append(": '").append(value).append("'\n");
      continue;
    }
    out += line + "\n";
  }
  return out;
}

TEST(DeliveryConfig, ExampleSectionsPassAmtool) {
  CODEBOT_REQUIRE_PROGRAM(HaveProgram("amtool"), "amtool (Debian's prometheus-alertmanager)");
  TempDir dir;
  const std::string cut = CutDeliverySections(ReadFile(ExamplePath()));
  ASSERT_NE(cut.find("route:"), std::string::npos);
  ASSERT_NE(cut.find("receivers:"), std::string::npos);
  ASSERT_NE(cut.find("inhibit_rules:"), std::string::npos);
  EXPECT_EQ(cut.find("notifications:"), std::string::npos);

  // As written, amtool refuses our extensions: the conversion below is what makes them paste.
  WriteFile(dir.File("raw.yml"), cut);
  const CommandRun raw = RunArgv({"amtool", "check-config", dir.File("raw.yml")});
  EXPECT_NE(raw.code, 0) << raw.output;
  EXPECT_NE(raw.output.find("bot_token_file"), std::string::npos) << raw.output;

  const std::string converted = ToAlertmanagerSyntax(cut);
  EXPECT_EQ(converted.find("_file:"), std::string::npos) << converted;
  EXPECT_EQ(converted.find("dedup_key:"), std::string::npos) << converted;
  WriteFile(dir.File("alertmanager.yml"), converted);
  const CommandRun amtool = RunArgv({"amtool", "check-config", dir.File("alertmanager.yml")});
  EXPECT_EQ(amtool.code, 0) << amtool.output << "\n---\n" << converted;
  EXPECT_NE(amtool.output.find("SUCCESS"), std::string::npos) << amtool.output;
  EXPECT_NE(amtool.output.find(" - 3 inhibit rules"), std::string::npos) << amtool.output;
  EXPECT_NE(amtool.output.find(" - 4 receivers"), std::string::npos) << amtool.output;
}

// Every alerting rule of rules/alerts.yml (its name and its labels) has a playbook of its own,
// not the default, for every operation the bot reports (rules that split by operation have
// operation-specific playbooks).
TEST(DeliveryConfig, EveryShippedAlertHasItsOwnPlaybook) {
  const auto groups = rules::LoadRuleFiles({SourceDir() + "/rules/alerts.yml"});
  const alerts::Enricher enricher(config::LoadPlaybookFiles({SourceDir() + "/rules/playbooks.yml"}),
                                  "");
  size_t alerting_rules = 0;
  for (const auto& group : groups) {
    for (const auto& rule : group.rules) {
      if (rule.type != rules::RuleType::kAlerting) continue;
      ++alerting_rules;
      for (const std::string operation :
           {"", "search", "github_sync", "file_save", "db_query", "api_call"}) {
        Labels labels = rule.labels;
        labels.push_back({"alertname", rule.name});
        if (!operation.empty()) labels.push_back({"operation", operation});
        std::sort(labels.begin(), labels.end());
        const config::Playbook* playbook = enricher.Find(labels);
        ASSERT_NE(playbook, nullptr) << rule.name;
        EXPECT_FALSE(playbook->matchers.empty())
            << rule.name << " (operation \"" << operation << "\", " << rule.position.ToString()
            << ") gets the default playbook";
      }
    }
  }
  EXPECT_GT(alerting_rules, 20u);
}

struct BrokenCase {
  const char* name;
  const char* yaml;
  const char* error;  // after "<config path>:"
};

class BrokenDeliveryConfig : public ::testing::TestWithParam<BrokenCase> {};

// Each broken config fails `check config` and the sidecar's start (exit code 1) with the same
// file:line:col message.
TEST_P(BrokenDeliveryConfig, FailsCheckAndStart) {
  TempDir dir;
  WriteFile(dir.File("token"), "secret-bot-token-file-content-1234\n");
  const std::string path = dir.File("c.yml");
  WriteFile(path, GetParam().yaml);
  const std::string expected = path + ":" + GetParam().error;

  const CommandRun check = CheckConfig(path);
  EXPECT_EQ(check.code, 1) << check.output;
  EXPECT_NE(check.output.find("FAILED: " + expected), std::string::npos)
      << check.output << "\nwanted: " << expected;

  const CommandRun start = StartSidecar(path);
  EXPECT_EQ(start.code, 1) << start.output;
  EXPECT_NE(start.output.find("error: invalid configuration: " + expected), std::string::npos)
      << start.output << "\nwanted: " << expected;

  for (const auto& output : {check.output, start.output}) {
    EXPECT_EQ(output.find("secret-bot-token"), std::string::npos) << output;
    EXPECT_EQ(output.find("inline-hook-secret"), std::string::npos) << output;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BrokenDeliveryConfig,
    ::testing::Values(
        BrokenCase{"undefined_receiver",
                   "route:\n  receiver: oncall\n  routes:\n    - receiver: pager\n"
                   "receivers:\n  - name: oncall\n",
                   "4:17: undefined receiver \"pager\" used in route.routes[0]"},
        BrokenCase{"telegram_chat_id",
                   "notifications: {data_dir: outbox}\nroute: {receiver: a}\nreceivers:\n"
                   "  - name: a\n    telegram_configs:\n      - bot_token_file: token\n"
                   "        chat_id: '@oncall'\n",
                   "7:18: expected an integer, found \"@oncall\""},
        BrokenCase{"secret_url",
                   "notifications: {data_dir: outbox}\nroute: {receiver: a}\nreceivers:\n"
                   "  - name: a\n    webhook_configs: [{url: 'inline-hook-secret-value'}]\n",
                   "5:29: url in receivers[0].webhook_configs[0] is not an http:// or https:// "
                   "URL (the value is a secret: not shown)"},
        BrokenCase{"data_dir",
                   "route: {receiver: a}\nreceivers:\n  - name: a\n"
                   "    pagerduty_configs: [{routing_key_file: token}]\n",
                   "3:5: notifications.data_dir is required once a receiver has an integration "
                   "(receiver \"a\" has one): it holds the durable outbox"},
        BrokenCase{"inhibit_matcher",
                   "inhibit_rules:\n  - source_matchers: ['severity=\"critical']\n"
                   "    target_matchers: ['severity=\"warning\"']\n",
                   "2:23: bad matcher \"severity=\"critical\": unterminated or badly escaped "
                   "quoted value in inhibit_rules[0].source_matchers"},
        BrokenCase{"typo", "route:\n  receiver: a\n  group_wiat: 10s\nreceivers: [{name: a}]\n",
                   "3:3: unknown key \"group_wiat\" in route; expected one of: receiver, match, "
                   "match_re, matchers, continue, group_by, group_wait, group_interval, "
                   "repeat_interval, routes"}),
    [](const ::testing::TestParamInfo<BrokenCase>& param_info) { return param_info.param.name; });

// A broken playbook file named by the config fails `check config` with its own file:line:col.
TEST(DeliveryConfig, BrokenPlaybookFailsCheckConfig) {
  TempDir dir;
  WriteFile(dir.File("playbooks.yml"),
            "playbooks:\n  - matchers: ['alertname=\"A\"']\n    summary: a\n    actons: [x]\n");
  WriteFile(dir.File("c.yml"), "notifications:\n  playbook_files: [playbooks.yml]\n");
  const CommandRun check = CheckConfig(dir.File("c.yml"));
  EXPECT_EQ(check.code, 1) << check.output;
  EXPECT_NE(check.output.find("FAILED: " + dir.File("playbooks.yml") +
                              ":4:5: unknown key \"actons\" in playbooks[0]"),
            std::string::npos)
      << check.output;

  // A playbook file that doesn't exist fails the same way.
  WriteFile(dir.File("c.yml"), "notifications:\n  playbook_files: [missing.yml]\n");
  const CommandRun missing = CheckConfig(dir.File("c.yml"));
  EXPECT_EQ(missing.code, 1) << missing.output;
  EXPECT_NE(missing.output.find("FAILED: " + dir.File("missing.yml") + ":1:1: cannot open file"),
            std::string::npos)
      << missing.output;
}

}  // namespace
}  // namespace codebot::testing
