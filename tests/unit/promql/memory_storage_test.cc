// MemoryStorage: the Queryable contract (inclusive ranges, matchers, label order) and the TSDB
// append rules that `test rules` relies on.
#include "exporter/promql/memory_storage.h"

#include <gtest/gtest.h>

#include <cmath>

namespace codebot::promql {
namespace {

std::vector<SeriesData> Select(const MemoryStorage& s, std::vector<Matcher> m, int64_t mint,
                               int64_t maxt) {
  std::vector<SeriesData> out;
  s.Select(m, mint, maxt, &out);
  return out;
}

Matcher Eq(std::string n, std::string v) { return Matcher(MatchType::kEqual, n, v); }

TEST(MemoryStorage, RangesAreInclusiveAtBothEnds) {
  MemoryStorage s;
  for (int64_t t = 0; t <= 100; t += 10) ASSERT_TRUE(s.Append({{"__name__", "m"}}, t, t));
  auto r = Select(s, {Eq("__name__", "m")}, 20, 50);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].points.size(), 4u);
  EXPECT_EQ(r[0].points.front().t, 20);
  EXPECT_EQ(r[0].points.back().t, 50);
  EXPECT_TRUE(Select(s, {Eq("__name__", "m")}, 101, 200).empty());  // no sample, no series
  EXPECT_EQ(Select(s, {Eq("__name__", "m")}, 100, 100).size(), 1u);
}

TEST(MemoryStorage, MatchersAndLabelOrder) {
  MemoryStorage s;
  // Labels arrive in any order and with empty values; series are identified by the sorted,
  // non-empty ones.
  ASSERT_TRUE(s.Append({{"job", "b"}, {"__name__", "up"}, {"x", ""}}, 0, 1));
  ASSERT_TRUE(s.Append({{"__name__", "up"}, {"job", "a"}}, 0, 0));
  ASSERT_TRUE(s.Append({{"__name__", "up"}, {"job", "b"}}, 10, 1));  // same series as the first
  ASSERT_TRUE(s.Append({{"__name__", "other"}, {"job", "a"}}, 0, 5));
  EXPECT_EQ(s.SeriesCount(), 3u);

  auto all_up = Select(s, {Eq("__name__", "up")}, 0, 10);
  ASSERT_EQ(all_up.size(), 2u);
  EXPECT_EQ(all_up[0].labels, (Labels{{"__name__", "up"}, {"job", "a"}}));  // label order
  EXPECT_EQ(all_up[1].labels, (Labels{{"__name__", "up"}, {"job", "b"}}));
  EXPECT_EQ(all_up[1].points.size(), 2u);

  auto regex = Select(s, {Matcher(MatchType::kRegexMatch, "job", "a|c")}, 0, 10);
  ASSERT_EQ(regex.size(), 2u);  // no name matcher: every series is considered
  EXPECT_EQ(LabelValue(regex[0].labels, "__name__"), "other");
  EXPECT_EQ(LabelValue(regex[1].labels, "__name__"), "up");

  // A missing label matches as "".
  EXPECT_EQ(Select(s, {Eq("__name__", "up"), Eq("zone", "")}, 0, 10).size(), 2u);
  EXPECT_EQ(
      Select(s, {Eq("__name__", "up"), Matcher(MatchType::kNotEqual, "job", "a")}, 0, 10).size(),
      1u);
  EXPECT_TRUE(Select(s, {Eq("__name__", "nope")}, 0, 10).empty());
}

TEST(MemoryStorage, AppendRulesLikeTheTsdb) {
  MemoryStorage s;
  Labels l{{"__name__", "m"}};
  ASSERT_TRUE(s.Append(l, 100, 1));
  EXPECT_FALSE(s.Append(l, 50, 2));   // out of order
  EXPECT_TRUE(s.Append(l, 100, 1));   // same sample again
  EXPECT_FALSE(s.Append(l, 100, 3));  // same time, other value
  EXPECT_TRUE(s.Append(l, 200, StaleNaN()));
  auto r = Select(s, {Eq("__name__", "m")}, 0, 1000);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].points.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(r[0].points[1].v));  // stale markers are stored and returned
  s.Clear();
  EXPECT_EQ(s.SeriesCount(), 0u);
  EXPECT_TRUE(Select(s, {Eq("__name__", "m")}, 0, 1000).empty());
}

}  // namespace
}  // namespace codebot::promql
