// Playbook files: the shipped rules/playbooks.yml, every field of an entry, how several files
// merge, and every error with its exact file:line:col message.
#include "exporter/config/playbooks.h"

#include <gtest/gtest.h>

#include "exporter/config/yaml.h"
#include "exporter/core/label_matchers.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::config {
namespace {

using Strings = std::vector<std::string>;

std::vector<std::string> MatcherStrings(const std::vector<Matcher>& matchers) {
  std::vector<std::string> out;
  out.reserve(matchers.size());
  for (const auto& matcher : matchers) out.push_back(MatcherString(matcher));
  return out;
}

// Loads one file written with `text`; returns the error message ("" when it loads).
std::string ErrorOf(const testing::TempDir& dir, const std::string& text) {
  const std::string path = dir.File("p.yml");
  testing::WriteFile(path, text);
  try {
    LoadPlaybookFiles({path});
  } catch (const ConfigError& e) {
    // Positions name the file by its path; the tests name it "p.yml".
    std::string message = e.what();
    for (size_t at = message.find(path); at != std::string::npos; at = message.find(path, at)) {
      message.replace(at, path.size(), "p.yml");
    }
    return message;
  }
  return "";
}

TEST(Playbooks, TheShippedFileLoads) {
  const std::string path = testing::SourceDir() + "/rules/playbooks.yml";
  const Playbooks playbooks = LoadPlaybookFiles({path});
  ASSERT_TRUE(playbooks.fallback);
  EXPECT_TRUE(playbooks.fallback->matchers.empty());
  EXPECT_FALSE(playbooks.fallback->actions.empty());
  ASSERT_GE(playbooks.playbooks.size(), 20u);
  const Playbook& first = playbooks.playbooks[0];
  EXPECT_EQ(MatcherStrings(first.matchers), Strings{"alertname=\"BotServiceDown\""});
  EXPECT_EQ(first.runbook_url,
            "https://github.com/codebot/codebot-exporter/blob/main/rules/runbooks.md"
            "#botservicedown");
  EXPECT_EQ(first.source.rfind(path + ":", 0), 0u) << first.source;
  for (const auto& playbook : playbooks.playbooks) {
    EXPECT_FALSE(playbook.matchers.empty()) << playbook.source;
    EXPECT_FALSE(playbook.summary.empty()) << playbook.source;
    EXPECT_FALSE(playbook.actions.empty()) << playbook.source;
    EXPECT_FALSE(playbook.dashboards.empty()) << playbook.source;
  }
}

TEST(Playbooks, EveryField) {
  testing::TempDir dir;
  const std::string path = dir.File("p.yml");
  testing::WriteFile(path, R"(# comment
default:
  summary: Something fired.
  actions: [Look at it.]
playbooks:
  - matchers: ['alertname="A"', 'severity=~"warning|critical", service!="x"']
    summary: A is wrong.
    actions:
      - First this.
      - Then ${THIS} (taken as written).
    runbook_url: https://runbooks.example.com/a
    affected_services: [bot, search]
    dashboards:
      - {title: Errors, uid: errors, window: 30m}
      - title: Main
        uid: main
)");
  const Playbooks playbooks = LoadPlaybookFiles({path});
  ASSERT_TRUE(playbooks.fallback);
  EXPECT_EQ(playbooks.fallback->summary, "Something fired.");
  EXPECT_EQ(playbooks.fallback->actions, Strings{"Look at it."});
  EXPECT_EQ(playbooks.fallback->source, path + ":3");
  ASSERT_EQ(playbooks.playbooks.size(), 1u);
  const Playbook& a = playbooks.playbooks[0];
  EXPECT_EQ(MatcherStrings(a.matchers),
            (Strings{"alertname=\"A\"", "severity=~\"warning|critical\"", "service!=\"x\""}));
  EXPECT_EQ(a.summary, "A is wrong.");
  EXPECT_EQ(a.actions, (Strings{"First this.", "Then ${THIS} (taken as written)."}));
  EXPECT_EQ(a.runbook_url, "https://runbooks.example.com/a");
  EXPECT_EQ(a.affected_services, (Strings{"bot", "search"}));
  ASSERT_EQ(a.dashboards.size(), 2u);
  EXPECT_EQ(a.dashboards[0], (DashboardLink{"Errors", "errors", std::chrono::minutes(30)}));
  EXPECT_EQ(a.dashboards[1], (DashboardLink{"Main", "main", std::chrono::hours(1)}));  // default
  EXPECT_EQ(a.source, path + ":6");
}

TEST(Playbooks, FilesMergeInOrder) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("a.yml"),
                     "playbooks:\n  - {matchers: ['alertname=\"A\"'], summary: a, actions: [x]}\n");
  testing::WriteFile(dir.File("b.yml"),
                     "default: {summary: d, actions: [y]}\n"
                     "playbooks:\n  - {matchers: ['alertname=\"B\"'], summary: b, actions: [x]}\n");
  testing::WriteFile(dir.File("empty.yml"), "");
  const Playbooks playbooks =
      LoadPlaybookFiles({dir.File("a.yml"), dir.File("empty.yml"), dir.File("b.yml")});
  ASSERT_EQ(playbooks.playbooks.size(), 2u);
  EXPECT_EQ(playbooks.playbooks[0].summary, "a");
  EXPECT_EQ(playbooks.playbooks[1].summary, "b");
  EXPECT_EQ(playbooks.playbooks[1].source, dir.File("b.yml") + ":3");
  ASSERT_TRUE(playbooks.fallback);
  EXPECT_EQ(playbooks.fallback->summary, "d");
}

