// The engine's API contract beyond what the conformance scripts cover: options, result kinds,
// errors without exceptions, label handling, and one parsed expression evaluated concurrently.
#include "exporter/promql/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "exporter/core/labels.h"
#include "exporter/promql/label_string.h"
#include "exporter/promql/memory_storage.h"

namespace codebot::promql {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two counters scraped every 15s for 10 minutes, one gauge that stopped 4 minutes ago.
    for (int64_t t = 0; t <= 600'000; t += 15'000) {
      storage_.Append({{"__name__", "requests_total"}, {"job", "a"}}, t, t / 1000.0);
      storage_.Append({{"__name__", "requests_total"}, {"job", "b"}}, t, t / 500.0);
    }
    storage_.Append({{"__name__", "temp"}, {"room", "x"}}, 360'000, 21.5);
  }

  EvalResult Eval(std::string_view expr, int64_t t, const EvalOptions& options = {}) {
    ParseResult p = Parse(expr);
    EXPECT_TRUE(p.ok()) << p.error.ToString();
    if (!p.ok()) return EvalResult{false, p.error.ToString(), {}};
    return EvalInstant(*p.expr, storage_, t, options);
  }

  MemoryStorage storage_;
};

TEST_F(EngineTest, InstantVectorKeepsNameFunctionsDropIt) {
  EvalResult r = Eval("requests_total", 600'000);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.value.type, ValueType::kVector);
  ASSERT_EQ(r.value.vector.size(), 2u);
  EXPECT_EQ(LabelsToString(r.value.vector[0].labels), "{__name__=\"requests_total\", job=\"a\"}");
  EXPECT_EQ(r.value.vector[0].v, 600);

  r = Eval("rate(requests_total[1m])", 600'000);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.value.vector.size(), 2u);
  EXPECT_EQ(LabelsToString(r.value.vector[1].labels), "{job=\"b\"}");
  EXPECT_DOUBLE_EQ(r.value.vector[1].v, 2);
}

TEST_F(EngineTest, LookbackDeltaOption) {
  // The gauge's only sample is 4 minutes old: inside the default 5m lookback, outside 3m.
  EXPECT_EQ(Eval("temp", 600'000).value.vector.size(), 1u);
  EvalOptions short_lookback;
  short_lookback.lookback_delta_ms = 3 * 60'000;
  EXPECT_TRUE(Eval("temp", 600'000, short_lookback).value.vector.empty());
  EvalOptions unset;
  unset.lookback_delta_ms = 0;  // as in Prometheus, unset means the default 5m
  EXPECT_EQ(Eval("temp", 600'000, unset).value.vector.size(), 1u);
  // Exactly lookback_delta old still counts.
  EXPECT_EQ(Eval("temp", 660'000).value.vector.size(), 1u);
  EXPECT_TRUE(Eval("temp", 660'001).value.vector.empty());
}

TEST_F(EngineTest, DefaultSubqueryStepOption) {
  // 2m of steps ending at 600s: every 1m by default (3 points), every 30s when configured (5).
  EXPECT_EQ(Eval("count_over_time(requests_total{job=\"a\"}[2m:])", 600'000).value.vector[0].v, 3);
  EvalOptions options;
  options.default_subquery_step_ms = 30'000;
  EXPECT_EQ(
      Eval("count_over_time(requests_total{job=\"a\"}[2m:])", 600'000, options).value.vector[0].v,
      5);
}

TEST_F(EngineTest, ResultKinds) {
  EvalResult scalar = Eval("time() * 2", 90'000);
  ASSERT_EQ(scalar.value.type, ValueType::kScalar);
  EXPECT_EQ(scalar.value.scalar, 180);

  EvalResult matrix = Eval("requests_total{job=\"a\"}[1m]", 600'000);
  ASSERT_EQ(matrix.value.type, ValueType::kMatrix);
  ASSERT_EQ(matrix.value.matrix.size(), 1u);
  ASSERT_EQ(matrix.value.matrix[0].points.size(), 5u);  // 540s..600s, both ends included
  EXPECT_EQ(matrix.value.matrix[0].points.front().t, 540'000);

  EvalResult str = Eval("\"hello\"", 0);
  ASSERT_EQ(str.value.type, ValueType::kString);
  EXPECT_EQ(str.value.string, "hello");
}

TEST_F(EngineTest, EvaluationErrorsComeBackAsResults) {
  EvalResult r = Eval("label_replace(requests_total, \"job\", \"x\", \"job\", \".*\")", 600'000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "vector cannot contain metrics with the same labelset");
  EXPECT_TRUE(r.value.vector.empty());

  r = Eval("requests_total + on() requests_total", 600'000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "found duplicate series for the match group {} on the right hand-side of the "
            "operation: [{__name__=\"requests_total\", job=\"b\"}, {__name__=\"requests_total\", "
            "job=\"a\"}];many-to-many matching not allowed: matching labels must be unique on one "
            "side");

  r = Eval("label_replace(requests_total, \"x\", \"y\", \"job\", \"(\")", 600'000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "invalid regular expression in label_replace(): (");
}

TEST_F(EngineTest, OneParsedExpressionManyThreads) {
  ParseResult p = Parse(
      "sum by (job) (rate(requests_total[2m])) / on(job) group_left "
      "label_replace(requests_total, \"j\", \"$1\", \"job\", \"(.*)\")");
  ASSERT_TRUE(p.ok()) << p.error.ToString();
  EvalResult want = EvalInstant(*p.expr, storage_, 600'000);
  ASSERT_TRUE(want.ok) << want.error;
  ASSERT_EQ(want.value.vector.size(), 2u);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 200; ++k) {
        EvalResult got = EvalInstant(*p.expr, storage_, 600'000);
        if (!got.ok || got.value.vector.size() != want.value.vector.size()) {
          ++mismatches[i];
          continue;
        }
        for (size_t j = 0; j < got.value.vector.size(); ++j) {
          if (got.value.vector[j].labels != want.value.vector[j].labels ||
              got.value.vector[j].v != want.value.vector[j].v) {
            ++mismatches[i];
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace codebot::promql
