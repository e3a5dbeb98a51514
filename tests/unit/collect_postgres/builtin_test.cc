#include "exporter/collect/postgres/builtin.h"

#include <gtest/gtest.h>

#include <cmath>

namespace codebot::collect::postgres {
namespace {

using Row = std::vector<std::optional<std::string>>;

const Family* Find(const std::vector<Family>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

Table BuiltinTable(std::vector<Row> rows) {
  return Table{{"family", "datname", "state", "value"}, std::move(rows)};
}

TEST(BuiltinTest, ShortVersionLikePostgresExporter) {
  EXPECT_EQ(ShortVersion(150018), "15.18.0");
  EXPECT_EQ(ShortVersion(100000), "10.0.0");
  EXPECT_EQ(ShortVersion(90624), "9.6.24");
}

TEST(BuiltinTest, RowsBecomeTypedFamiliesWithPostgresExporterLabels) {
  const auto families = MapBuiltin(BuiltinTable({
      {"pg_stat_activity_count", "codebot", "idle", "3"},
      {"pg_stat_activity_count", "codebot", "active", "1"},
      {"pg_locks_waiting", "codebot", "accessexclusivelock", "2"},
      {"pg_stat_database_xact_commit", std::nullopt, "0", "17"},
      {"pg_stat_database_xact_commit", "codebot", "16384", "1234567"},
      {"pg_settings_max_connections", std::nullopt, std::nullopt, "100"},
      {"pg_database_size_bytes", "codebot", std::nullopt, "7654321"},
  }));
  const Family* activity = Find(families, "pg_stat_activity_count");
  ASSERT_NE(activity, nullptr);
  EXPECT_EQ(activity->type, MetricType::kGauge);
  ASSERT_EQ(activity->samples.size(), 2u);
  // Samples come out sorted by labels, whatever order the rows came in.
  EXPECT_EQ(activity->samples[0].labels, (Labels{{"datname", "codebot"}, {"state", "active"}}));
  EXPECT_EQ(activity->samples[0].value, 1);
  EXPECT_EQ(activity->samples[1].labels, (Labels{{"datname", "codebot"}, {"state", "idle"}}));
  EXPECT_EQ(activity->samples[1].value, 3);

  const Family* locks = Find(families, "pg_locks_waiting");
  ASSERT_NE(locks, nullptr);
  EXPECT_EQ(locks->samples[0].labels,
            (Labels{{"datname", "codebot"}, {"mode", "accessexclusivelock"}}));

  const Family* commits = Find(families, "pg_stat_database_xact_commit");
  ASSERT_NE(commits, nullptr);
  EXPECT_EQ(commits->type, MetricType::kCounter);
  ASSERT_EQ(commits->samples.size(), 2u);
  // The shared-objects row has no database name: an empty label, as postgres_exporter shows it.
  EXPECT_EQ(commits->samples[0].labels, (Labels{{"datid", "0"}, {"datname", ""}}));
  EXPECT_EQ(commits->samples[1].labels, (Labels{{"datid", "16384"}, {"datname", "codebot"}}));
  EXPECT_EQ(commits->samples[1].value, 1234567);

  const Family* max_connections = Find(families, "pg_settings_max_connections");
  ASSERT_NE(max_connections, nullptr);
  ASSERT_EQ(max_connections->samples.size(), 1u);
  EXPECT_TRUE(max_connections->samples[0].labels.empty());
  EXPECT_EQ(max_connections->samples[0].value, 100);

  const Family* size = Find(families, "pg_database_size_bytes");
  ASSERT_NE(size, nullptr);
  EXPECT_EQ(size->samples[0].labels, (Labels{{"datname", "codebot"}}));
}

TEST(BuiltinTest, VersionRowFeedsInfoGaugeAndVersionNumber) {
  const auto families = MapBuiltin(BuiltinTable({
      {"pg_static", std::nullopt, "PostgreSQL 15.18 (Debian) on x86_64", "150018"},
  }));
  const Family* info = Find(families, "pg_static");
  ASSERT_NE(info, nullptr);
  ASSERT_EQ(info->samples.size(), 1u);
  EXPECT_EQ(info->samples[0].value, 1);
  EXPECT_EQ(info->samples[0].labels, (Labels{{"short_version", "15.18.0"},
                                             {"version", "PostgreSQL 15.18 (Debian) on x86_64"}}));
  const Family* number = Find(families, "pg_settings_server_version_num");
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(number->samples[0].value, 150018);
}

TEST(BuiltinTest, NullValuesAreSkippedAndEmptyFamiliesLeftOut) {
  const auto families = MapBuiltin(BuiltinTable({
      // No CONNECT privilege on that database: pg_database_size is not asked, the value is NULL.
      {"pg_database_size_bytes", "secret_db", std::nullopt, std::nullopt},
      {"pg_database_size_bytes", "codebot", std::nullopt, "100"},
      {"pg_replication_lag_seconds", std::nullopt, std::nullopt, std::nullopt},
  }));
  const Family* size = Find(families, "pg_database_size_bytes");
  ASSERT_NE(size, nullptr);
  ASSERT_EQ(size->samples.size(), 1u);
  EXPECT_EQ(LabelValue(size->samples[0].labels, "datname"), "codebot");
  EXPECT_EQ(Find(families, "pg_replication_lag_seconds"), nullptr);
  EXPECT_EQ(Find(families, "pg_stat_activity_count"), nullptr);
}

TEST(BuiltinTest, UnknownOrMalformedRowsAreIgnored) {
  const auto families = MapBuiltin(BuiltinTable({
      {"pg_up", std::nullopt, std::nullopt, "1"},
      {"not_a_family", std::nullopt, std::nullopt, "1"},
      {"pg_settings_max_connections", std::nullopt, std::nullopt, "lots"},
      {std::nullopt, std::nullopt, std::nullopt, "1"},
  }));
  EXPECT_TRUE(families.empty());
}

TEST(BuiltinTest, OutputOrderIsFixed) {
  const auto families = MapBuiltin(BuiltinTable({
      {"pg_replication_is_replica", std::nullopt, std::nullopt, "0"},
      {"pg_stat_activity_count", "a", "idle", "0"},
      {"pg_static", std::nullopt, "v", "150000"},
  }));
  ASSERT_EQ(families.size(), 4u);
  EXPECT_EQ(families[0].name, "pg_static");
  EXPECT_EQ(families[1].name, "pg_settings_server_version_num");
  EXPECT_EQ(families[2].name, "pg_stat_activity_count");
  EXPECT_EQ(families[3].name, "pg_replication_is_replica");
}

TEST(BuiltinTest, UpFamily) {
  EXPECT_EQ(UpFamily(true).name, "pg_up");
  EXPECT_EQ(UpFamily(true).samples.at(0).value, 1);
  EXPECT_EQ(UpFamily(false).samples.at(0).value, 0);
  EXPECT_TRUE(UpFamily(false).samples.at(0).labels.empty());
}

TEST(BuiltinTest, ParseNumberReadsPostgresTextForms) {
  EXPECT_EQ(ParseNumber("42"), 42.0);
  EXPECT_EQ(ParseNumber("-1.5"), -1.5);
  EXPECT_EQ(ParseNumber("123.4500"), 123.45);
  EXPECT_EQ(ParseNumber("1e+20"), 1e20);
  EXPECT_EQ(ParseNumber("t"), 1.0);
  EXPECT_EQ(ParseNumber("f"), 0.0);
  EXPECT_TRUE(std::isnan(*ParseNumber("NaN")));
  EXPECT_EQ(ParseNumber("Infinity"), HUGE_VAL);
  EXPECT_EQ(ParseNumber("-Infinity"), -HUGE_VAL);
  EXPECT_EQ(ParseNumber(""), std::nullopt);
  EXPECT_EQ(ParseNumber("2024-01-01"), std::nullopt);
  EXPECT_EQ(ParseNumber("12 "), std::nullopt);
  EXPECT_EQ(ParseNumber("true"), std::nullopt);
}

}  // namespace
}  // namespace codebot::collect::postgres
