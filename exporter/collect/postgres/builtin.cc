#include "exporter/collect/postgres/builtin.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

namespace codebot::collect::postgres {

// Every (database, state) and (database, lock mode) pair is listed, zero when absent, so that
// sums and ratios in alert rules see a series even on a quiet server (postgres_exporter does the
// same). Each row names the family it feeds; the C++ side attaches types and help, and puts the
// samples in order (sorting is work the database need not do). current_setting() rather than
// pg_settings: it reads two settings instead of materialising all of them.
const std::string_view kBuiltinSql = R"SQL(
WITH states(state) AS (
  VALUES ('active'), ('idle'), ('idle in transaction'), ('idle in transaction (aborted)'),
         ('fastpath function call'), ('disabled')
), modes(mode) AS (
  VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'),
         ('shareupdateexclusivelock'), ('sharelock'), ('sharerowexclusivelock'),
         ('exclusivelock'), ('accessexclusivelock'), ('sireadlock')
), activity AS (
  SELECT datname, state, count(*) AS sessions,
         max(extract(epoch FROM now() - xact_start)) AS oldest_xact
    FROM pg_stat_activity
   WHERE datname IS NOT NULL AND state IS NOT NULL
   GROUP BY datname, state
), locks AS (
  SELECT database, lower(mode) AS mode, count(*) AS held,
         count(*) FILTER (WHERE NOT granted) AS waiting
    FROM pg_locks
   WHERE database IS NOT NULL
   GROUP BY database, lower(mode)
), recovery AS (
  SELECT pg_is_in_recovery() AS replica
)
SELECT v.family, d.datname::text, s.state, v.value
  FROM pg_database d CROSS JOIN states s
  LEFT JOIN activity a ON a.datname = d.datname AND a.state = s.state
 CROSS JOIN LATERAL (VALUES
   ('pg_stat_activity_count', coalesce(a.sessions, 0)::float8),
   ('pg_stat_activity_max_tx_duration', coalesce(a.oldest_xact, 0)::float8)) v(family, value)
UNION ALL
SELECT v.family, d.datname::text, m.mode, v.value
  FROM pg_database d CROSS JOIN modes m
  LEFT JOIN locks l ON l.database = d.oid AND l.mode = m.mode
 CROSS JOIN LATERAL (VALUES
   ('pg_locks_count', coalesce(l.held, 0)::float8),
   ('pg_locks_waiting', coalesce(l.waiting, 0)::float8)) v(family, value)
UNION ALL
SELECT v.family, s.datname::text, s.datid::text, v.value
  FROM pg_stat_database s
 CROSS JOIN LATERAL (VALUES
   ('pg_stat_database_numbackends', s.numbackends::float8),
   ('pg_stat_database_xact_commit', s.xact_commit::float8),
   ('pg_stat_database_xact_rollback', s.xact_rollback::float8),
   ('pg_stat_database_blks_read', s.blks_read::float8),
   ('pg_stat_database_blks_hit', s.blks_hit::float8),
   ('pg_stat_database_tup_returned', s.tup_returned::float8),
   ('pg_stat_database_tup_fetched', s.tup_fetched::float8),
   ('pg_stat_database_tup_inserted', s.tup_inserted::float8),
   ('pg_stat_database_tup_updated', s.tup_updated::float8),
   ('pg_stat_database_tup_deleted', s.tup_deleted::float8),
   ('pg_stat_database_conflicts', s.conflicts::float8),
   ('pg_stat_database_temp_files', s.temp_files::float8),
   ('pg_stat_database_temp_bytes', s.temp_bytes::float8),
   ('pg_stat_database_deadlocks', s.deadlocks::float8)) v(family, value)
UNION ALL
SELECT 'pg_database_size_bytes', datname::text, NULL,
       CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid)::float8 END
  FROM pg_database
UNION ALL
SELECT v.family, NULL, NULL, v.value
  FROM (VALUES
   ('pg_settings_max_connections', current_setting('max_connections')::float8),
   ('pg_settings_superuser_reserved_connections',
    current_setting('superuser_reserved_connections')::float8)) v(family, value)
UNION ALL
SELECT 'pg_static', NULL, version(), current_setting('server_version_num')::float8
UNION ALL
SELECT v.family, NULL, NULL, v.value
  FROM recovery r
 CROSS JOIN LATERAL (VALUES
   ('pg_replication_is_replica', CASE WHEN r.replica THEN 1 ELSE 0 END::float8),
   ('pg_replication_lag_seconds',
    CASE WHEN NOT r.replica THEN 0
         WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
         ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()))
    END::float8),
   ('pg_postmaster_start_time_seconds',
    extract(epoch FROM pg_postmaster_start_time())::float8)) v(family, value)
)SQL";

