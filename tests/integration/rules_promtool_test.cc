// `codebot-exporter test rules` / `check rules` next to the real promtool 2.42: the shared
// conformance tests, the shipped rules/tests, and deliberately failing files must get the same
// verdict from both, and for failing unit tests the same report, line for line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {
namespace {

struct ToolRun {
  int code = -1;
  std::string output;  // stdout and stderr, in the order they were written
};

ToolRun RunTool(std::vector<std::string> argv, const std::string& cwd = "") {
  if (!cwd.empty()) {
    // Relative paths in the output then read the same for both tools.
    std::vector<std::string> shell = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd};
    shell.insert(shell.end(), argv.begin(), argv.end());
    argv = std::move(shell);
  }
  ToolRun run;
  run.code = RunCommand(argv, &run.output, "", std::chrono::seconds(60));
  return run;
}

ToolRun Promtool(const std::vector<std::string>& args, const std::string& cwd = "") {
  std::vector<std::string> argv = {"promtool"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunTool(argv, cwd);
}

ToolRun Ours(const std::vector<std::string>& args, const std::string& cwd = "") {
  std::vector<std::string> argv = {ExporterBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunTool(argv, cwd);
}

std::vector<std::string> TestFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with("_test.yml")) files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

class PromtoolAgreement : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(HaveProgram("promtool")) << "promtool is not installed"; }

  // Both tools on the same file, from the same directory: same exit code, same report.
  void ExpectSameReport(const std::string& dir, const std::string& file, int expected_code) {
    const ToolRun theirs = Promtool({"test", "rules", file}, dir);
    const ToolRun ours = Ours({"test", "rules", file}, dir);
    EXPECT_EQ(theirs.code, expected_code) << file << ":\n" << theirs.output;
    EXPECT_EQ(ours.code, theirs.code) << file << ":\n" << ours.output;
    EXPECT_EQ(ours.output, theirs.output) << file;
  }
};

TEST_F(PromtoolAgreement, SharedConformanceTestsPassUnderBoth) {
  const std::string dir = SharedDir() + "/conformance/rules";
  const auto files = TestFiles(dir);
  ASSERT_GE(files.size(), 3u) << "no conformance tests in " << dir;
  for (const auto& file : files) ExpectSameReport(dir, file, 0);
  // All at once, as the README runs them.
  std::vector<std::string> args = {"test", "rules"};
  args.insert(args.end(), files.begin(), files.end());
  EXPECT_EQ(Ours(args, dir).code, 0);
}

TEST_F(PromtoolAgreement, ShippedRuleTestsPassUnderBoth) {
  const std::string dir = SourceDir() + "/rules/tests";
  const auto files = TestFiles(dir);
  ASSERT_GE(files.size(), 4u);
  for (const auto& file : files) ExpectSameReport(dir, file, 0);
}

TEST_F(PromtoolAgreement, ShippedAndSharedRuleFilesPassCheckRules) {
  for (const std::string& file : {SourceDir() + "/rules/alerts.yml",
                                  SharedDir() + "/conformance/rules/bot-alerts.rules.yml"}) {
    const ToolRun theirs = Promtool({"check", "rules", file});
    const ToolRun ours = Ours({"check", "rules", file});
    EXPECT_EQ(theirs.code, 0) << theirs.output;
    EXPECT_EQ(ours.code, 0) << ours.output;
    EXPECT_EQ(ours.output, theirs.output);
  }
}

// Failing unit tests against the shared rule file (referenced where it is, never copied).
class FailingFixtures : public PromtoolAgreement {
 protected:
  void Write(const std::string& name, const std::string& body) {
    WriteFile(dir_.File(name), "rule_files:\n  - " + SharedDir() +
                                   "/conformance/rules/bot-alerts.rules.yml\n" + body);
  }
  TempDir dir_;
};

const char kDownSeries[] = R"(evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'up{job="bot", instance="bot-1:8080"}'
        values: '1 1 0 0 0 0 0 1 1'
)";

