#include "exporter/collect/postgres/user_query.h"

#include <gtest/gtest.h>

#include "exporter/core/sanitize.h"

namespace codebot::collect::postgres {
namespace {

using config::ColumnUsage;
using Row = std::vector<std::optional<std::string>>;

// The bot's requests table, as the issue suggests: count and latency per operation and status.
config::PostgresQuery RequestsQuery() {
  config::PostgresQuery query;
  query.name = "codebot_requests";
  query.help = "Requests recorded by the bot in the last 5 minutes.";
  query.sql = "SELECT operation, status, count(*) AS total, avg(value) AS latency_ms ...";
  query.columns = {{"operation", ColumnUsage::kLabel, ""},
                   {"status", ColumnUsage::kLabel, ""},
                   {"total", ColumnUsage::kCounter, "Requests."},
                   {"latency_ms", ColumnUsage::kGauge, ""},
                   {"ignored", ColumnUsage::kDiscard, ""}};
  return query;
}

const Family* Find(const std::vector<Family>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST(UserQueryTest, ColumnsBecomeMetricsNamedAfterQueryAndColumn) {
  const Table table{
      {"operation", "status", "total", "latency_ms", "ignored", "extra"},
      {{"sync", "ok", "10", "12.5", "x", "y"}, {"sync", "error", "2", "40", "x", "y"}}};
  const auto result = MapUserQuery(RequestsQuery(), table);
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.families.size(), 2u);
  const Family* total = Find(result.families, "codebot_requests_total");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->type, MetricType::kCounter);
  EXPECT_EQ(total->help, "Requests.");
  ASSERT_EQ(total->samples.size(), 2u);
  EXPECT_EQ(total->samples[1].labels, (Labels{{"operation", "sync"}, {"status", "error"}}));
  EXPECT_EQ(total->samples[1].value, 2);
  const Family* latency = Find(result.families, "codebot_requests_latency_ms");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->type, MetricType::kGauge);
  EXPECT_EQ(latency->help, "Requests recorded by the bot in the last 5 minutes.");
  EXPECT_EQ(latency->samples[0].value, 12.5);
}

TEST(UserQueryTest, NullValueSkipsTheSampleAndNullLabelIsEmpty) {
  const Table table{{"operation", "status", "total", "latency_ms", "ignored"},
                    {{"sync", std::nullopt, "3", std::nullopt, std::nullopt}}};
  const auto result = MapUserQuery(RequestsQuery(), table);
  ASSERT_TRUE(result.ok) << result.error;
  const Family* total = Find(result.families, "codebot_requests_total");
  ASSERT_NE(total, nullptr);
  ASSERT_EQ(total->samples.size(), 1u);
  EXPECT_EQ(total->samples[0].labels, (Labels{{"operation", "sync"}, {"status", ""}}));
  // Every latency was NULL: no sample, and no empty family either.
  EXPECT_EQ(Find(result.families, "codebot_requests_latency_ms"), nullptr);
}

TEST(UserQueryTest, EmptyResultGivesNoFamilies) {
  const auto result = MapUserQuery(
      RequestsQuery(), Table{{"operation", "status", "total", "latency_ms", "ignored"}, {}});
  ASSERT_TRUE(result.ok);
  EXPECT_TRUE(result.families.empty());
}

TEST(UserQueryTest, MissingColumnFails) {
  const auto result = MapUserQuery(RequestsQuery(), Table{{"operation", "status", "total"}, {}});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("latency_ms"), std::string::npos);
}

TEST(UserQueryTest, NonNumericValueFailsWithoutEchoingTheData) {
  const Table table{{"operation", "status", "total", "latency_ms", "ignored"},
                    {{"sync", "ok", "private-row-data", "1", "x"}}};
  const auto result = MapUserQuery(RequestsQuery(), table);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("total"), std::string::npos);
  EXPECT_EQ(result.error.find("private-row-data"), std::string::npos);
}

TEST(UserQueryTest, DuplicateLabelSetsFail) {
  const Table table{{"operation", "status", "total", "latency_ms", "ignored"},
                    {{"sync", "ok", "1", "1", "x"}, {"sync", "ok", "2", "2", "y"}}};
  EXPECT_FALSE(MapUserQuery(RequestsQuery(), table).ok);
}

TEST(UserQueryTest, TooManyRowsFail) {
  config::PostgresQuery query;
  query.name = "big";
  query.columns = {{"n", ColumnUsage::kGauge, ""}};
  Table table{{"n"}, {}};
  table.rows.assign(kMaxUserQueryRows + 1, Row{"1"});
  // Without labels every row would be the same series anyway; the row cap is checked first.
  const auto result = MapUserQuery(query, table);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("rows"), std::string::npos);
}

TEST(UserQueryTest, LabelValuesPassThroughTheSanitiser) {
  sanitize::ClearSecretsForTesting();
  sanitize::RegisterSecret("hunter2-registered");
  const Table table{{"operation", "status", "total", "latency_ms", "ignored"},
                    {{"login password=topsecret", "hunter2-registered", "1", "1", "x"}}};
  const auto result = MapUserQuery(RequestsQuery(), table);
  ASSERT_TRUE(result.ok) << result.error;
  const auto& labels = result.families.at(0).samples.at(0).labels;
  EXPECT_EQ(LabelValue(labels, "operation").find("topsecret"), std::string::npos);
  EXPECT_EQ(LabelValue(labels, "status").find("hunter2"), std::string::npos);
  sanitize::ClearSecretsForTesting();
}

TEST(UserQueryTest, BooleansAndNumericTextAreNumbers) {
  config::PostgresQuery query;
  query.name = "flags";
  query.columns = {{"name", ColumnUsage::kLabel, ""}, {"on", ColumnUsage::kGauge, ""}};
  const auto result =
      MapUserQuery(query, Table{{"name", "on"}, {{"a", "t"}, {"b", "f"}, {"c", "1.50"}}});
  ASSERT_TRUE(result.ok) << result.error;
  const auto& samples = result.families.at(0).samples;
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].value, 1);
  EXPECT_EQ(samples[1].value, 0);
  EXPECT_EQ(samples[2].value, 1.5);
  EXPECT_EQ(result.families.at(0).help, "Column on of the user-defined query flags.");
}

}  // namespace
}  // namespace codebot::collect::postgres
