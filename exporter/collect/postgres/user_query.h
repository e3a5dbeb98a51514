// The rows of a user-defined query (sources.postgres.queries, like postgres_exporter's queries
// file) as metric families: every gauge or counter column becomes <query>_<column>, labelled by
// the label columns. Nothing here talks to a server; a query that cannot be mapped is an error for
// that query alone, never for the collection.
//
// NULLs: a NULL in a gauge or counter column leaves that one sample out (an absent series is what
// alert rules handle with absent()/or; a NaN would silently poison sums and comparisons), and a
// NULL in a label column becomes the empty label value (as Prometheus treats a missing label).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "exporter/collect/postgres/table.h"
#include "exporter/config/config.h"
#include "exporter/core/metric.h"

namespace codebot::collect::postgres {

// More rows than this is an error: a query meant for metrics never needs them, and each row costs
// series in /metrics and in the rule engine's store.
inline constexpr size_t kMaxUserQueryRows = 10000;

struct UserQueryResult {
  bool ok = true;
  std::string error;  // what is wrong, without row data
  std::vector<Family> families;
};

// Columns of the result that the config does not mention are ignored; a configured column
// missing from the result, a value that is not a number, or two rows with the same labels make
// the query fail. Label values pass through the sanitiser: they come from table data.
UserQueryResult MapUserQuery(const config::PostgresQuery& query, const Table& table);

}  // namespace codebot::collect::postgres
