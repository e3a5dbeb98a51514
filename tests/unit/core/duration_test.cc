#include "exporter/core/duration.h"

#include <gtest/gtest.h>

namespace codebot {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesPrometheusNotation) {
  EXPECT_EQ(ParseDuration("15s"), milliseconds(15000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90000));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("1h"), milliseconds(3600000));
  EXPECT_EQ(ParseDuration("2d"), milliseconds(2 * 86400000LL));
  EXPECT_EQ(ParseDuration("1w"), milliseconds(7 * 86400000LL));
  EXPECT_EQ(ParseDuration("1y"), milliseconds(365 * 86400000LL));
  EXPECT_EQ(ParseDuration("1h2m3s4ms"), milliseconds(3723004));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
}

TEST(Duration, RejectsWhatPrometheusRejects) {
  for (const char* bad : {"", "15", "1.5s", "s", "1x", "30s1m", "1m1m", "-1s", "1 s", " 1s",
                          "1ms1s", "99999999999999999999s"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(Duration, FormatsLikePrometheusAndRoundTrips) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(86400000)), "1d");
  for (const char* text : {"1m30s", "2h", "1w2d", "1y", "1h2m3s4ms", "5m"}) {
    auto parsed = ParseDuration(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(FormatDuration(*parsed), text);
  }
}

}  // namespace
}  // namespace codebot
