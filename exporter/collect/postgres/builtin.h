// The built-in PostgreSQL health metrics: one SQL statement, so a collection costs the server one
// round trip and one snapshot, and the mapping of its rows to metric families. Names, types and
// labels are postgres_exporter's wherever it has the same metric, so rules and dashboards written
// for it work unchanged. Nothing here touches the network.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/collect/postgres/table.h"
#include "exporter/core/metric.h"

namespace codebot::collect::postgres {

// Returns rows (family text, datname text, label text, value float8); needs PostgreSQL 10+ and,
// to see other roles' sessions and every database's size, a role with pg_monitor.
extern const std::string_view kBuiltinSql;

// The families of kBuiltinSql's rows, in a fixed order, empty ones left out. A NULL value skips
// that sample; a NULL database name becomes "" (pg_stat_database's row for shared objects).
std::vector<Family> MapBuiltin(const Table& table);

// pg_up: whether the last collection reached the server and ran the built-in query.
Family UpFamily(bool up);

// "15.18.0" from server_version_num 150018 (and "9.6.24" from 90624), as postgres_exporter
// labels pg_static{short_version}.
std::string ShortVersion(int64_t version_num);

}  // namespace codebot::collect::postgres
