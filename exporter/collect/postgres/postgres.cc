#include "exporter/collect/postgres/postgres.h"

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>

#include "exporter/collect/postgres/builtin.h"
#include "exporter/collect/postgres/dsn.h"
#include "exporter/collect/postgres/table.h"
#include "exporter/collect/postgres/user_query.h"
#include "exporter/collect/postgres/watchdog.h"
#include "exporter/core/log.h"
#include "exporter/core/sanitize.h"

#if defined(__SANITIZE_ADDRESS__)
// libpqxx 6.4 (Debian 12) leaks the PGresult of a statement whose connection broke under it: it
// asks for the client encoding, which throws on a broken connection, before it takes ownership
// of the result. About 2 KiB once per broken session (a server restart, a watchdog cut); nothing
// to fix on this side, so LeakSanitizer is told about it rather than every test run failing.
extern "C" const char* __lsan_default_suppressions() { return "leak:PQmakeEmptyPGresult\n"; }
#endif

namespace codebot::collect::postgres {
namespace detail {

std::string ConnectErrorReason(std::string_view message) {
  static constexpr std::array<std::string_view, 7> kAuth = {
      "authentication failed",  // password, SCRAM, ident, peer, ...
      "no pg_hba.conf entry",           "no password supplied",           "password is required",
      "permission denied for database", "pg_hba.conf rejects connection", "must be superuser",
  };
  for (auto needle : kAuth) {
    if (message.find(needle) != std::string_view::npos) return "auth";
  }
  if (message.find("role \"") != std::string_view::npos &&
      message.find("does not exist") != std::string_view::npos) {
    return "auth";
  }
  if (message.find("timeout expired") != std::string_view::npos) return "timeout";
  return "connect";
}

std::string SqlStateReason(std::string_view sqlstate) {
  if (sqlstate == "57014" || sqlstate == "55P03") return "timeout";
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57P0")) return "connect";
  return "query";
}

std::string CleanMessage(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return sanitize::Redact(out);
}

}  // namespace detail

namespace {

using detail::CleanMessage;

constexpr std::array<std::string_view, 3> kQueryErrorReasons = {"query", "timeout", "connect"};

// Name of the built-in statement, prepared in each session.
constexpr const char* kBuiltinStatement = "codebot_exporter_builtin";

// Time the server gets to report a cancelled statement before the watchdog cuts the connection
// (a tenth of the timeout when that is shorter).
constexpr std::chrono::milliseconds kServerMargin{100};

// What running one statement gave.
struct Outcome {
  bool ok = false;
  Table table;
  std::string reason;    // on failure
  std::string message;   // on failure, one sanitised line
  std::string sqlstate;  // on failure, when the server reported one
  bool lost = false;     // the connection is unusable and must be dropped
};

Table ToTable(const pqxx::result& result) {
  Table table;
  const auto columns = result.columns();
  table.columns.reserve(columns);
  for (pqxx::row::size_type i = 0; i < columns; ++i)
    table.columns.emplace_back(result.column_name(i));
  table.rows.reserve(result.size());
  for (const auto& row : result) {
    auto& out = table.rows.emplace_back();
    out.reserve(columns);
    for (const auto& field : row) {
      if (field.is_null()) {
        out.emplace_back(std::nullopt);
      } else {
        out.emplace_back(std::string(field.c_str(), field.size()));
      }
    }
  }
  return table;
}

class PostgresCollector : public Collector {
 public:
  explicit PostgresCollector(config::PostgresSource config) : config_(std::move(config)) {
    std::string error;
    if (auto dsn = config_.dsn.Resolve(&error)) UseDsn(*dsn);
    if (instance_.empty()) instance_ = InstanceOf(dsn_info_);
    for (const auto& query : config_.queries) {
      auto& state = queries_[query.name];
      for (auto reason : kQueryErrorReasons) state.errors[std::string(reason)] = 0;
    }
  }

  ~PostgresCollector() override { Drop(); }

  CollectResult Collect(Deadline deadline) override {
    std::string error;
    auto dsn = config_.dsn.Resolve(&error);
    if (!dsn) return Fail("other", "cannot read the DSN: " + error);
    if (*dsn != dsn_) UseDsn(*dsn);
    if (!dsn_info_.ok) {
      return Fail("other", "the DSN is neither a libpq key=value string nor a postgres:// URI");
    }

    Outcome builtin;
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = conn_ != nullptr;
      if (!conn_) {
        Outcome connected = Connect(deadline);
        if (!connected.ok) return Fail(connected.reason, connected.message);
      }
      builtin = RunBuiltin(deadline);
      if (builtin.ok) break;
      if (builtin.lost) Drop();
      // A connection kept from an earlier collection may have died with a server restart in
      // between: one fresh attempt tells a restart from an outage.
      if (!(reused && builtin.lost && builtin.reason == "connect")) break;
    }
    if (!builtin.ok) return Fail(builtin.reason, "built-in query: " + builtin.message);
    if (builtin.lost) Drop();

