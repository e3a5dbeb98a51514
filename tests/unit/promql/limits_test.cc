// What PromQL does with hostile input (each case once found by hand or by fuzz/promql_fuzz.cc,
// each a crash or unbounded run before): long operator chains are accepted as promtool accepts
// them, without the stack growing with their length; other nesting stops at a limit with a
// clean error; durations beyond Go's range are refused at parse time as Prometheus refuses them;
// an evaluation stops at --query.max-samples and --query.timeout with Prometheus' errors.
#include <gtest/gtest.h>
#include <pthread.h>

#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "exporter/promql/engine.h"
#include "exporter/promql/memory_storage.h"
#include "exporter/promql/series_notation.h"

namespace codebot::promql {
namespace {

// Runs fn on a thread with a stack of `bytes`: small to prove that something does not recurse,
// large because sanitizer builds use several times a release build's stack per level and these
// tests go right up to the nesting limit (about 1 MiB in a release build).
void OnStack(size_t bytes, const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, run, const_cast<std::function<void()>*>(&fn)), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

constexpr size_t kSmallStack = size_t{1} << 20;
constexpr size_t kLargeStack = size_t{256} << 20;

std::string ErrorOf(std::string_view text) {
  ParseResult r = Parse(text);
  return r.ok() ? "OK" : r.error.ToString();
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// x = 1 every minute for an hour.
const MemoryStorage& OneSeries() {
  static const MemoryStorage* storage = [] {
    auto* s = new MemoryStorage();
    for (int64_t t = 0; t <= 3'600'000; t += 60'000) s->Append({{"__name__", "x"}}, t, 1);
    return s;
  }();
  return *storage;
}

TEST(PromqlLimits, ChainsOfHundredsOfThousandsOfOperatorsWorkOnASmallStack) {
  // promtool accepts 100,000 chained operators; `check rules` used to die of SIGSEGV. Parsing,
  // checking, printing, evaluating and freeing walk the chain with loops, so one MiB of stack
  // is plenty however long it is.
  const size_t n = 300'000;
  std::string text = "x";
  for (size_t i = 1; i < n; ++i) text += i % 2 ? " + x" : " * x";
  const MemoryStorage& storage = OneSeries();
  OnStack(kSmallStack, [&] {
    ParseResult r = Parse(text);
    ASSERT_TRUE(r.ok()) << r.error.ToString();
    EXPECT_EQ(Format(*r.expr), text);
    EXPECT_EQ(MaxLookbackMs(*r.expr), 5 * 60'000);
    EvalResult e = EvalInstant(*r.expr, storage, 3'600'000);
    ASSERT_TRUE(e.ok) << e.error;
    ASSERT_EQ(e.value.vector.size(), 1u);
    // x + x * x + x * x ... + x with x = 1: one plus the number of '+'.
    EXPECT_EQ(e.value.vector[0].v, static_cast<double>(n / 2 + 1));
    // Types are still checked along the chain, in order.
    EXPECT_EQ(ErrorOf(Repeat("1 + ", 200'000) + "x[5m]"),
              "1:800001: parse error: binary expression must contain only scalar and instant "
              "vector types");
  });
}

TEST(PromqlLimits, DeeperNestingFailsCleanlyAtTheLimit) {
  OnStack(kLargeStack, [] {
    // 1000 levels of each kind of nesting are fine...
    EXPECT_EQ(ErrorOf(Repeat("(", 1000) + "1" + Repeat(")", 1000)), "OK");
    EXPECT_EQ(ErrorOf(Repeat("abs(", 1000) + "x" + Repeat(")", 1000)), "OK");
    EXPECT_EQ(ErrorOf(Repeat("-", 1000) + "1"), "OK");
    // ... one more is a clean error at the expression one level too deep, and so is far more
    // (promtool accepts 100,000 parentheses; we used to crash on them).
    const std::string error = "parse error: expression nests too deeply (limit 1000)";
    EXPECT_EQ(ErrorOf(Repeat("(", 1001) + "1" + Repeat(")", 1001)), "1:1002: " + error);
    EXPECT_EQ(ErrorOf(Repeat("(", 100'000) + "1" + Repeat(")", 100'000)), "1:1002: " + error);
    EXPECT_EQ(ErrorOf(Repeat("sum(", 50'000) + "x" + Repeat(")", 50'000)), "1:4005: " + error);
    EXPECT_EQ(ErrorOf(Repeat("-", 100'000) + "1"), "1:1002: " + error);
    EXPECT_EQ(ErrorOf(Repeat("x ^ ", 100'000) + "x"), "1:4005: " + error);
    // Subqueries of subqueries nest without recursing in the parser; they count too (this one
    // used to crash the type check), at the '[' one level too deep.
    EXPECT_EQ(ErrorOf("x" + Repeat("[1m:1m]", 100'000)), "1:7002: " + error);
    // At the limit the expression also evaluates.
    const MemoryStorage& storage = OneSeries();
    ParseResult r = Parse(Repeat("abs(", 1000) + "x" + Repeat(")", 1000));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(EvalInstant(*r.expr, storage, 60'000).ok);
  });
}

TEST(PromqlLimits, DeepTreesArePrintedMeasuredAndFreedOnASmallStack) {
  // The HTTP server's workers have about 100 KiB of stack: /api/v1/rules prints every rule's
  // expression there, and a reload measures and frees the old ones there. A rule nested 900
  // deep killed the sidecar on GET /api/v1/rules.
  const std::string text = Repeat("abs(", 450) + "max_over_time((" + Repeat("-(", 200) +
                           "x offset 1m" + Repeat(")", 200) + ")[5m:1m])" + Repeat(")", 450);
  std::shared_ptr<const Expr> expr;
  OnStack(kLargeStack, [&] {
    ParseResult r = Parse(text);
    ASSERT_TRUE(r.ok()) << r.error.ToString();
    expr = r.expr;
  });
  ASSERT_TRUE(expr);
  OnStack(size_t{64} << 10, [&] {
    EXPECT_EQ(Format(*expr), text);
    EXPECT_EQ(MaxLookbackMs(*expr), 5 * 60'000 + 60'000 + 5 * 60'000);
    expr.reset();  // the last owner: the whole tree is freed here
  });
}

TEST(PromqlLimits, DurationsBeyondGoRangeAreOutOfRangeAtParseTime) {
  // promtool 2.42's verdicts, position included.
  EXPECT_EQ(ErrorOf("x[300y]"), "1:3: parse error: duration out of range");
  EXPECT_EQ(ErrorOf("x[106752d]"), "1:3: parse error: duration out of range");
  EXPECT_EQ(ErrorOf("x[15251w]"), "1:3: parse error: duration out of range");
  EXPECT_EQ(ErrorOf("x offset 300y"), "1:10: parse error: duration out of range");
  EXPECT_EQ(ErrorOf("x offset -300y"), "1:11: parse error: duration out of range");
  EXPECT_EQ(ErrorOf("x[1m:300y]"), "1:6: parse error: duration out of range");
  EXPECT_EQ(ErrorOf("x[9223372036854775807ms]"), "1:3: parse error: duration out of range");
  EXPECT_EQ(ErrorOf("x[99999999999999999999999s]"), "1:3: parse error: duration out of range");
  EXPECT_EQ(ErrorOf("x[292y]"), "OK");
  EXPECT_EQ(ErrorOf("x[106751d]"), "OK");
  EXPECT_EQ(ErrorOf("x[9223372036854ms]"), "OK");
  // A syntax error still wins, as in Prometheus.
  EXPECT_EQ(ErrorOf("x[1y1y]"), "1:3: parse error: bad duration syntax: \"1y1\"");
}

TEST(PromqlLimits, ExtremeOffsetsAndRangesEvaluateWithoutOverflow) {
  // The largest offsets and ranges, nested, at both ends of time: a sanitizer build reports any
  // signed overflow (it used to, for offsets and ranges beyond Go's range).
  const MemoryStorage& storage = OneSeries();
  const std::string text =
      "max_over_time(max_over_time(x[292y] offset -292y)[292y:292y] offset 292y)"
      "[292y:1y] offset -292y";
  ParseResult r = Parse("count_over_time(" + text + ")");
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_GT(MaxLookbackMs(*r.expr), 0);
  for (int64_t t : {int64_t{0}, int64_t{1'700'000'000'000}, -int64_t{9'000'000'000'000}}) {
    EXPECT_TRUE(EvalInstant(*r.expr, storage, t).ok);
  }
}

TEST(PromqlLimits, QueriesStopAtMaxSamplesWithPrometheusError) {
  EXPECT_EQ(EvalOptions{}.max_samples, 50'000'000);  // --query.max-samples' default
  EXPECT_EQ(EvalOptions{}.timeout_ms, 120'000);      // --query.timeout's default
  const MemoryStorage& storage = OneSeries();
  EvalOptions options;
  options.max_samples = 50;
  // x[1h:1ms] used to run unbounded (x[1y:1ms]: 3e10 steps); a selection alone can be too much.
  for (const char* text : {"count_over_time(vector(1)[1y:1ms])", "count_over_time(x[1h:1ms])",
                           "sum_over_time(x[1000m])", "max_over_time(rate(x[2h])[1d:1m])"}) {
    ParseResult r = Parse(text);
    ASSERT_TRUE(r.ok()) << text;
    EvalResult e = EvalInstant(*r.expr, storage, 3'600'000, options);
    EXPECT_FALSE(e.ok) << text;
    EXPECT_EQ(e.error,
              "query processing would load too many samples into memory in query execution")
        << text;
  }
  // What a subquery step selects is released after the step: 31 steps of 21 samples each stay
  // within 100 (at most 30 gathered + 21 selected at once).
  options.max_samples = 100;
  ParseResult r = Parse("max_over_time(sum_over_time(x[20m])[30m:1m])");
  ASSERT_TRUE(r.ok());
  EvalResult e = EvalInstant(*r.expr, storage, 3'600'000, options);
  ASSERT_TRUE(e.ok) << e.error;
  ASSERT_EQ(e.value.vector.size(), 1u);
  EXPECT_EQ(e.value.vector[0].v, 21);
}

TEST(PromqlLimits, QueriesStopAtTheTimeoutWithPrometheusError) {
  // Nothing to count as samples here, so only the deadline stops it (3e12 empty steps).
  const MemoryStorage& storage = OneSeries();
  EvalOptions options;
  options.timeout_ms = 50;
  ParseResult r = Parse("count_over_time(nothing[100y:1ms])");
  ASSERT_TRUE(r.ok());
  EvalResult e = EvalInstant(*r.expr, storage, 0, options);
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.error, "query timed out in expression evaluation");
}

TEST(PromqlLimits, SeriesRepetitionCountsNeverWrapAround) {
  // k + 1 for k = 2^64-1 used to wrap to 0: `1x18446744073709551615` read as no values at all.
  std::vector<SequenceValue> values;
  ParseError error;
  EXPECT_FALSE(ParseSeriesValues("1x18446744073709551615", &values, &error));
  EXPECT_EQ(error.ToString(), "1:1: parse error: too many values in series");
  EXPECT_FALSE(ParseSeriesValues("1x1000", &values, &error, /*max_values=*/1000));
  EXPECT_TRUE(ParseSeriesValues("1x999", &values, &error, /*max_values=*/1000));
  EXPECT_EQ(values.size(), 1000u);
}

}  // namespace
}  // namespace codebot::promql
