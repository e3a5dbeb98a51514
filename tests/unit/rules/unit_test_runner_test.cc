// `test rules` on its own (the integration tests compare it with the real promtool): verdicts,
// promtool's message shapes, and the corners of promtool 2.42's semantics.
#include "exporter/rules/unit_test_runner.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::rules {
namespace {

const char kRules[] = R"yaml(groups:
  - name: g
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        for: 1m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} is down ({{ $value }})"
)yaml";

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::WriteFile(dir.File("rules.yml"), kRules); }

  int Run(const std::string& test_yaml) {
    testing::WriteFile(dir.File("t_test.yml"), test_yaml);
    out.str("");
    err.str("");
    return RunRuleTests({dir.File("t_test.yml")}, out, err);
  }

  testing::TempDir dir;
  std::ostringstream out;
  std::ostringstream err;
};

const char kPassing[] = R"yaml(rule_files: [rules.yml]
evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      - series: 'up{job="bot", instance="a"}'
        values: '1 0 0 0 0 1'
      - series: 'up{job="bot", instance="b"}'
        values: '1x5'
    alert_rule_test:
      # Down from 30s: pending (not listed) until 1m30s.
      - eval_time: 1m
        alertname: Down
        exp_alerts: []
      # Between evaluations: checked against the one at 1m30s.
      - eval_time: 1m40s
        alertname: Down
        exp_alerts:
          - exp_labels: {severity: page, job: bot, instance: a}
            exp_annotations: {summary: "a is down (0)"
}
      - eval_time: 2m30s
        alertname: Down
        exp_alerts: []
    promql_expr_test:
      - expr: job:up:sum
        eval_time: 1m
        exp_samples:
          - labels: 'job:up:sum{job="bot"}'
            value: 1
      - expr: ALERTS{alertstate="firing"}
        eval_time: 2m
        exp_samples:
          - labels: 'ALERTS{alertname="Down", alertstate="firing", instance="a", job="bot", severity="page"}'
            value: 1
)yaml";

TEST_F(RunnerTest, PassingFile) {
  EXPECT_EQ(Run(kPassing), 0) << err.str();
  EXPECT_EQ(out.str(), "Unit Testing:  " + dir.File("t_test.yml") + "\n  SUCCESS\n\n");
  EXPECT_EQ(err.str(), "");
}

TEST_F(RunnerTest, WrongAlertLabelsFailWithPromtoolsMessage) {
  std::string yaml = kPassing;
  yaml.replace(yaml.find("severity: page, job"), 14, "severity: info");
  EXPECT_EQ(Run(yaml), 1);
  EXPECT_EQ(err.str(),
            "  FAILED:\n"
            "    alertname: Down, time: 1m40s, \n"
            "        exp:[\n"
            "            0:\n"
            "              Labels:{alertname=\"Down\", instance=\"a\", job=\"bot\", "
            "severity=\"info\"}\n"
            "              Annotations:{summary=\"a is down (0)\"}\n"
            "            ], \n"
            "        got:[\n"
            "            0:\n"
            "              Labels:{alertname=\"Down\", instance=\"a\", job=\"bot\", "
            "severity=\"page\"}\n"
            "              Annotations:{summary=\"a is down (0)\"}\n"
            "            ]\n");
}

TEST_F(RunnerTest, MissingAndWrongSamplesFail) {
  std::string yaml = kPassing;
  yaml.replace(yaml.find("value: 1\n"), 9, "value: 2\n");
  yaml += "      - expr: up == 0\n        eval_time: 1m\n        exp_samples: []\n";
  EXPECT_EQ(Run(yaml), 1);
  EXPECT_EQ(err.str(),
            "  FAILED:\n"
            "    expr: \"job:up:sum\", time: 1m,\n"
            "        exp: {__name__=\"job:up:sum\", job=\"bot\"} 2E+00\n"
            "        got: {__name__=\"job:up:sum\", job=\"bot\"} 1E+00\n"
            "    expr: \"up == 0\", time: 1m,\n"
            "        exp: nil\n"
            "        got: {__name__=\"up\", instance=\"a\", job=\"bot\"} 0E+00\n");
}

TEST_F(RunnerTest, EvaluationErrorsStopTheTestGroup) {
  testing::WriteFile(dir.File("rules.yml"),
                     "groups:\n  - name: g\n    rules:\n      - alert: Dup\n        expr: up\n"
                     "        labels: {instance: same}\n");
  EXPECT_EQ(Run("rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series:\n"
                "      - series: 'up{instance=\"a\"}'\n        values: '1 1'\n"
                "      - series: 'up{instance=\"b\"}'\n        values: '_ 1'\n"
                "    promql_expr_test:\n      - expr: up\n        eval_time: 2m\n"),
            1);
  EXPECT_EQ(err.str(),
            "  FAILED:\n    rule: Dup, time: 1m0s, err: vector contains metrics with the same "
            "labelset after applying alert labels\n");
}

