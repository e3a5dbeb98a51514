// Durations at the edge of what Prometheus accepts: its model.ParseDuration refuses anything past
// Go's time.Duration (int64 nanoseconds, about 292 years) as "duration out of range", a syntax
// error taking precedence; formatting is defined for every value, INT64_MIN included (found by
// fuzz/duration_fuzz.cc and by hand: 300y used to be accepted and then overflow time arithmetic).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "exporter/core/duration.h"

namespace codebot {
namespace {

using std::chrono::milliseconds;

DurationError ErrorOf(std::string_view text) {
  DurationError error = DurationError::kNone;
  EXPECT_FALSE(ParseDuration(text, &error).has_value()) << text;
  return error;
}

TEST(DurationRange, GoRangeIsTheLimit) {
  EXPECT_EQ(kMaxDurationMs, int64_t{9'223'372'036'854});
  EXPECT_EQ(ParseDuration("292y"), milliseconds(292 * 365 * 86'400'000LL));
  EXPECT_EQ(ParseDuration("106751d"), milliseconds(106'751 * 86'400'000LL));
  EXPECT_EQ(ParseDuration("9223372036854ms"), milliseconds(kMaxDurationMs));
  EXPECT_EQ(ParseDuration("292y24w3d23h47m16s854ms"), milliseconds(kMaxDurationMs));
  for (const char* beyond :
       {"293y", "106752d", "15251w", "9223372036855ms", "292y24w3d23h47m16s855ms",
        "9223372036854775807ms", "99999999999999999999999s"}) {
    EXPECT_EQ(ErrorOf(beyond), DurationError::kOutOfRange) << beyond;
  }
}

TEST(DurationRange, SyntaxErrorsWinOverOutOfRange) {
  for (const char* bad : {"99999999999999999999y1y", "300y1.5s", "300yx", "", "1y1y"}) {
    EXPECT_EQ(ErrorOf(bad), DurationError::kSyntax) << bad;
  }
  DurationError error = DurationError::kOutOfRange;
  EXPECT_TRUE(ParseDuration("1m", &error).has_value());
  EXPECT_EQ(error, DurationError::kNone);
}

TEST(DurationRange, FormatsEveryValue) {
  EXPECT_EQ(FormatDuration(milliseconds(kMaxDurationMs)), "292y24w3d23h47m16s854ms");
  EXPECT_EQ(FormatDuration(milliseconds(-kMaxDurationMs)), "-292y24w3d23h47m16s854ms");
  // Negating INT64_MIN as int64 was undefined behaviour.
  EXPECT_EQ(FormatDuration(milliseconds(std::numeric_limits<int64_t>::min())),
            "-292471208y35w2d7h12m55s808ms");
  EXPECT_EQ(FormatDuration(milliseconds(std::numeric_limits<int64_t>::max())),
            "292471208y35w2d7h12m55s807ms");
}

}  // namespace
}  // namespace codebot
