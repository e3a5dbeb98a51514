// Parser behaviour without a reference server at hand: error positions and messages (the wording
// is checked against a real Prometheus in prometheus_diff_test), precedence, case rules,
// literals, type checks, the canonical printing, and what an expression makes the store keep.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "exporter/promql/engine.h"
#include "exporter/promql/memory_storage.h"

namespace codebot::promql {
namespace {

std::string ErrorOf(std::string_view text) {
  ParseResult r = Parse(text);
  return r.ok() ? "OK" : r.error.ToString();
}

double Scalar(std::string_view text) {
  ParseResult r = Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error.ToString();
  if (!r.ok()) return NAN;
  MemoryStorage empty;
  EvalResult e = EvalInstant(*r.expr, empty, 0);
  EXPECT_TRUE(e.ok) << e.error;
  EXPECT_EQ(e.value.type, ValueType::kScalar) << text;
  return e.value.scalar;
}

std::string Canonical(std::string_view text) {
  ParseResult r = Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error.ToString();
  return r.ok() ? Format(*r.expr) : "";
}

TEST(ParseErrors, NamePositionAndWhatWasExpected) {
  EXPECT_EQ(ErrorOf("1 +"), "1:4: parse error: unexpected end of input");
  EXPECT_EQ(ErrorOf("foo bar"), "1:5: parse error: unexpected identifier \"bar\"");
  EXPECT_EQ(ErrorOf("sum by (job (foo)"),
            "1:13: parse error: unexpected \"(\" in grouping opts, expected \",\" or \")\"");
  EXPECT_EQ(ErrorOf("foo{a}"),
            "1:6: parse error: unexpected \"}\" in label matching, expected label matching "
            "operator");
  EXPECT_EQ(ErrorOf("foo offset 5"),
            "1:12: parse error: unexpected number \"5\" in offset, expected duration");
  EXPECT_EQ(ErrorOf("sum(rate(foo[5m])"), "1:18: parse error: unclosed left parenthesis");
  EXPECT_EQ(ErrorOf("foo{a=\"b\""), "1:10: parse error: unexpected end of input inside braces");
  EXPECT_EQ(ErrorOf("foo[5]"), "1:5: parse error: missing unit character in duration");
  EXPECT_EQ(ErrorOf("foo[30m1h]"), "1:5: parse error: not a valid duration string: \"30m1h\"");
  EXPECT_EQ(ErrorOf("foo[0s]"), "1:5: parse error: duration must be greater than 0");
  EXPECT_EQ(ErrorOf(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(ErrorOf("foo{a=~\"(\"}"),
            "1:5: parse error: error parsing regexp: missing closing ): `^(?:()$`");
  EXPECT_EQ(ErrorOf("'a\\z'"), "1:1: parse error: unknown escape sequence U+007A 'z'");
  EXPECT_EQ(ErrorOf("foo @ 100"), "1:5: parse error: the @ modifier is not supported");
}

TEST(ParseErrors, LineAndColumnInMultiLineExpressions) {
  // Rule files carry multi-line expressions; the position must point into the right line.
  ParseResult r = Parse("sum by (job) (\n  rate(x[5m])\n) +\n  foo bar");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.line, 4u);
  EXPECT_EQ(r.error.column, 7u);
  EXPECT_EQ(r.error.position, 39u);
  EXPECT_EQ(r.error.ToString(), "4:7: parse error: unexpected identifier \"bar\"");
}

TEST(ParseErrors, DeepNestingIsAnErrorNotACrash) {
  std::string deep(10000, '(');
  deep += "1";
  deep += std::string(10000, ')');
  // More cases, and the limit itself, in limits_test.cc.
  EXPECT_EQ(ErrorOf(deep), "1:1002: parse error: expression nests too deeply (limit 1000)");
  EXPECT_EQ(ErrorOf(std::string(10000, '-') + "1"),
            "1:1002: parse error: expression nests too deeply (limit 1000)");
  // Realistic depth is fine.
  EXPECT_EQ(Scalar(std::string(100, '(') + "1" + std::string(100, ')')), 1);
}

TEST(ParseErrors, TypeChecks) {
  EXPECT_EQ(ErrorOf("rate(foo)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(ErrorOf("1 > 2"),
            "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(ErrorOf("foo + bool bar"),
            "1:5: parse error: bool modifier can only be used on comparison operators");
  EXPECT_EQ(ErrorOf("foo and 1"),
            "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(ErrorOf("foo and on(a) group_left bar"),
            "1:1: parse error: no grouping allowed for \"and\" operation");
  EXPECT_EQ(ErrorOf("foo + on(a) group_left(a) bar"),
            "1:5: parse error: label \"a\" must not occur in ON and GROUP clause at once");
  EXPECT_EQ(ErrorOf("1 + on(a) 2"),
            "1:1: parse error: vector matching only allowed between instant vectors");
  EXPECT_EQ(ErrorOf("round(foo, 1, 2)"),
            "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3");
  EXPECT_EQ(ErrorOf("label_join(foo)"),
            "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 1");
  EXPECT_EQ(ErrorOf("(foo)[5m]"), "1:6: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ErrorOf("foo offset 5m offset 1m"),
            "1:1: parse error: offset may not be set multiple times");
  EXPECT_EQ(ErrorOf("{}"),
            "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(ErrorOf("foo{__name__=\"bar\"}"),
            "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
  EXPECT_EQ(ErrorOf("-foo[5m]"),
            "1:1: parse error: unary expression only allowed on expressions of type scalar or "
            "instant vector, got \"range vector\"");
  EXPECT_EQ(ErrorOf("foo[5m:1m][5m]"),
            "1:11: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ErrorOf("count_values(1, foo)"),
            "1:14: parse error: expected type string in aggregation parameter, got scalar");
}

TEST(Parse, PrecedenceAndAssociativity) {
  EXPECT_EQ(Scalar("2 ^ 3 ^ 2"), 512);  // right-associative
  EXPECT_EQ(Scalar("10 - 2 - 3"), 5);   // left-associative
  EXPECT_EQ(Scalar("100 / 10 / 5"), 2);
  EXPECT_EQ(Scalar("1 + 2 * 3"), 7);
  EXPECT_EQ(Scalar("-2 ^ 2"), -4);  // unary minus binds like '*', looser than '^'
  EXPECT_EQ(Scalar("2 ^ -1"), 0.5);
  EXPECT_EQ(Scalar("-2^---1*3"), -1.5);
  EXPECT_EQ(Scalar("2 * 3 % 4"), 2);
  EXPECT_EQ(Scalar("1 + 2 > bool 2"), 1);  // comparison looser than arithmetic
  EXPECT_EQ(Scalar("(1 + 2) * 3"), 9);
}

TEST(Parse, Literals) {
  EXPECT_EQ(Scalar("0x1F"), 31);
  EXPECT_EQ(Scalar("010"), 8);  // Go's ParseInt with base 0: octal
  EXPECT_EQ(Scalar("08"), 8);   // not octal, so decimal
  EXPECT_EQ(Scalar(".5"), 0.5);
  EXPECT_EQ(Scalar("5."), 5);
  EXPECT_EQ(Scalar("1e3"), 1000);
  EXPECT_EQ(Scalar("-1.5e-3"), -0.0015);
  EXPECT_TRUE(std::isinf(Scalar("inF")));
  EXPECT_TRUE(std::isnan(Scalar("nAn")));
  EXPECT_EQ(Scalar("1 # a comment\n + 1"), 2);
  ParseResult s = Parse("'a\\x41\\u00e9\\'' ");
  ASSERT_TRUE(s.ok());
  MemoryStorage empty;
  EXPECT_EQ(EvalInstant(*s.expr, empty, 0).value.string, "aA\xc3\xa9'");
  ParseResult raw = Parse("`a\\nb`");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(EvalInstant(*raw.expr, empty, 0).value.string, "a\\nb");
}

TEST(Parse, KeywordsAreCaseInsensitiveFunctionsAreNot) {
  EXPECT_EQ(Canonical("SUM BY (job) (foo) AND ON (job) Bar"),
            "sum by (job) (foo) and on (job) Bar");
  EXPECT_EQ(Canonical("foo OFFSET 5m"), "foo offset 5m");
  EXPECT_EQ(ErrorOf("RATE(foo[5m])"), "1:1: parse error: unknown function with name \"RATE\"");
}

TEST(Parse, KeywordsAsNames) {
  // Prometheus accepts some keywords as metric and label names.
  EXPECT_EQ(Canonical("sum(by) by (group, on, bool)"), "sum by (group, on, bool) (by)");
  EXPECT_EQ(Canonical("offset{group=\"a\"}"), "offset{group=\"a\"}");
}

TEST(Format, CanonicalForm) {
  EXPECT_EQ(Canonical("sum(rate(foo[5m]))by(job)"), "sum by (job) (rate(foo[5m]))");
  EXPECT_EQ(Canonical("topk(3,foo)"), "topk(3, foo)");
  EXPECT_EQ(Canonical("count_values without(a)('v',foo)"), "count_values without (a) (\"v\", foo)");
  EXPECT_EQ(Canonical("a*on(x,y)group_left(z)b"), "a * on (x, y) group_left (z) b");
  EXPECT_EQ(Canonical("a / ignoring(x) b"), "a / ignoring (x) b");
  EXPECT_EQ(Canonical("a > bool 1"), "a > bool 1");
  EXPECT_EQ(Canonical("foo{b=\"1\",a=~\"x.*\"}[1h30m] offset -5m"),
            "foo{a=~\"x.*\",b=\"1\"}[1h30m] offset -5m");
  EXPECT_EQ(Canonical("{__name__=\"foo\"}"), "{__name__=\"foo\"}");
  EXPECT_EQ(Canonical("max_over_time(rate(x[1m])[10m:] offset 1m)"),
            "max_over_time(rate(x[1m])[10m:] offset 1m)");
  EXPECT_EQ(Canonical("max_over_time(up[1h:5m])"), "max_over_time(up[1h:5m])");
  EXPECT_EQ(Canonical("1000000 + 0.00001 - -2"), "1e+06 + 1e-05 - -2");
  EXPECT_EQ(Canonical("label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")"),
            "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")");
  EXPECT_EQ(Canonical("-(foo)"), "-(foo)");
  // Printing is stable: the printed form parses back to itself.
  for (const char* e : {"sum by (job) (rate(foo[5m])) > 0.5 unless on (job) bar",
                        "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))"}) {
    EXPECT_EQ(Canonical(Canonical(e)), Canonical(e));
  }
}

TEST(Parse, ResultTypes) {
  EXPECT_EQ(ResultType(*Parse("1 + 1").expr), ValueType::kScalar);
  EXPECT_EQ(ResultType(*Parse("time()").expr), ValueType::kScalar);
  EXPECT_EQ(ResultType(*Parse("foo").expr), ValueType::kVector);
  EXPECT_EQ(ResultType(*Parse("1 + foo").expr), ValueType::kVector);
  EXPECT_EQ(ResultType(*Parse("foo[5m]").expr), ValueType::kMatrix);
  EXPECT_EQ(ResultType(*Parse("\"x\"").expr), ValueType::kString);
}

TEST(MaxLookback, CoversRangesOffsetsAndSubqueries) {
  auto lookback = [](std::string_view e) { return MaxLookbackMs(*Parse(e).expr); };
  EXPECT_EQ(lookback("1"), 0);
  EXPECT_EQ(lookback("up"), 5 * 60'000);
  EXPECT_EQ(lookback("up offset 1h"), 65 * 60'000);
  EXPECT_EQ(lookback("rate(x[10m])"), 10 * 60'000);
  EXPECT_EQ(lookback("rate(x[10m] offset 5m) / up"), 15 * 60'000);
  EXPECT_EQ(lookback("max_over_time(rate(x[5m])[1h:1m])"), 65 * 60'000);
  EXPECT_EQ(lookback("max_over_time(up[30m:] offset 10m)"), 45 * 60'000);
  EXPECT_EQ(lookback("up offset -10m"), 0);
  EvalOptions options;
  options.lookback_delta_ms = 60'000;
  EXPECT_EQ(MaxLookbackMs(*Parse("up").expr, options), 60'000);
}

}  // namespace
}  // namespace codebot::promql
