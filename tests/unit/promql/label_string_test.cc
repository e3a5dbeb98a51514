// Label sets print as Prometheus prints them, in errors, promtool reports and logs.
#include "exporter/promql/label_string.h"

#include <gtest/gtest.h>

namespace codebot::promql {
namespace {

TEST(LabelsString, BracesCommaSpaceAndQuotedValues) {
  EXPECT_EQ(LabelsToString({}), "{}");
  EXPECT_EQ(LabelsToString({{"__name__", "up"}, {"job", "a\"b"}}),
            "{__name__=\"up\", job=\"a\\\"b\"}");
}

}  // namespace
}  // namespace codebot::promql
