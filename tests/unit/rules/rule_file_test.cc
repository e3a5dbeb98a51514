// Rule files: what loads, and every problem `promtool check rules` reports, located as
// file:line:col (PromQL errors at the offending character inside the expression).
#include "exporter/rules/rule_file.h"

#include <gtest/gtest.h>

#include "exporter/config/yaml.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::rules {
namespace {

::testing::AssertionResult HasSubstr(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << text << "\"\ndoes not contain\n\"" << part << "\"";
}

std::vector<std::string> Errors(const std::string& text) {
  return ParseRuleText(text, "r.yml").errors;
}

std::string OnlyError(const std::string& text) {
  auto errors = Errors(text);
  EXPECT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  return errors.empty() ? "" : errors.front();
}

TEST(RuleFile, LoadsGroupsAndRules) {
  const RuleFileResult result = ParseRuleText(R"(groups:
  - name: bot
    interval: 30s
    limit: 10
    rules:
      - alert: BotDown
        expr: up{job="bot"} == 0
        for: 1m
        keep_firing_for: 2m
        labels:
          severity: critical
          team: bots
        annotations:
          summary: "{{ $labels.instance }} is down"
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          source: rules
  - name: empty
    rules: []
)",
                                              "r.yml");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(result.errors);
  ASSERT_EQ(result.groups.size(), 2u);
  EXPECT_EQ(result.RuleCount(), 2u);
  const GroupSpec& group = result.groups[0];
  EXPECT_EQ(group.Key(), "r.yml;bot");
  EXPECT_EQ(group.interval, std::chrono::seconds(30));
  EXPECT_EQ(group.limit, 10);
  const RuleSpec& alert = group.rules[0];
  EXPECT_EQ(alert.type, RuleType::kAlerting);
  EXPECT_EQ(alert.name, "BotDown");
  EXPECT_EQ(alert.hold, std::chrono::minutes(1));
  EXPECT_EQ(alert.keep_firing_for, std::chrono::minutes(2));
  EXPECT_NE(alert.query, nullptr);
  const Labels labels = {{"severity", "critical"}, {"team", "bots"}};
  EXPECT_EQ(alert.labels, labels);
  EXPECT_EQ(alert.annotations[0].value, "{{ $labels.instance }} is down");
  EXPECT_EQ(alert.position.line, 6);
  const RuleSpec& record = group.rules[1];
  EXPECT_EQ(record.type, RuleType::kRecording);
  EXPECT_EQ(record.name, "job:up:sum");
  EXPECT_FALSE(result.groups[1].interval.has_value());
}

TEST(RuleFile, EmptyFilesAndEmptyGroupListsAreValid) {
  EXPECT_TRUE(ParseRuleText("", "r.yml").ok());
  EXPECT_TRUE(ParseRuleText("groups:\n", "r.yml").ok());
}

TEST(RuleFile, PromqlErrorsPointIntoTheExpression) {
  // Plain scalar: the value "up ==" starts at column 15; the error is at its end (offset 5).
  EXPECT_EQ(OnlyError("groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: up == \n"),
            "r.yml:5:20: group \"g\", rule 1, \"X\": could not parse expression: 1:6: parse "
            "error: unexpected end of input");
  // Quoted scalar: the column is shifted by the quote.
  const std::string quoted = OnlyError(
      "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: \"sum(up) by job\"\n");
  EXPECT_TRUE(HasSubstr(quoted,
                        "r.yml:5:27: group \"g\", rule 1, \"X\": could not parse "
                        "expression: 1:12: parse error:"));
  // Literal block: the line inside the block and the column inside that line.
  const std::string block = OnlyError(R"(groups:
  - name: g
    rules:
      - alert: X
        expr: |
          sum by (job) (rate(x[5m]))
            / on (job)
          sum by (job) (rate(y[5m))
)");
  EXPECT_TRUE(HasSubstr(block,
                        "r.yml:8:34: group \"g\", rule 1, \"X\": could not parse "
                        "expression: 3:24: parse error: unexpected \")\""));
}

TEST(RuleFile, ValidatesLikePromtool) {
  const auto errors = Errors(R"(groups:
  - name: a
    rules:
      - record: "bad name"
        expr: up
      - alert: Y
        record: z
        expr: up
      - record: r
        expr: up
        for: 1m
        keep_firing_for: 1m
        annotations:
          a: b
      - alert: Z
        expr: up
        labels:
          __name__: x
          "bad-label": y
        annotations:
          "bad-annotation": y
          x: "{{ $labels.x "
      - alert: W
      - expr: up
  - name: a
    rules: []
  - name: ""
    rules: []
)");
  const std::vector<std::string> expected = {
      "r.yml:4:17: group \"a\", rule 1, \"bad name\": invalid recording rule name: bad name",
      "r.yml:7:17: group \"a\", rule 2, \"z\": only one of 'record' and 'alert' must be set",
      "r.yml:14:11: group \"a\", rule 3, \"r\": invalid field 'annotations' in recording rule",
      "r.yml:11:14: group \"a\", rule 3, \"r\": invalid field 'for' in recording rule",
      "r.yml:12:26: group \"a\", rule 3, \"r\": invalid field 'keep_firing_for' in recording rule",
      "r.yml:18:11: group \"a\", rule 4, \"Z\": invalid label name: __name__",
      "r.yml:19:11: group \"a\", rule 4, \"Z\": invalid label name: bad-label",
      "r.yml:21:11: group \"a\", rule 4, \"Z\": invalid annotation name: bad-annotation",
      "r.yml:22:14: group \"a\", rule 4, \"Z\": annotation \"x\": template: __alert_Z:1: unclosed "
      "action",
      "r.yml:23:9: group \"a\", rule 5, \"W\": field 'expr' must be set in rule",
      "r.yml:24:9: group \"a\", rule 6, \"\": one of 'record' or 'alert' must be set",
      "r.yml:25:11: groupname: \"a\" is repeated in the same file",
      "r.yml:27:11: Groupname must not be empty",
  };
  EXPECT_EQ(errors, expected);
}

TEST(RuleFile, TemplateErrorsInLabelsToo) {
  EXPECT_EQ(OnlyError("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    labels:\n"
                      "      x: '{{ nosuchfunction }}'\n"),
            "r.yml:7:10: group \"g\", rule 1, \"A\": label \"x\": template: __alert_A:1: function "
            "\"nosuchfunction\" not defined");
}

TEST(RuleFile, UnknownKeysAndBadValuesAreLocated) {
  EXPECT_TRUE(
      HasSubstr(OnlyError("groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: up\n"
                          "        severity: page\n"),
                "r.yml:6:9: unknown key \"severity\" in group \"g\", rule 1"));
  EXPECT_TRUE(HasSubstr(OnlyError("groups:\n  - name: g\n    interval: 1x\n    rules: []\n"),
                        "r.yml:3:15: invalid duration \"1x\""));
  EXPECT_TRUE(
      HasSubstr(OnlyError("groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: up\n"
                          "        for: soon\n"),
                "r.yml:6:14: invalid duration \"soon\""));
  EXPECT_TRUE(HasSubstr(OnlyError("group:\n  - name: g\n"),
                        "r.yml:1:1: unknown key \"group\" in the rule file"));
  EXPECT_TRUE(HasSubstr(OnlyError("groups: [\n"), "r.yml:2:1: invalid YAML"));
}

TEST(RuleFile, OneBadRuleDoesNotHideTheNext) {
  const auto errors = Errors(
      "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: up\n        oops: 1\n"
      "      - alert: Y\n        expr: up +\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_TRUE(HasSubstr(errors[0], "r.yml:6:9: unknown key \"oops\""));
  EXPECT_TRUE(HasSubstr(errors[1], "r.yml:8:19: group \"g\", rule 2, \"Y\""));
}

