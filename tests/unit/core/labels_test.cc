// The one label-set hash: equal sets hash equal, the On/Ignoring forms agree with hashing the
// reduced set, and a name/value boundary can't be moved without changing the hash.
#include "exporter/core/labels.h"

#include <gtest/gtest.h>

namespace codebot {
namespace {

TEST(LabelsHash, EqualSetsHashEqualAndDifferentSetsDiffer) {
  const Labels a = {{"__name__", "up"}, {"job", "bot"}};
  EXPECT_EQ(HashLabels(a), HashLabels(Labels(a)));
  EXPECT_NE(HashLabels(a), HashLabels({{"__name__", "up"}, {"job", "bo"}}));
  // Moving bytes between a name and its value, or between two labels, changes the hash.
  EXPECT_NE(HashLabels({{"ab", "c"}}), HashLabels({{"a", "bc"}}));
  EXPECT_NE(HashLabels({{"a", "b"}, {"c", "d"}}), HashLabels({{"a", "bc"}, {"", "d"}}));
  EXPECT_NE(HashLabels({}), HashLabels({{"a", ""}}));
}

TEST(LabelsHash, OnAndIgnoringHashTheReducedSet) {
  const Labels full = {{"__name__", "x"}, {"instance", "i"}, {"job", "j"}, {"op", "search"}};
  EXPECT_EQ(HashLabelsOn(full, {"job", "op"}), HashLabels({{"job", "j"}, {"op", "search"}}));
  EXPECT_EQ(HashLabelsOn(full, {"absent", "job"}), HashLabels({{"job", "j"}}));
  EXPECT_EQ(HashLabelsIgnoring(full, {"__name__", "instance"}),
            HashLabels({{"job", "j"}, {"op", "search"}}));
}

TEST(LabelsEdit, SetKeepsOrderAndEmptyRemoves) {
  Labels labels = {{"a", "1"}, {"c", "3"}};
  SetLabel(&labels, "b", "2");
  EXPECT_EQ(labels, (Labels{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  SetLabel(&labels, "a", "");
  EXPECT_EQ(labels, (Labels{{"b", "2"}, {"c", "3"}}));
  ASSERT_NE(FindLabel(labels, "c"), nullptr);
  EXPECT_EQ(*FindLabel(labels, "c"), "3");
  EXPECT_EQ(FindLabel(labels, "a"), nullptr);
}

}  // namespace
}  // namespace codebot