TEST(Playbooks, OneDefaultAcrossFiles) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("a.yml"), "default: {summary: a, actions: [x]}\n");
  testing::WriteFile(dir.File("b.yml"), "# b\ndefault: {summary: b, actions: [x]}\n");
  std::string error;
  try {
    LoadPlaybookFiles({dir.File("a.yml"), dir.File("b.yml")});
  } catch (const ConfigError& e) {
    error = e.what();
  }
  EXPECT_EQ(error, dir.File("b.yml") + ":2:10: a second default playbook (the first is at " +
                       dir.File("a.yml") + ":1): only one may apply");
}

TEST(Playbooks, MissingFile) {
  std::string error;
  try {
    LoadPlaybookFiles({"/nonexistent/playbooks.yml"});
  } catch (const ConfigError& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "/nonexistent/playbooks.yml:1:1: cannot open file: No such file or directory");
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* error;  // after the file's path
};

class BadPlaybook : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadPlaybook, FailsWithPositionAndReason) {
  testing::TempDir dir;
  EXPECT_EQ(ErrorOf(dir, GetParam().yaml), GetParam().error);
}

#define ENTRY "  - matchers: ['alertname=\"A\"']\n    summary: s\n    actions: [a]\n"

INSTANTIATE_TEST_SUITE_P(
    Cases, BadPlaybook,
    ::testing::Values(
        BadCase{"yaml_syntax", "playbooks: [\n",
                "p.yml:2:1: invalid YAML: end of sequence flow not found"},
        BadCase{"top_level_unknown_key", "playbook:\n" ENTRY,
                "p.yml:1:1: unknown key \"playbook\" in the playbook file; expected one of: "
                "default, playbooks"},
        BadCase{"top_level_not_a_mapping", "- a\n",
                "p.yml:1:1: expected a mapping for the playbook file, found a sequence"},
        BadCase{"playbooks_not_a_list", "playbooks: {a: b}\n",
                "p.yml:1:12: expected a list, found a mapping"},
        BadCase{"entry_unknown_key", "playbooks:\n" ENTRY "    runbook: https://x\n",
                "p.yml:5:5: unknown key \"runbook\" in playbooks[0]; expected one of: matchers, "
                "summary, actions, runbook_url, affected_services, dashboards"},
        BadCase{"missing_matchers", "playbooks:\n  - summary: s\n    actions: [a]\n",
                "p.yml:2:5: missing required key \"matchers\" in playbooks[0]"},
        BadCase{"empty_matchers",
                "playbooks:\n  - matchers: []\n    summary: s\n    actions: [a]\n",
                "p.yml:2:15: playbooks[0].matchers is empty: a playbook needs at least one "
                "matcher (use default: for the rest)"},
        BadCase{"bad_matcher",
                "playbooks:\n  - matchers: ['alertname=\"A\"', 'severity ~ x']\n    summary: "
                "s\n    actions: [a]\n",
                "p.yml:2:33: bad matcher \"severity ~ x\": expected =, !=, =~ or !~ after "
                "\"severity\" in playbooks[0].matchers"},
        BadCase{"bad_matcher_regex",
                "playbooks:\n  - matchers: ['alertname=~\"(\"']\n    summary: s\n    actions: "
                "[a]\n",
                "p.yml:2:16: bad matcher \"alertname=~\"(\"\": invalid regular expression \"(\": "
                "missing ): ^(?:()$ in playbooks[0].matchers"},
        BadCase{"matcher_label_name",
                "playbooks:\n  - matchers: ['a:b=\"x\"']\n    summary: s\n    actions: [a]\n",
                "p.yml:2:16: invalid label name \"a:b\" in playbooks[0].matchers: expected "
                "[a-zA-Z_][a-zA-Z0-9_]*"},
        // A misspelt key is reported as such, not as the required key it was meant to be.
        BadCase{"misspelt_actions",
                "playbooks:\n  - matchers: ['a=b']\n    summary: s\n    actons: [a]\n",
                "p.yml:4:5: unknown key \"actons\" in playbooks[0]; expected one of: matchers, "
                "summary, actions, runbook_url, affected_services, dashboards"},
        BadCase{"missing_summary", "playbooks:\n  - matchers: ['a=b']\n    actions: [a]\n",
                "p.yml:2:5: missing required key \"summary\" in playbooks[0]"},
        BadCase{"empty_summary",
                "playbooks:\n  - matchers: ['a=b']\n    summary: ''\n    actions: [a]\n",
                "p.yml:3:14: summary in playbooks[0] is empty"},
        BadCase{"missing_actions", "playbooks:\n  - matchers: ['a=b']\n    summary: s\n",
                "p.yml:2:5: missing required key \"actions\" in playbooks[0]"},
        BadCase{"empty_actions",
                "playbooks:\n  - matchers: ['a=b']\n    summary: s\n    actions: []\n",
                "p.yml:4:14: playbooks[0].actions is empty: say what to try first"},
        BadCase{"action_not_text",
                "playbooks:\n  - matchers: ['a=b']\n    summary: s\n    actions: [{a: b}]\n",
                "p.yml:4:15: expected a string, found a mapping"},
        BadCase{"empty_action",
                "playbooks:\n  - matchers: ['a=b']\n    summary: s\n    actions: [x, '']\n",
                "p.yml:4:18: empty entry in playbooks[0].actions"},
        BadCase{"runbook_url", "playbooks:\n" ENTRY "    runbook_url: runbooks.md#a\n",
                "p.yml:5:18: invalid URL \"runbooks.md#a\": expected an http:// or https:// URL"},
        BadCase{"dashboard_unknown_key",
                "playbooks:\n" ENTRY "    dashboards:\n      - {title: t, uid: u, span: 1h}\n",
                "p.yml:6:28: unknown key \"span\" in playbooks[0].dashboards[0]; expected one "
                "of: title, uid, window"},
        BadCase{"dashboard_missing_uid",
                "playbooks:\n" ENTRY "    dashboards:\n      - {title: t}\n",
                "p.yml:6:9: missing required key \"uid\" in playbooks[0].dashboards[0]"},
        BadCase{"dashboard_window",
                "playbooks:\n" ENTRY
                "    dashboards:\n      - {title: t, uid: u, window: 1 hour}\n",
                "p.yml:6:36: invalid duration \"1 hour\": expected a number and a unit (ms, s, m, "
                "h, d, w, y), e.g. 15s or 1m30s"},
        BadCase{"dashboard_window_zero",
                "playbooks:\n" ENTRY "    dashboards:\n      - {title: t, uid: u, window: 0s}\n",
                "p.yml:6:36: window in playbooks[0].dashboards[0] must be positive"},
        BadCase{"default_with_matchers",
                "default:\n  matchers: ['a=b']\n  summary: s\n  actions: [a]\n",
                "p.yml:2:3: unknown key \"matchers\" in default; expected one of: summary, "
                "actions, runbook_url, affected_services, dashboards"},
        BadCase{"same_matchers_twice",
                "playbooks:\n" ENTRY
                "  - matchers: ['alertname=\"A\"']\n    summary: t\n    actions: [b]\n",
                "p.yml:5:15: the same matchers as the playbook at p.yml:2: this one would never "
                "apply"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace codebot::config