// A test's external_url fills $externalURL, but promtool runs the externalURL and pathPrefix
// functions without a URL: the expansion of each must be the same under both tools.
TEST_F(FailingFixtures, ExternalUrlVariableAndFunctions) {
  WriteFile(dir_.File("url.rules.yml"), R"(groups:
  - name: url
    rules:
      - alert: UrlCheck
        expr: up == 0
        annotations:
          variable: "{{ $externalURL }}/alerts"
          function: "{{ externalURL }}"
          prefix: "{{ pathPrefix }}"
)");
  WriteFile(dir_.File("url_test.yml"), R"(rule_files: [url.rules.yml]
evaluation_interval: 15s
tests:
  - interval: 15s
    external_url: https://prometheus.example.com/prom
    input_series:
      - series: 'up{job="bot"}'
        values: '0 0'
    alert_rule_test:
      - eval_time: 15s
        alertname: UrlCheck
        exp_alerts:
          - exp_labels: {job: bot}
            exp_annotations:
              variable: "https://prometheus.example.com/prom/alerts"
              function: "https://prometheus.example.com/prom"
              prefix: "/prom"
)");
  ExpectSameReport(dir_.path(), "url_test.yml", 1);
}

TEST_F(FailingFixtures, WrongExpectedValue) {
  Write("value_test.yml", std::string(kDownSeries) + R"(    promql_expr_test:
      - expr: up
        eval_time: 1m
        exp_samples:
          - labels: 'up{job="bot", instance="bot-1:8080"}'
            value: 1
)");
  ExpectSameReport(dir_.path(), "value_test.yml", 1);
}

// Reports quote label values and expressions with Go's %q: non-printable runes (no-break and
// ideographic spaces, line separators) as \u escapes, printable ones as they are.
TEST_F(FailingFixtures, NonPrintableRunesQuotedAsInGo) {
  Write("runes_test.yml", std::string(kDownSeries) + R"(    promql_expr_test:
      - expr: 'label_replace(up, "x", "\u00a0\u2028\u3000\u00e9\U0001F600\\", "job", ".*")'
        eval_time: 1m
        exp_samples:
          - labels: 'up{job="bot", instance="bot-1:8080"}'
            value: 0
      - expr: 'count_values("\u00a0x", up)'
        eval_time: 1m
        exp_samples: []
)");
  ExpectSameReport(dir_.path(), "runes_test.yml", 1);
}

// Numbers in labels are Go's: count_values writes strconv's shortest 'f' form (1e23 as
// 100000000000000000000000, not its exact binary value), and a bucket bound is read by
// strconv.ParseFloat, which takes '_' between digits.
TEST_F(FailingFixtures, NumbersInLabelsReadAndPrintAsInGo) {
  Write("numbers_test.yml", R"(evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'big{i="1"}'
        values: '1e23 1e23'
      - series: 'big{i="2"}'
        values: '123456789012345680000 123456789012345680000'
      - series: 'big{i="3"}'
        values: '0.000001 0.000001'
    promql_expr_test:
      - expr: count_values("v", big)
        eval_time: 1m
        exp_samples: []
      - expr: histogram_quantile(0.5, label_replace(big, "le", "1_0", "i", "1"))
        eval_time: 1m
        exp_samples: []
)");
  ExpectSameReport(dir_.path(), "numbers_test.yml", 1);
}

// label_replace expands its replacement as Go's regexp does: a group name after '$' runs over
// letters, digits and '_' in the Unicode sense, so "$1€" is group 1 then "€", "$1é" is the
// (missing) group "1é", and "$$" is a dollar.
TEST_F(FailingFixtures, LabelReplaceExpandsAsGoRegexp) {
  Write("expand_test.yml", R"yml(evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{a="bot-1"}'
        values: '1 1'
    promql_expr_test:
      - expr: label_replace(up, "x", "$1€|$1é|${1}é|$2·|$name|$$1", "a", "(?P<name>[a-z]+)-(\\d)")
        eval_time: 1m
        exp_samples: []
)yml");
  ExpectSameReport(dir_.path(), "expand_test.yml", 1);
}

// Escape errors name the rune Prometheus' lexer read, as %#U: the whole character (not its
// first byte), and its glyph only when Go counts it printable.
TEST_F(FailingFixtures, EscapeErrorsNameRunesAsGo) {
  Write("escapes_test.yml", R"yml(evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{a="b"}'
        values: '1 1'
    promql_expr_test:
      - expr: 'label_replace(up, "x", "\é", "a", ".*")'
        eval_time: 1m
        exp_samples: []
      - expr: 'label_replace(up, "x", "\xé", "a", ".*")'
        eval_time: 1m
        exp_samples: []
      - expr: "label_replace(up, \"x\", \"\\\u00a0\", \"a\", \".*\")"
        eval_time: 1m
        exp_samples: []
      - expr: 'label_replace(up, "x", "\u12g4", "a", ".*")'
        eval_time: 1m
        exp_samples: []
)yml");
  ExpectSameReport(dir_.path(), "escapes_test.yml", 1);
}