    CollectResult result;
    result.families.push_back(UpFamily(true));
    for (auto& family : MapBuiltin(builtin.table)) result.families.push_back(std::move(family));
    RunUserQueries(deadline, &result.families);
    if (!queries_.empty()) result.families.push_back(QueryErrorsFamily());
    return result;
  }

  std::vector<std::string> ErrorReasons() const override {
    return {"connect", "auth", "timeout", "query", "other"};
  }

  std::string Instance() const override { return instance_; }

 private:
  struct QueryState {
    std::map<std::string, uint64_t> errors;  // by reason
    std::string failing;                     // reason of the current failure, "" when fine
  };

  void UseDsn(const std::string& dsn) {
    Drop();  // new credentials or a new server: the old session is not what the config says
    dsn_ = dsn;
    dsn_info_ = ParseDsn(dsn_);
    if (!dsn_info_.password.empty()) sanitize::RegisterSecret(dsn_info_.password);
    // A rotated DSN file may name another server: the series follow it.
    if (dsn_info_.ok) instance_ = InstanceOf(dsn_info_);
  }

  void Drop() { conn_.reset(); }

  CollectResult Fail(std::string reason, std::string message) {
    CollectResult result = CollectResult::Failure(std::move(reason), std::move(message));
    result.families.push_back(UpFamily(false));
    if (!queries_.empty()) result.families.push_back(QueryErrorsFamily());
    return result;
  }

  Outcome Connect(Deadline deadline) {
    Outcome outcome;
    const auto remaining = Remaining(deadline);
    if (remaining.count() == 0) {
      outcome.reason = "timeout";
      outcome.message = "no time left to connect";
      return outcome;
    }
    // Whole seconds, rounded down to stay inside the deadline; libpq turns 1 into 2.
    const long long seconds = std::max<long long>(1, remaining.count() / 1000);
    const std::string conninfo = WithParameters(dsn_, dsn_info_.is_uri,
                                                {{"connect_timeout", std::to_string(seconds)},
                                                 {"fallback_application_name", "codebot-exporter"},
                                                 {"client_encoding", "UTF8"}});
    try {
      conn_ = std::make_unique<pqxx::connection>(conninfo);
    } catch (const pqxx::broken_connection& e) {
      outcome.reason = detail::ConnectErrorReason(e.what());
      outcome.message = CleanMessage(e.what());
      return outcome;
    } catch (const std::exception& e) {
      outcome.reason = "other";
      outcome.message = CleanMessage(e.what());
      return outcome;
    }
    // Session settings and the built-in statement in one round trip. read-only: a query in the
    // config can never write.
    const std::string timeout_ms = std::to_string(config_.timeout.count());
    Outcome setup =
        Run("SET statement_timeout = " + timeout_ms + "; SET lock_timeout = " + timeout_ms +
                "; SET default_transaction_read_only = on; " + prepare_builtin_,
            deadline, /*server_deadline=*/false);
    if (!setup.ok) {
      Drop();
      setup.message = "session setup: " + setup.message;
      return setup;
    }
    log::Info("connected to PostgreSQL", {{"source", "postgres"},
                                          {"instance", instance_},
                                          {"server_version", conn_->server_version()}});
    outcome.ok = true;
    return outcome;
  }

  // The built-in statement, prepared once per session: parsing and planning it (the system views
  // expand into a large plan) costs the server more than running it. A session that lost it (a
  // pooler's DISCARD ALL) prepares it again.
  Outcome RunBuiltin(Deadline deadline) {
    static constexpr std::string_view kUndefinedPreparedStatement = "26000";
    Outcome outcome = Run(std::string("EXECUTE ") + kBuiltinStatement, deadline);
    if (outcome.ok || outcome.sqlstate != kUndefinedPreparedStatement) return outcome;
    Outcome prepared = Run(prepare_builtin_, deadline, /*server_deadline=*/false);
    if (!prepared.ok) return prepared;
    return Run(std::string("EXECUTE ") + kBuiltinStatement, deadline);
  }

