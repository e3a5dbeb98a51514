// The Go text forms that promtool's messages and Prometheus' API use.
#include "exporter/go/time.h"

#include <gtest/gtest.h>

#include <cmath>

#include "exporter/go/strconv.h"

namespace codebot::go {
namespace {

TEST(GoDuration, PrintsLikeTimeDurationString) {
  EXPECT_EQ(go::DurationString(0), "0s");
  EXPECT_EQ(go::DurationString(500), "500ms");
  EXPECT_EQ(go::DurationString(1500), "1.5s");
  EXPECT_EQ(go::DurationString(15000), "15s");
  EXPECT_EQ(go::DurationString(60000), "1m0s");
  EXPECT_EQ(go::DurationString(90000), "1m30s");
  EXPECT_EQ(go::DurationString(7200000), "2h0m0s");
  EXPECT_EQ(go::DurationString(3661250), "1h1m1.25s");
  EXPECT_EQ(go::DurationString(-90000), "-1m30s");
}

TEST(GoFloat, ShortestExponentForm) {
  EXPECT_EQ(go::FormatFloat(0, 'E', -1), "0E+00");
  EXPECT_EQ(go::FormatFloat(1, 'E', -1), "1E+00");
  EXPECT_EQ(go::FormatFloat(0.1, 'E', -1), "1E-01");
  EXPECT_EQ(go::FormatFloat(3.125, 'E', -1), "3.125E+00");
  EXPECT_EQ(go::FormatFloat(0.12195121951219512, 'E', -1), "1.2195121951219512E-01");
  EXPECT_EQ(go::FormatFloat(123456, 'e', -1), "1.23456e+05");
  EXPECT_EQ(go::FormatFloat(1e-300, 'e', -1), "1e-300");
  EXPECT_EQ(go::FormatFloat(INFINITY, 'E', -1), "+Inf");
  EXPECT_EQ(go::FormatFloat(-INFINITY, 'E', -1), "-Inf");
  EXPECT_EQ(go::FormatFloat(NAN, 'e', -1), "NaN");
}

TEST(GoQuote, EscapesLikeStrconvQuote) {
  EXPECT_EQ(go::Quote("up"), "\"up\"");
  EXPECT_EQ(go::Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(go::Quote("x\ny\t"), "\"x\\ny\\t\"");
  EXPECT_EQ(go::Quote(std::string("\x01", 1)), "\"\\x01\"");
  EXPECT_EQ(go::Quote("héllo"), "\"héllo\"");
  EXPECT_EQ(go::Quote("\xff"), "\"\\xff\"");
}

}  // namespace
}  // namespace codebot::go