TEST(RuleFile, LoadRuleFilesExpandsGlobsAndThrowsEveryProblem) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("a.rules.yml"),
                     "groups:\n  - name: a\n    rules:\n      - record: a\n        expr: up\n");
  testing::WriteFile(dir.File("b.rules.yml"),
                     "groups:\n  - name: b\n    rules:\n      - record: b\n        expr: up\n");
  auto groups = LoadRuleFiles({dir.File("*.rules.yml")});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "a");
  EXPECT_EQ(groups[1].file, dir.File("b.rules.yml"));
  EXPECT_TRUE(LoadRuleFiles({dir.File("none-*.yml")}).empty()) << "a glob may match nothing";

  testing::WriteFile(dir.File("bad.yml"),
                     "groups:\n  - name: a\n    rules:\n      - record: a\n        expr: up(\n"
                     "      - record: 'b c'\n        expr: up\n");
  try {
    LoadRuleFiles({dir.File("a.rules.yml"), dir.File("bad.yml"), dir.File("missing.yml")});
    FAIL() << "expected an error";
  } catch (const config::ConfigError& e) {
    const std::string message = e.what();
    EXPECT_TRUE(HasSubstr(message, dir.File("bad.yml") + ":5:15: group \"a\", rule 1, \"a\": "
                                                         "could not parse expression"));
    EXPECT_TRUE(HasSubstr(message, dir.File("bad.yml") + ":6:17: group \"a\", rule 2"));
    EXPECT_TRUE(HasSubstr(message, dir.File("missing.yml") + ":1:1: cannot open file"));
  }
}

TEST(RuleFile, DuplicateRulesAsPromtoolLintsThem) {
  const RuleFileResult result = ParseRuleText(R"(groups:
  - name: a
    rules:
      - record: x
        expr: up
      - record: x
        expr: up + 1
      - alert: A
        expr: up
        labels: {s: w}
      - alert: A
        expr: up
        labels: {s: other}
  - name: b
    rules:
      - alert: A
        expr: up
        labels: {s: w}
)",
                                              "r.yml");
  ASSERT_TRUE(result.ok());
  const auto duplicates = FindDuplicateRules(result.groups);
  ASSERT_EQ(duplicates.size(), 2u);
  EXPECT_EQ(duplicates[0].name, "A");
  EXPECT_EQ(duplicates[0].labels, (Labels{{"s", "w"}}));
  EXPECT_EQ(duplicates[1].name, "x");
}

TEST(RuleFile, IdentityIsNameAndLabels) {
  RuleSpec a;
  a.name = "A";
  a.labels = {{"s", "w"}};
  a.expr = "up";
  RuleSpec b = a;
  b.expr = "up == 0";
  EXPECT_EQ(a.IdentityKey(), b.IdentityKey());
  EXPECT_FALSE(a.SameDefinition(b));
  b.labels = {{"s", "x"}};
  EXPECT_NE(a.IdentityKey(), b.IdentityKey());
}

TEST(ScalarOffsetPosition, FoldedBlocksMapWordsToTheirLines) {
  const std::string text = "expr: >\n  sum(x)\n  + nope(\n";
  const config::Position node{"f", 1, 7};
  const std::string value = "sum(x) + nope(\n";
  const auto at = detail::ScalarOffsetPosition(text, node, value, value.find("nope"));
  EXPECT_EQ(at.line, 3);
  EXPECT_EQ(at.column, 5);
}

}  // namespace
}  // namespace codebot::rules