TEST_F(FailingFixtures, WrongLabels) {
  Write("labels_test.yml", std::string(kDownSeries) + R"(    alert_rule_test:
      - eval_time: 1m
        alertname: BotServiceDown
        exp_alerts:
          - exp_labels:
              severity: warning
              job: bot
              instance: bot-1:8080
            exp_annotations:
              summary: "Target bot-1:8080 of job bot is down"
              description: "up is 0 for bot-1:8080."
    promql_expr_test:
      - expr: up == 0
        eval_time: 1m
        exp_samples:
          - labels: 'up{job="bot", instance="bot-2:8080"}'
            value: 0
)");
  ExpectSameReport(dir_.path(), "labels_test.yml", 1);
}

TEST_F(FailingFixtures, MissingAlert) {
  // Firing at 1m but not expected; expected at 45s but only pending then.
  Write("missing_test.yml", std::string(kDownSeries) + R"(    alert_rule_test:
      - eval_time: 1m
        alertname: BotServiceDown
        exp_alerts: []
      - eval_time: 45s
        alertname: BotServiceDown
        exp_alerts:
          - exp_labels:
              severity: critical
              job: bot
              instance: bot-1:8080
            exp_annotations:
              summary: "Target bot-1:8080 of job bot is down"
              description: "up is 0 for bot-1:8080."
)");
  ExpectSameReport(dir_.path(), "missing_test.yml", 1);
}

TEST_F(FailingFixtures, WrongAnnotationAndExtraAlert) {
  Write("annotation_test.yml", std::string(kDownSeries) + R"(    name: annotations
    alert_rule_test:
      - eval_time: 90s
        alertname: BotServiceDown
        exp_alerts:
          - exp_labels:
              severity: critical
              job: bot
              instance: bot-1:8080
            exp_annotations:
              summary: "Target bot-1:8080 of job bot is down"
              description: "up is 1 for bot-1:8080."
          - exp_labels:
              severity: critical
              job: bot
              instance: bot-2:8080
)");
  ExpectSameReport(dir_.path(), "annotation_test.yml", 1);
}

TEST_F(FailingFixtures, KeepFiringForAndPercentages) {
  // GitHubAPIRateLimitCritical (keep_firing_for: 2m) after the quota recovers at 2m: firing at
  // 3m and expected not to be, and the other way round at 4m; humanizePercentage in both.
  Write("keep_test.yml", R"(evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'github_api_rate_limit_limit{resource="core"}'
        values: '5000x6'
      - series: 'github_api_rate_limit_remaining{resource="core"}'
        values: '425 425 5000 5000 5000 5000 5000'
    alert_rule_test:
      - eval_time: 3m
        alertname: GitHubAPIRateLimitCritical
        exp_alerts: []
      - eval_time: 4m
        alertname: GitHubAPIRateLimitCritical
        exp_alerts:
          - exp_labels: {severity: critical, resource: core}
    promql_expr_test:
      - expr: github_api_rate_limit_remaining / github_api_rate_limit_limit
        eval_time: 1m
        exp_samples:
          - labels: '{resource="core"}'
            value: 0.085
)");
  ExpectSameReport(dir_.path(), "keep_test.yml", 1);
}

TEST_F(FailingFixtures, EvaluationError) {
  WriteFile(dir_.File("dup.rules.yml"), R"(groups:
  - name: dup
    rules:
      - alert: SameLabels
        expr: up
        labels:
          instance: all
)");
  WriteFile(dir_.File("eval_test.yml"), R"(rule_files: [dup.rules.yml]
tests:
  - interval: 1m
    input_series:
      - series: 'up{instance="a"}'
        values: '1x3'
      - series: 'up{instance="b"}'
        values: '_ _ 1'
    alert_rule_test:
      - eval_time: 3m
        alertname: SameLabels
        exp_alerts: []
)");
  ExpectSameReport(dir_.path(), "eval_test.yml", 1);
}