TEST_F(RunnerTest, WithoutAnIntervalEverySampleIsAtZeroAndTheFirstWins) {
  EXPECT_EQ(Run("rule_files: [rules.yml]\ntests:\n  - input_series:\n"
                "      - series: 'up{instance=\"a\"}'\n        values: '_ 5 7'\n"
                "    promql_expr_test:\n      - expr: up\n        eval_time: 2m\n"
                "        exp_samples:\n          - labels: 'up{instance=\"a\"}'\n"
                "            value: 5\n"),
            0)
      << err.str();
}

TEST_F(RunnerTest, FileLevelProblems) {
  EXPECT_EQ(Run("rule_files: [rules.yml]\ngroup_eval_order: [g, g]\ntests: []\n"), 1);
  EXPECT_EQ(err.str(), "  FAILED:\ngroup name repeated in evaluation order: g\n");

  EXPECT_EQ(Run("rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    name: named\n"
                "    alert_rule_test:\n      - eval_time: 1m\n"),
            1);
  EXPECT_EQ(err.str(),
            "  FAILED:\nan item under alert_rule_test misses required attribute alertname at "
            "eval_time 1m (in TestGroup named)\n");

  EXPECT_EQ(Run("rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    intervall: 1m\n"), 1);
  EXPECT_NE(err.str().find("t_test.yml:4:5: unknown key \"intervall\" in tests[0]"),
            std::string::npos)
      << err.str();

  EXPECT_EQ(Run("rule_files: [nothing-*.yml]\ntests: []\n"), 0);
  EXPECT_EQ(err.str(), "  WARNING: no file match pattern " + dir.File("nothing-*.yml") + "\n");

  testing::WriteFile(dir.File("rules.yml"), "groups:\n  - name: g\n    rules:\n      - alert: X\n");
  EXPECT_EQ(Run("rule_files: [rules.yml]\ntests:\n  - interval: 1m\n"), 1);
  EXPECT_EQ(err.str(), "  FAILED:\n" + dir.File("rules.yml") +
                           ":4:9: group \"g\", rule 1, \"X\": field 'expr' must be set in rule\n");
}

TEST_F(RunnerTest, GroupEvalOrderDecidesWhatAGroupSees) {
  // "second" records from what "first" recorded at the same timestamp only when it runs
  // after.
  testing::WriteFile(dir.File("rules.yml"),
                     "groups:\n  - name: second\n    rules:\n      - record: b\n        expr: a\n"
                     "  - name: first\n    rules:\n      - record: a\n        expr: vector(1)\n");
  const std::string tests =
      "tests:\n  - interval: 1m\n    promql_expr_test:\n      - expr: b\n        eval_time: "
      "0s\n"
      "        exp_samples:\n          - labels: 'b'\n            value: 1\n";
  EXPECT_EQ(Run("rule_files: [rules.yml]\n" + tests), 1) << "file order: b runs first";
  EXPECT_EQ(Run("rule_files: [rules.yml]\ngroup_eval_order: [first, second]\n" + tests), 0)
      << err.str();
}

// Subnormal numbers are numbers to promtool (Go's ParseFloat), in input_series and in
// exp_samples alike; strtod's ERANGE must not turn them into "expected a number".
TEST_F(RunnerTest, SubnormalNumbersAreRead) {
  const std::string test =
      "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series:\n"
      "      - series: 'up{instance=\"a\"}'\n        values: '2.8e-322 5e-324'\n"
      "    promql_expr_test:\n      - expr: up\n        eval_time: 0m\n"
      "        exp_samples:\n          - labels: 'up{instance=\"a\"}'\n"
      "            value: 2.8e-322\n      - expr: up\n        eval_time: 1m\n"
      "        exp_samples:\n          - labels: 'up{instance=\"a\"}'\n            value: ";
  EXPECT_EQ(Run(test + "5e-324\n"), 0) << err.str();
  EXPECT_EQ(err.str(), "");
  // Read as what they are, not as 0 or as each other.
  EXPECT_EQ(Run(test + "2.8e-322\n"), 1) << out.str();
  EXPECT_NE(err.str().find("expr: \"up\", time: 1m"), std::string::npos) << err.str();
  EXPECT_EQ(err.str().find("expected a number"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace codebot::rules
