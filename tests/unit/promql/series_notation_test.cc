// The series notation shared by the .test runner and promtool's input_series.
#include "exporter/promql/series_notation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "exporter/core/series.h"

namespace codebot::promql {
namespace {

std::vector<SequenceValue> Values(std::string_view text) {
  std::vector<SequenceValue> out;
  ParseError error;
  EXPECT_TRUE(ParseSeriesValues(text, &out, &error)) << text << ": " << error.ToString();
  return out;
}

std::string ValuesError(std::string_view text) {
  std::vector<SequenceValue> out;
  ParseError error;
  if (ParseSeriesValues(text, &out, &error)) return "OK";
  return error.ToString();
}

// Omitted slots as "_", stale markers as "stale", the rest as numbers.
std::string Show(const std::vector<SequenceValue>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ' ';
    if (v.omitted) {
      out += '_';
    } else if (IsStaleNaN(v.value)) {
      out += "stale";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%g", v.value);
      out += buf;
    }
  }
  return out;
}

TEST(SeriesValues, Expansions) {
  EXPECT_EQ(Show(Values("1 2 3")), "1 2 3");
  EXPECT_EQ(Show(Values("0+10x3")), "0 10 20 30");  // K+1 samples
  EXPECT_EQ(Show(Values("10-2x2")), "10 8 6");
  EXPECT_EQ(Show(Values("-1+1x2")), "-1 0 1");
  EXPECT_EQ(Show(Values("5x2")), "5 5 5");
  EXPECT_EQ(Show(Values("_")), "_");
  EXPECT_EQ(Show(Values("_x3")), "_ _ _");  // K slots, not K+1
  EXPECT_EQ(Show(Values("1 _ stale 2")), "1 _ stale 2");
  EXPECT_EQ(Show(Values("0+10x2 100")), "0 10 20 100");
  EXPECT_EQ(Show(Values("1e3 .5 -2.5e-1 +4")), "1000 0.5 -0.25 4");
  EXPECT_EQ(Show(Values("  1\t2  ")), "1 2");
  EXPECT_TRUE(Values("").empty());
}

TEST(SeriesValues, SpecialNumbers) {
  auto v = Values("Inf -Inf +inf NaN nan 010 1e+2x1");
  ASSERT_EQ(v.size(), 8u);
  EXPECT_TRUE(std::isinf(v[0].value) && v[0].value > 0);
  EXPECT_TRUE(std::isinf(v[1].value) && v[1].value < 0);
  EXPECT_TRUE(std::isinf(v[2].value) && v[2].value > 0);
  EXPECT_TRUE(std::isnan(v[3].value) && !IsStaleNaN(v[3].value));
  EXPECT_TRUE(std::isnan(v[4].value));
  EXPECT_EQ(v[5].value, 8);  // Prometheus parses numbers with Go's base-0 ParseInt first
  EXPECT_EQ(v[6].value, 100);
  EXPECT_EQ(v[7].value, 100);
}

TEST(SeriesValues, SubnormalNumbers) {
  // Go's ParseFloat returns subnormals without an error (strtod flags them ERANGE).
  auto v = Values("2.8e-322 -5e-324 4.9e-324+4.9e-324x1 1e-400");
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].value, 2.8e-322);
  EXPECT_EQ(v[1].value, -std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(v[2].value, std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(v[3].value, 2 * std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(v[4].value, 0);
}

TEST(SeriesValues, RepeatedAdditionNotMultiplication) {
  // 0.1 added 30 times is not 30 * 0.1 in floating point; Prometheus adds.
  auto v = Values("0+0.1x30");
  ASSERT_EQ(v.size(), 31u);
  double expected = 0;
  for (int i = 0; i < 30; ++i) expected += 0.1;
  EXPECT_EQ(v[30].value, expected);
  EXPECT_NE(v[30].value, 30 * 0.1);
}

TEST(SeriesValues, Errors) {
  EXPECT_EQ(ValuesError("1 abc"),
            "1:3: parse error: unexpected \"a\" in series values, expected number or \"stale\"");
  EXPECT_EQ(ValuesError("1+1"), "1:4: parse error: unexpected end of input in series values");
  EXPECT_EQ(ValuesError("1x"), "1:3: parse error: invalid repetition in series values: \"\"");
  EXPECT_EQ(ValuesError("_x1.5"), "1:4: parse error: unexpected \".\" in series values");
  EXPECT_EQ(ValuesError("stalex2"),
            "1:1: parse error: unexpected \"s\" in series values, expected number or \"stale\"");
  EXPECT_EQ(ValuesError("1+-1x2"), "1:3: parse error: unexpected \"-\" in series values");
  EXPECT_EQ(ValuesError("0+1x100000000"), "1:1: parse error: too many values in series");
}

TEST(SeriesLabels, Forms) {
  Labels l;
  ParseError error;
  ASSERT_TRUE(ParseSeriesLabels("foo{b=\"2\",a='1',}", &l, &error)) << error.ToString();
  EXPECT_EQ(l, (Labels{{"__name__", "foo"}, {"a", "1"}, {"b", "2"}}));
  ASSERT_TRUE(ParseSeriesLabels("{__name__=\"foo\", x=\"a\\\"b\"}", &l, &error));
  EXPECT_EQ(l, (Labels{{"__name__", "foo"}, {"x", "a\"b"}}));
  ASSERT_TRUE(ParseSeriesLabels("job:up:rate5m", &l, &error));
  EXPECT_EQ(l, (Labels{{"__name__", "job:up:rate5m"}}));
  ASSERT_TRUE(ParseSeriesLabels("{}", &l, &error));
  EXPECT_TRUE(l.empty());
  ASSERT_TRUE(ParseSeriesLabels("foo{a=\"\"}", &l, &error));  // an empty label is no label
  EXPECT_EQ(l, (Labels{{"__name__", "foo"}}));

  EXPECT_FALSE(ParseSeriesLabels("foo{a=~\"b\"}", &l, &error));
  EXPECT_EQ(error.ToString(), "1:6: parse error: unexpected \"=\" in label set, expected \"=\"");
  EXPECT_FALSE(ParseSeriesLabels("foo{a=\"b\"", &l, &error));
  EXPECT_FALSE(ParseSeriesLabels("foo 1 2", &l, &error));
  EXPECT_EQ(error.ToString(), "1:5: parse error: unexpected \"1\" after the series");
  EXPECT_FALSE(ParseSeriesLabels("foo{__name__=\"bar\"}", &l, &error));
  EXPECT_FALSE(ParseSeriesLabels("", &l, &error));
}

TEST(SeriesDescription, LabelsThenValues) {
  SeriesDescription d;
  ParseError error;
  ASSERT_TRUE(ParseSeriesDescription("http_requests{job=\"api\"}\t0+10x2 _ 5", &d, &error))
      << error.ToString();
  EXPECT_EQ(d.labels, (Labels{{"__name__", "http_requests"}, {"job", "api"}}));
  EXPECT_EQ(Show(d.values), "0 10 20 _ 5");
  ASSERT_TRUE(ParseSeriesDescription("metric 0 1 stale 2", &d, &error));
  EXPECT_EQ(Show(d.values), "0 1 stale 2");
  ASSERT_TRUE(ParseSeriesDescription("{} 1", &d, &error));
  EXPECT_TRUE(d.labels.empty());
  EXPECT_FALSE(ParseSeriesDescription("foo{a=\"b\"}1", &d, &error));
}

}  // namespace
}  // namespace codebot::promql
