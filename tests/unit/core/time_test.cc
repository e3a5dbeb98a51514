// RFC 3339 timestamps as the Prometheus and Alertmanager APIs write and read them.
#include "exporter/core/time.h"

#include <gtest/gtest.h>

#include <limits>

namespace codebot {
namespace {

TEST(Rfc3339, MillisecondsWithoutTrailingZeros) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339(1680343200250), "2023-04-01T10:00:00.25Z");
  EXPECT_EQ(Rfc3339(1680343200123), "2023-04-01T10:00:00.123Z");
  EXPECT_EQ(Rfc3339(-1000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(Rfc3339(std::numeric_limits<int64_t>::min()), "0001-01-01T00:00:00Z");
}

TEST(Rfc3339, ParsesWhatAlertmanagerSends) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2023-04-01T10:00:00.25Z"), 1680343200250);
  EXPECT_EQ(ParseRfc3339("2023-04-01T10:00:00.123456789Z"), 1680343200123);
  EXPECT_EQ(ParseRfc3339("2023-04-01T12:00:00+02:00"), 1680343200000);
  EXPECT_EQ(ParseRfc3339("2023-04-01T08:30:00.5-01:30"), 1680343200500);
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59Z"), -1000);
  // Go's zero time, which Alertmanager sends as endsAt of a firing alert, means "not set".
  EXPECT_EQ(ParseRfc3339("0001-01-01T00:00:00Z"), kNoTime);
  for (int64_t ms : {int64_t{0}, int64_t{1680343200250}, int64_t{-1000}, int64_t{951782400001}}) {
    EXPECT_EQ(ParseRfc3339(Rfc3339(ms)), ms) << ms;
  }
}

TEST(Rfc3339, RejectsWhatIsNotRfc3339) {
  for (const char* bad :
       {"", "2023-04-01", "2023-04-01 10:00:00Z", "2023-04-01T10:00:00", "2023-13-01T10:00:00Z",
        "2023-02-30T10:00:00Z", "2023-02-29T10:00:00Z", "2023-04-01T24:00:00Z",
        "2023-04-01T10:00:00.Z", "2023-04-01T10:00:00Zx", "2023-04-01T10:00:00+0200", "yesterday",
        "2023-04-01T10:00:00.1234567890Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseRfc3339("2024-02-29T10:00:00Z").has_value());
}

}  // namespace
}  // namespace codebot
