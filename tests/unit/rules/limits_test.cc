// Rule files and rule tests are outside input: a file a reload reads must come back as errors,
// never take the sidecar down (on SIGHUP it would kill a running process). Each case here once
// crashed or ran unbounded (found by hand, the issue's `check rules` SIGSEGVs, and by
// fuzz/rule_file_fuzz.cc and fuzz/rule_tests_fuzz.cc).
#include <gtest/gtest.h>
#include <pthread.h>

#include <functional>
#include <sstream>
#include <string>

#include "exporter/config/yaml.h"
#include "exporter/rules/check.h"
#include "exporter/rules/rule_file.h"
#include "exporter/rules/unit_test_runner.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::rules {
namespace {

// Runs fn on a thread with a large stack: sanitizer builds use several times a release build's
// stack per level of nesting, and these files go right up to the limits.
void OnLargeStack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{256} << 20);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, run, const_cast<std::function<void()>*>(&fn)), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string RecordingRule(const std::string& expr) {
  return "groups:\n- name: g\n  rules:\n  - record: r\n    expr: '" + expr + "'\n";
}

std::string AlertWithAnnotation(const std::string& text) {
  return "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    annotations:\n      a: '" +
         text + "'\n";
}

TEST(RuleLimits, CheckRulesGivesPromtoolVerdictsOnHugeExpressions) {
  testing::TempDir dir;
  OnLargeStack([&] {
    // promtool accepts these; `check rules` used to die of SIGSEGV on both.
    testing::WriteFile(dir.File("chain.yml"), RecordingRule(Repeat("x + ", 300'000) + "x"));
    testing::WriteFile(dir.File("or.yml"), RecordingRule(Repeat("up or ", 100'000) + "up"));
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(CheckRuleFiles({dir.File("chain.yml"), dir.File("or.yml")}, out, err), 0)
        << err.str();
    EXPECT_NE(out.str().find("SUCCESS: 1 rules found"), std::string::npos);
    // Nesting beyond the limits fails cleanly, with a position.
    testing::WriteFile(dir.File("parens.yml"),
                       RecordingRule(Repeat("(", 30'000) + "x" + Repeat(")", 30'000)));
    testing::WriteFile(dir.File("ifs.yml"), AlertWithAnnotation(Repeat("{{if true}}", 30'000) +
                                                                Repeat("{{end}}", 30'000)));
    out.str("");
    err.str("");
    EXPECT_EQ(CheckRuleFiles({dir.File("parens.yml"), dir.File("ifs.yml")}, out, err), 1);
    EXPECT_NE(err.str().find("parens.yml:5:1013: group \"g\", rule 1, \"r\": could not parse "
                             "expression: 1:1002: parse error: expression nests too deeply "
                             "(limit 1000)"),
              std::string::npos)
        << err.str();
    EXPECT_NE(err.str().find("template: __alert_A:1: max expression depth exceeded"),
              std::string::npos)
        << err.str();
  });
}

TEST(RuleLimits, AReloadOfABadFileThrowsTheConfigErrorTheReloadCatches) {
  // What App::Reload does on SIGHUP: LoadRuleFiles either returns groups or throws ConfigError
  // (then the running rules stay); before, these files crashed the process instead.
  testing::TempDir dir;
  OnLargeStack([&] {
    for (const std::string& text :
         {RecordingRule(Repeat("(", 100'000) + "x" + Repeat(")", 100'000)),
          RecordingRule("x" + Repeat("[1m:1m]", 100'000)), RecordingRule("x[1y:1ms] offset 300y"),
          AlertWithAnnotation(Repeat("{{with 1}}", 100'000) + Repeat("{{end}}", 100'000))}) {
      testing::WriteFile(dir.File("bad.yml"), text);
      EXPECT_THROW(LoadRuleFiles({dir.File("bad.yml")}), config::ConfigError);
    }
    testing::WriteFile(dir.File("ok.yml"), RecordingRule(Repeat("x * ", 100'000) + "x"));
    EXPECT_EQ(LoadRuleFiles({dir.File("ok.yml")}).size(), 1u);
  });
}

class RuleTestLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteFile(dir.File("rules.yml"), RecordingRule("count_over_time(vector(1)[1h:1ms])"));
  }

  int Run(const std::string& test_yaml, const RuleTestLimits& limits) {
    testing::WriteFile(dir.File("t_test.yml"), test_yaml);
    out.str("");
    err.str("");
    return RunRuleTests({dir.File("t_test.yml")}, out, err, limits);
  }

  testing::TempDir dir;
  std::ostringstream out;
  std::ostringstream err;
};

TEST_F(RuleTestLimitsTest, QueriesStopAtMaxSamples) {
  RuleTestLimits limits;
  limits.query.max_samples = 1000;
  EXPECT_EQ(Run("rule_files: [rules.yml]\ntests:\n- interval: 1m\n  promql_expr_test:\n"
                "  - expr: count_over_time(vector(1)[1h:1ms])\n    eval_time: 0\n",
                limits),
            1);
  EXPECT_NE(err.str().find("err: query processing would load too many samples into memory in "
                           "query execution"),
            std::string::npos)
      << err.str();
  // The rule itself fails the same way at its first evaluation.
  EXPECT_NE(err.str().find("rule: r, time: 0s, err: query processing would load too many "
                           "samples"),
            std::string::npos)
      << err.str();
}

TEST_F(RuleTestLimitsTest, EvaluationStepsCanBeCapped) {
  RuleTestLimits limits;
  limits.max_steps = 100;
  EXPECT_EQ(Run("rule_files: []\nevaluation_interval: 1ms\ntests:\n- interval: 1m\n"
                "  promql_expr_test:\n  - expr: vector(1)\n    eval_time: 1y\n",
                limits),
            1);
  EXPECT_NE(err.str().find("evaluating up to eval_time 1y every 1ms takes 31536000001 "
                           "evaluations, more than the limit of 100"),
            std::string::npos)
      << err.str();
}

TEST_F(RuleTestLimitsTest, HugeIntervalsTimesManyValuesDoNotOverflow) {
  // i * interval used to overflow int64 (292y apart, a million values): now the samples past any
  // possible eval_time are simply not loaded.
  EXPECT_EQ(Run("rule_files: []\ntests:\n- interval: 292y\n  input_series:\n  - series: x\n"
                "    values: 7x1000000\n  promql_expr_test:\n  - expr: x\n    eval_time: 0\n"
                "    exp_samples:\n    - labels: x\n      value: 7\n",
                {}),
            0)
      << err.str();
}

}  // namespace
}  // namespace codebot::rules