// Every alert of the shared rule file over data that crosses its thresholds back and forth, with
// nothing expected: both tools then print every firing alert (labels, expanded annotations) at
// every step and every queried value, so the two reports must match line for line.
TEST_F(FailingFixtures, DifferentialReportOverTheSharedRules) {
  std::string yaml = R"(evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      - series: 'up{job="bot", instance="a:1"}'
        values: '1 0 0 0 1 0 0 0 0 1 1 0 1 0 0 0 0 0 1 1 1 0 0 0 0 0 0 0 1 1 1'
      - series: 'up{job="bot", instance="b:1"}'
        values: '0 0 1 1 0 0 0 _ _ 0 0 0 0 stale 1 1 1 0 0 0 0'
      - series: 'http_requests_total{job="bot", code="200"}'
        values: '0+97x15 1455+80x15'
      - series: 'http_requests_total{job="bot", code="500"}'
        values: '0+3x15 45+20x15'
      - series: 'http_requests_total{job="api", code="502"}'
        values: '0+7x30'
      - series: 'http_requests_total{job="api", code="200"}'
        values: '0+93x30'
      - series: 'github_api_rate_limit_limit{name="sync", resource="core"}'
        values: '5000x30'
      - series: 'github_api_rate_limit_remaining{name="sync", resource="core"}'
        values: '5000-150x30'
      - series: 'github_api_rate_limit_limit{name="sync", resource="search"}'
        values: '30x30'
      - series: 'github_api_rate_limit_remaining{name="sync", resource="search"}'
        values: '2 2 30 2 30 2 2 2 2 30 30 30 30 30 2 2 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30'
      - series: 'pg_up{job="postgres", instance="db:5432"}'
        values: '1 1 0 0 0 0 1 0 0 0 0 0 0 1 1 1 1 1 1 1 1'
      - series: 'pg_settings_max_connections{job="postgres", instance="db:5432"}'
        values: '100x30'
      - series: 'pg_stat_activity_count{job="postgres", instance="db:5432", state="active"}'
        values: '10+3x30'
      - series: 'pg_stat_activity_count{job="postgres", instance="db:5432", state="idle"}'
        values: '50x30'
)";
  for (int step = 0; step <= 28; ++step) {
    const std::string at = std::to_string(step * 30) + "s";
    if (step == 0) yaml += "    alert_rule_test:\n";
    for (const char* name :
         {"BotServiceDown", "BotHighHTTPErrorRatio", "GitHubAPIRateLimitLow",
          "GitHubAPIRateLimitCritical", "PostgreSQLDown", "PostgreSQLTooManyConnections"}) {
      yaml += "      - eval_time: " + at + "\n        alertname: " + name +
              "\n        exp_alerts: []\n";
    }
  }
  yaml += "    promql_expr_test:\n";
  for (int step = 0; step <= 28; step += 4) {
    yaml +=
        "      - expr: github_api_rate_limit_remaining / github_api_rate_limit_limit\n"
        "        eval_time: " +
        std::to_string(step * 30) + "s\n";
    yaml +=
        "      - expr: sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / "
        "sum by (job) (rate(http_requests_total[5m]))\n        eval_time: " +
        std::to_string(step * 30) + "s\n";
  }
  Write("differential_test.yml", yaml);
  ExpectSameReport(dir_.path(), "differential_test.yml", 1);
}

TEST_F(FailingFixtures, BrokenFilesFailUnderBoth) {
  // The messages differ (ours carry file:line:col); the verdicts must not.
  WriteFile(dir_.File("broken.rules.yml"), R"(groups:
  - name: broken
    rules:
      - alert: Broken
        expr: sum(rate(up[5m])
)");
  WriteFile(dir_.File("broken_test.yml"),
            "rule_files: [broken.rules.yml]\ntests:\n"
            "  - interval: 1m\n");
  WriteFile(dir_.File("series_test.yml"),
            std::string(kDownSeries).replace(std::string(kDownSeries).find("'1 1 0"), 6, "'1 x 0"));
  for (const std::string file : {"broken_test.yml", "series_test.yml"}) {
    const ToolRun theirs = Promtool({"test", "rules", file}, dir_.path());
    const ToolRun ours = Ours({"test", "rules", file}, dir_.path());
    EXPECT_EQ(theirs.code, 1) << theirs.output;
    EXPECT_EQ(ours.code, 1) << ours.output;
  }
  const ToolRun theirs = Promtool({"check", "rules", "broken.rules.yml"}, dir_.path());
  const ToolRun ours = Ours({"check", "rules", "broken.rules.yml"}, dir_.path());
  EXPECT_EQ(theirs.code, 1);
  EXPECT_EQ(ours.code, 1);
  EXPECT_NE(ours.output.find("broken.rules.yml:5:31: group \"broken\", rule 1, \"Broken\": could "
                             "not parse expression"),
            std::string::npos)
      << ours.output;
}

}  // namespace
}  // namespace codebot::testing
