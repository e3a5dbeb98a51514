#include "exporter/core/metric.h"

#include <gtest/gtest.h>

namespace codebot {
namespace {

TEST(Names, MetricNamesAllowColonsLabelNamesDoNot) {
  EXPECT_TRUE(IsValidMetricName("codebot_up"));
  EXPECT_TRUE(IsValidMetricName(":job:rate5m"));
  EXPECT_TRUE(IsValidMetricName("_x9"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_TRUE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("job:rate"));
  EXPECT_FALSE(IsValidLabelName(":x"));
}

TEST(Names, RejectEmptyLeadingDigitsAndOtherCharacters) {
  for (const char* bad : {"", "9x", "a-b", "a.b", "a b", "é", "a\n"}) {
    EXPECT_FALSE(IsValidMetricName(bad)) << bad;
    EXPECT_FALSE(IsValidLabelName(bad)) << bad;
  }
}

}  // namespace
}  // namespace codebot
