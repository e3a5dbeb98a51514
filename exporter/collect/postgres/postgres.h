// Source "postgres": the health of the bot's PostgreSQL through libpqxx (the only place libpqxx is
// used) — pg_up, version, connections by state against max_connections, database sizes, oldest
// transaction, locks, commits/rollbacks/deadlocks, cache hits, replication lag — plus the
// user-defined queries of sources.postgres.queries.
//
// It must never be a burden on the database it watches: one connection, opened on the first
// collection and reused, read-only, with lock_timeout and a statement_timeout that ends each
// statement a little before the collection's deadline (so the server cancels a slow query and
// the session survives), and one round trip for every built-in metric, a statement prepared once
// per session. It must never block past its deadline: every query also runs under a watchdog that
// shuts the socket down when the deadline passes, for a server that no longer answers at all
// (connecting is bounded by libpq's connect_timeout, in whole seconds and at least 2). A broken
// or timed-out connection is dropped and opened again on the next collection. The password never
// reaches a log line, an error or a label: it is registered with the sanitiser as soon as the DSN
// is read.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "exporter/collect/collector.h"
#include "exporter/config/config.h"

namespace codebot::collect::postgres {

std::unique_ptr<Collector> NewCollector(const config::PostgresSource& config);

// Name of the counter of failed user-defined queries, by query and reason. Not under
// codebot_exporter_: /metrics keeps that prefix for the sidecar's registry and drops it from
// sources.
inline constexpr std::string_view kQueryErrorsName = "pg_exporter_user_query_errors_total";

namespace detail {

// The bounded reason for a failed connection attempt, from libpq's message: "auth" (password,
// pg_hba.conf, unknown role, no CONNECT privilege), "timeout" (connect_timeout), else "connect".
std::string ConnectErrorReason(std::string_view message);

// The reason for a failed statement, from its SQLSTATE: "timeout" for statement_timeout and
// lock_timeout (57014, 55P03), "connect" when the server ended the session (class 08, 57P0x),
// else "query".
std::string SqlStateReason(std::string_view sqlstate);

// One line, sanitised: libpq messages span lines and may name host and user.
std::string CleanMessage(std::string_view message);

}  // namespace detail
}  // namespace codebot::collect::postgres