namespace {

struct Spec {
  std::string_view name;
  MetricType type;
  std::string_view help;
  std::string_view label;  // what the row's label column is called; "" when unused
  bool has_datname;
};

constexpr MetricType kGauge = MetricType::kGauge;
constexpr MetricType kCounter = MetricType::kCounter;

// In output order. pg_static and pg_settings_server_version_num both come from the version row.
constexpr Spec kSpecs[] = {
    {"pg_static", kGauge, "Version of the server, as labels; always 1.", "", false},
    {"pg_settings_server_version_num", kGauge, "The server's version as one number (150018).", "",
     false},
    {"pg_postmaster_start_time_seconds", kGauge, "Unix time at which the server started.", "",
     false},
    {"pg_settings_max_connections", kGauge,
     "Server setting max_connections: the most concurrent connections it accepts.", "", false},
    {"pg_settings_superuser_reserved_connections", kGauge,
     "Server setting superuser_reserved_connections: slots of max_connections kept for "
     "superusers.",
     "", false},
    {"pg_stat_activity_count", kGauge, "Sessions connected to each database, by state.", "state",
     true},
    {"pg_stat_activity_max_tx_duration", kGauge,
     "Age in seconds of the oldest open transaction in each database, by session state.", "state",
     true},
    {"pg_locks_count", kGauge, "Locks held or awaited in each database, by lock mode.", "mode",
     true},
    {"pg_locks_waiting", kGauge,
     "Lock requests not granted yet (sessions waiting on a lock) in each database, by mode.",
     "mode", true},
    {"pg_database_size_bytes", kGauge, "Disk space used by each database.", "", true},
    {"pg_stat_database_numbackends", kGauge, "Sessions currently connected to each database.",
     "datid", true},
    {"pg_stat_database_xact_commit", kCounter, "Transactions committed in each database.", "datid",
     true},
    {"pg_stat_database_xact_rollback", kCounter, "Transactions rolled back in each database.",
     "datid", true},
    {"pg_stat_database_blks_read", kCounter,
     "Disk blocks read in each database (cache misses of the buffer cache).", "datid", true},
    {"pg_stat_database_blks_hit", kCounter,
     "Disk blocks found in the buffer cache in each database, no read needed.", "datid", true},
    {"pg_stat_database_tup_returned", kCounter, "Rows returned by queries in each database.",
     "datid", true},
    {"pg_stat_database_tup_fetched", kCounter, "Rows fetched by queries in each database.", "datid",
     true},
    {"pg_stat_database_tup_inserted", kCounter, "Rows inserted in each database.", "datid", true},
    {"pg_stat_database_tup_updated", kCounter, "Rows updated in each database.", "datid", true},
    {"pg_stat_database_tup_deleted", kCounter, "Rows deleted in each database.", "datid", true},
    {"pg_stat_database_conflicts", kCounter,
     "Queries cancelled by conflicts with recovery in each database (replicas only).", "datid",
     true},
    {"pg_stat_database_temp_files", kCounter,
     "Temporary files written by queries in each database.", "datid", true},
    {"pg_stat_database_temp_bytes", kCounter,
     "Bytes written to temporary files by queries in each database.", "datid", true},
    {"pg_stat_database_deadlocks", kCounter, "Deadlocks detected in each database.", "datid", true},
    {"pg_replication_is_replica", kGauge, "1 when the server is a replica (in recovery), else 0.",
     "", false},
    {"pg_replication_lag_seconds", kGauge,
     "Seconds since the last transaction replayed from the primary; 0 on a primary or when fully "
     "caught up.",
     "", false},
};

Family MakeFamily(const Spec& spec) {
  return Family::Make(std::string(spec.name), spec.type, std::string(spec.help));
}

}  // namespace

std::string ShortVersion(int64_t version_num) {
  if (version_num >= 100000) {
    return std::to_string(version_num / 10000) + "." + std::to_string(version_num % 10000) + ".0";
  }
  return std::to_string(version_num / 10000) + "." + std::to_string(version_num / 100 % 100) + "." +
         std::to_string(version_num % 100);
}

std::vector<Family> MapBuiltin(const Table& table) {
  std::map<std::string_view, size_t> index;
  std::vector<Family> families;
  families.reserve(std::size(kSpecs));
  for (const auto& spec : kSpecs) {
    index.emplace(spec.name, families.size());
    families.push_back(MakeFamily(spec));
  }
  for (const auto& row : table.rows) {
    if (row.size() < 4 || !row[0] || !row[3]) continue;
    auto it = index.find(*row[0]);
    if (it == index.end()) continue;
    const auto value = ParseNumber(*row[3]);
    if (!value) continue;
    const Spec& spec = kSpecs[it->second];
    if (spec.name == "pg_static") {
      const auto version_num = static_cast<int64_t>(*value);
      families[it->second].Add(
          {{"short_version", ShortVersion(version_num)}, {"version", row[2].value_or("")}}, 1);
      families[index.at("pg_settings_server_version_num")].Add({}, *value);
      continue;
    }
    Labels labels;
    if (spec.has_datname) labels.push_back({"datname", row[1].value_or("")});
    if (!spec.label.empty()) labels.push_back({std::string(spec.label), row[2].value_or("")});
    std::sort(labels.begin(), labels.end());
    families[it->second].Add(std::move(labels), *value);
  }
  std::erase_if(families, [](const Family& family) { return family.samples.empty(); });
  for (auto& family : families) {
    std::sort(family.samples.begin(), family.samples.end(),
              [](const Sample& a, const Sample& b) { return a.labels < b.labels; });
  }
  return families;
}

Family UpFamily(bool up) {
  Family family = Family::Make(
      "pg_up", MetricType::kGauge,
      "1 if the last collection reached PostgreSQL and ran the built-in query, else 0.");
  family.Add({}, up ? 1 : 0);
  return family;
}

}  // namespace codebot::collect::postgres