  // One statement outside a transaction block (no BEGIN/COMMIT round trips), under the watchdog.
  // With server_deadline, the same round trip first sets statement_timeout for this statement
  // alone (SET LOCAL lives as long as the implicit transaction of a multi-statement string), a
  // little short of the deadline: the server then cancels a slow query itself and the connection
  // stays usable, where the watchdog would have to cut it.
  Outcome Run(const std::string& sql, Deadline deadline, bool server_deadline = true) {
    Outcome outcome;
    const auto budget = Remaining(deadline) - server_margin_;
    if (budget.count() <= 0) {
      outcome.reason = "timeout";
      outcome.message = "deadline passed before the query started";
      return outcome;
    }
    WatchdogScope watchdog(watchdog_, conn_->sock(), deadline);
    try {
      pqxx::nontransaction tx(*conn_);
      const pqxx::result result = tx.exec(
          server_deadline
              ? "SET LOCAL statement_timeout = " + std::to_string(budget.count()) + "; " + sql
              : sql);
      if (watchdog.Disarm()) {
        // The answer arrived as the deadline passed: good data, but the socket is shut down.
        outcome.lost = true;
      }
      outcome.table = ToTable(result);
      outcome.ok = true;
      return outcome;
    } catch (const pqxx::broken_connection& e) {
      outcome.lost = true;
      outcome.reason = watchdog.Disarm() ? "timeout" : "connect";
      outcome.message = CleanMessage(e.what());
    } catch (const pqxx::sql_error& e) {
      const bool fired = watchdog.Disarm();
      outcome.sqlstate = e.sqlstate();
      outcome.reason = fired ? "timeout" : detail::SqlStateReason(e.sqlstate());
      outcome.lost = fired || outcome.reason == "connect";
      outcome.message = CleanMessage(e.what());
    } catch (const std::exception& e) {
      // Unknown state (in doubt, usage error, out of memory): start over with a new session.
      outcome.lost = true;
      outcome.reason = watchdog.Disarm() ? "timeout" : "other";
      outcome.message = CleanMessage(e.what());
    }
    if (outcome.reason == "timeout" && outcome.lost) {
      // What libpq says after the watchdog cut the socket is noise ("not connected").
      outcome.message = "no answer from the server before the deadline";
    }
    return outcome;
  }

  void RunUserQueries(Deadline deadline, std::vector<Family>* families) {
    std::set<std::string> names = {std::string(kQueryErrorsName)};
    for (const auto& family : *families) names.insert(family.name);
    // Once the connection is gone later queries can't run; it is gone from the start only when
    // the built-in query's answer raced the deadline.
    std::string lost_reason = "timeout";
    for (const auto& query : config_.queries) {
      if (!conn_) {
        QueryFailed(query.name, lost_reason, "not run: the connection was lost earlier");
        continue;
      }
      Outcome outcome = Run(query.sql, deadline);
      if (outcome.lost) {
        Drop();
        lost_reason = outcome.reason;
      }
      if (!outcome.ok) {
        QueryFailed(query.name, outcome.reason, outcome.message);
        continue;
      }
      UserQueryResult mapped = MapUserQuery(query, outcome.table);
      if (mapped.ok) {
        for (const auto& family : mapped.families) {
          if (names.contains(family.name)) {
            mapped.ok = false;
            mapped.error = "metric " + family.name + " already exists";
          }
        }
      }
      if (!mapped.ok) {
        QueryFailed(query.name, "query", mapped.error);
        continue;
      }
      QuerySucceeded(query.name);
      for (auto& family : mapped.families) {
        names.insert(family.name);
        families->push_back(std::move(family));
      }
    }
  }

  // One warning when a query starts failing or fails differently; debug while it stays so.
  void QueryFailed(const std::string& name, const std::string& reason, const std::string& message) {
    auto& state = queries_[name];
    ++state.errors[reason];
    const bool changed = state.failing != reason;
    state.failing = reason;
    log::Write(changed ? log::Level::kWarn : log::Level::kDebug, "user query failed",
               {{"source", "postgres"}, {"query", name}, {"reason", reason}, {"err", message}});
  }

  void QuerySucceeded(const std::string& name) {
    auto& state = queries_[name];
    if (state.failing.empty()) return;
    log::Info("user query recovered",
              {{"source", "postgres"}, {"query", name}, {"after", state.failing}});
    state.failing.clear();
  }

  Family QueryErrorsFamily() const {
    Family family = Family::Make(std::string(kQueryErrorsName), MetricType::kCounter,
                                 "Failed runs of the user-defined queries of sources.postgres, by "
                                 "query and reason.");
    for (const auto& [name, state] : queries_) {
      for (const auto& [reason, count] : state.errors) {
        family.Add({{"query", name}, {"reason", reason}}, static_cast<double>(count));
      }
    }
    return family;
  }

  const std::string prepare_builtin_ =
      std::string("PREPARE ") + kBuiltinStatement + " AS " + std::string(kBuiltinSql);
  config::PostgresSource config_;
  const std::chrono::milliseconds server_margin_ = std::min(kServerMargin, config_.timeout / 10);
  std::string dsn_;
  DsnInfo dsn_info_;
  std::string instance_;
  std::map<std::string, QueryState> queries_;
  Watchdog watchdog_;
  // Declared last: destroyed first, while the watchdog still exists.
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

std::unique_ptr<Collector> NewCollector(const config::PostgresSource& config) {
  return std::make_unique<PostgresCollector>(config);
}

}  // namespace codebot::collect::postgres
