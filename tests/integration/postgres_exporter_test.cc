// The PostgreSQL source through the real binary against a real PostgreSQL 15: every value checked
// against what the test did to the server or what the server itself says.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>

#include "tests/support/exporter.h"
#include "tests/support/postgres_server.h"

namespace codebot::testing {
namespace {

constexpr int kMaxConnections = 37;  // not the default, so the metric must come from the server

// The bot's own requests table (seeds/000: metrics with operation, status, latency in value).
constexpr char kSchema[] = R"SQL(
CREATE TABLE metrics (
  id SERIAL PRIMARY KEY,
  request_id VARCHAR(50) NOT NULL,
  timestamp TIMESTAMP NOT NULL DEFAULT NOW(),
  metric_type VARCHAR(20) NOT NULL,
  operation VARCHAR(50) NOT NULL,
  status VARCHAR(20) NOT NULL,
  value FLOAT NOT NULL
);
CREATE TABLE lockme (id int);
ALTER TABLE metrics OWNER TO codebot;
ALTER TABLE lockme OWNER TO codebot;
)SQL";

std::string Config() {
  return R"(
sources:
  postgres:
    dsn: ${CODEBOT_TEST_PG_DSN}
    interval: 1s
    timeout: 1s
    queries:
      - name: codebot_requests
        help: Requests the bot recorded, by operation and status.
        sql: |
          SELECT operation, status, count(*) AS total, avg(value) AS latency_ms_avg
            FROM metrics GROUP BY operation, status
        columns:
          operation: label
          status: label
          total: counter
          latency_ms_avg:
            usage: gauge
            help: Mean latency of those requests in milliseconds.
      - name: codebot_nulls
        sql: SELECT 'has-null-value' AS kind, NULL::int AS n UNION ALL SELECT NULL, 7
        columns:
          kind: label
          n: gauge
      - name: codebot_broken
        sql: SELECT n FROM no_such_table
        columns:
          n: gauge
)";
}

class PostgresExporterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PostgresServer::Available()) return;
    server_ = new PostgresServer({"max_connections=" + std::to_string(kMaxConnections)});
    server_->Psql(kSchema, server_->database());
    server_->Psql(
        "INSERT INTO metrics (request_id, metric_type, operation, status, value) VALUES "
        "('r1', 'latency', 'sync', 'ok', 10), ('r2', 'latency', 'sync', 'ok', 30), "
        "('r3', 'latency', 'search', 'error', 250)",
        server_->database());
    server_->Psql("CREATE DATABASE quiet");
    exporter_ = new Exporter();
    exporter_->Start(Config(), {}, {"CODEBOT_TEST_PG_DSN=" + server_->Uri()});
  }

  static void TearDownTestSuite() {
    delete exporter_;
    exporter_ = nullptr;
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    CODEBOT_REQUIRE_PROGRAM(PostgresServer::Available(), "PostgreSQL (initdb, postgres, psql)");
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(exporter_, nullptr);
    ASSERT_TRUE(exporter_->WaitForScrape([](const Scrape& s) { return s.Value("pg_up") == 1.0; }))
        << exporter_->Logs();
  }

  // Waits until the value of a series equals want; on failure says what it was.
  static void ExpectEventually(const std::string& name, const Labels& labels, double want) {
    std::optional<double> last;
    const bool reached = exporter_->WaitForScrape([&](const Scrape& s) {
      last = s.Value(name, labels);
      return last == want;
    });
    EXPECT_TRUE(reached) << name << " is " << (last ? std::to_string(*last) : "absent") << ", want "
                         << want;
  }

  static double ValueNow(const std::string& name, const Labels& labels) {
    const auto value = exporter_->ScrapeMetrics().Value(name, labels);
    EXPECT_TRUE(value.has_value()) << name << " missing";
    return value.value_or(-1);
  }

  static PostgresServer* server_;
  static Exporter* exporter_;
};

PostgresServer* PostgresExporterTest::server_ = nullptr;
Exporter* PostgresExporterTest::exporter_ = nullptr;

TEST_F(PostgresExporterTest, BuiltinMetricsSayWhatTheServerSays) {
  const Scrape scrape = exporter_->ScrapeMetrics();
  ASSERT_TRUE(scrape.ok);
  EXPECT_EQ(scrape.Value("pg_settings_max_connections"), kMaxConnections);
  EXPECT_EQ(scrape.Value("pg_settings_max_connections"),
            std::stod(server_->Psql("SHOW max_connections")));
  EXPECT_EQ(scrape.Value("pg_settings_server_version_num"),
            std::stod(server_->Psql("SHOW server_version_num")));
  const std::string version = server_->Psql("SELECT version()");
  const std::string release =
      server_->Psql("SELECT split_part(current_setting('server_version'), ' ', 1)");
  EXPECT_EQ(scrape.Value("pg_static", {{"version", version}, {"short_version", release + ".0"}}),
            1.0)
      << scrape.text;
  EXPECT_NEAR(*scrape.Value("pg_postmaster_start_time_seconds"),
              std::stod(server_->Psql("SELECT extract(epoch FROM pg_postmaster_start_time())")),
              0.001);
  EXPECT_EQ(scrape.Value("pg_replication_is_replica"), 0.0);
  EXPECT_EQ(scrape.Value("pg_replication_lag_seconds"), 0.0);
  EXPECT_EQ(scrape.Value("codebot_exporter_source_up", {{"source", "postgres"}}), 1.0);

  // Every database has a size, and a family per pg_stat_database column with datid and datname.
  std::string databases =
      server_->Psql("SELECT string_agg(datname || ':' || oid, ' ') FROM pg_database");
  std::istringstream words(databases);
  std::string word;
  int count = 0;
  while (words >> word) {
    const std::string name = word.substr(0, word.find(':'));
    const std::string oid = word.substr(word.find(':') + 1);
    ++count;
    EXPECT_GT(scrape.Value("pg_database_size_bytes", {{"datname", name}}).value_or(0), 0) << name;
    EXPECT_TRUE(scrape.Value("pg_stat_database_xact_commit", {{"datname", name}, {"datid", oid}}))
        << name;
    // Zero-filled like postgres_exporter: all six states and nine lock modes for every database.
    EXPECT_EQ(scrape.Samples("pg_stat_activity_count", {{"datname", name}}).size(), 6u) << name;
    EXPECT_EQ(scrape.Samples("pg_locks_count", {{"datname", name}}).size(), 9u) << name;
  }
  EXPECT_EQ(count, 5);  // postgres, template0, template1, codebot, quiet

  // Within one database, the size the server reports now is the size the exporter reported a
  // moment ago, give or take what autovacuum or the stats writer did in between.
  const double size = std::stod(server_->Psql("SELECT pg_database_size('quiet')"));
  EXPECT_NEAR(*scrape.Value("pg_database_size_bytes", {{"datname", "quiet"}}), size, 64 * 1024);

  const Family* commits = scrape.FindFamily("pg_stat_database_xact_commit");
  ASSERT_NE(commits, nullptr);
  EXPECT_EQ(commits->type, MetricType::kCounter);
  const Family* activity = scrape.FindFamily("pg_stat_activity_count");
  ASSERT_NE(activity, nullptr);
  EXPECT_EQ(activity->type, MetricType::kGauge);
}

TEST_F(PostgresExporterTest, IdleConnectionsRiseByTheNumberOpened) {
  const Labels idle = {{"datname", "quiet"}, {"state", "idle"}};
  ExpectEventually("pg_stat_activity_count", idle, 0);
  std::vector<std::unique_ptr<PsqlSession>> sessions;
  for (int i = 0; i < 3; ++i) sessions.push_back(server_->OpenSession("quiet"));
  ExpectEventually("pg_stat_activity_count", idle, 3);
  sessions.pop_back();
  ExpectEventually("pg_stat_activity_count", idle, 2);
  sessions.clear();
  ExpectEventually("pg_stat_activity_count", idle, 0);
}

TEST_F(PostgresExporterTest, CommitsAndRollbacksAreCounted) {
  const Labels quiet = {{"datname", "quiet"}};
  const double rollbacks = ValueNow("pg_stat_database_xact_rollback", quiet);
  const double commits = ValueNow("pg_stat_database_xact_commit", quiet);
  {
    auto session = server_->OpenSession("quiet");
    for (int i = 0; i < 4; ++i) session->Send("BEGIN; SELECT 1; ROLLBACK;");
    for (int i = 0; i < 2; ++i) session->Send("SELECT 1;");
    // Ending the session flushes its statistics.
  }
  ExpectEventually("pg_stat_database_xact_rollback", quiet, rollbacks + 4);
  // Connecting runs catalog lookups of its own, so at least the test's two commits.
  EXPECT_GE(ValueNow("pg_stat_database_xact_commit", quiet), commits + 2);
}

TEST_F(PostgresExporterTest, UserQueryMetricsEqualTheTableContents) {
  const Labels sync_ok = {{"operation", "sync"}, {"status", "ok"}};
  ExpectEventually("codebot_requests_total", sync_ok, 2);
  ExpectEventually("codebot_requests_latency_ms_avg", sync_ok, 20);
  ExpectEventually("codebot_requests_total", {{"operation", "search"}, {"status", "error"}}, 1);

  server_->Psql(
      "INSERT INTO metrics (request_id, metric_type, operation, status, value) "
      "SELECT 'bulk' || g, 'latency', 'sync', 'ok', 40 FROM generate_series(1, 5) g",
      server_->database());
  const double rows = std::stod(
      server_->Psql("SELECT count(*) FROM metrics WHERE operation = 'sync' AND status = 'ok'",
                    server_->database()));
  EXPECT_EQ(rows, 7);
  ExpectEventually("codebot_requests_total", sync_ok, rows);
  ExpectEventually("codebot_requests_latency_ms_avg", sync_ok, (10 + 30 + 5 * 40) / 7.0);

  const Scrape scrape = exporter_->ScrapeMetrics();
  const Family* total = scrape.FindFamily("codebot_requests_total");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->type, MetricType::kCounter);
  EXPECT_EQ(total->help, "Requests the bot recorded, by operation and status.");
  const Family* latency = scrape.FindFamily("codebot_requests_latency_ms_avg");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->help, "Mean latency of those requests in milliseconds.");
}

TEST_F(PostgresExporterTest, NullValueSkipsTheSampleAndNullLabelIsEmpty) {
  const Scrape scrape = exporter_->ScrapeMetrics();
  EXPECT_EQ(scrape.Value("codebot_nulls_n", {{"kind", ""}}), 7.0) << scrape.text;
  EXPECT_TRUE(scrape.Samples("codebot_nulls_n", {{"kind", "has-null-value"}}).empty());
  EXPECT_EQ(scrape.Samples("codebot_nulls_n").size(), 1u);
}

TEST_F(PostgresExporterTest, FailingUserQueryIsCountedLoggedOnceAndHarmsNothingElse) {
  const Labels broken = {{"query", "codebot_broken"}, {"reason", "query"}};
  ASSERT_TRUE(exporter_->WaitForScrape([&](const Scrape& s) {
    return s.Value("pg_exporter_user_query_errors_total", broken).value_or(0) >= 3;
  }));
  const Scrape scrape = exporter_->ScrapeMetrics();
  EXPECT_EQ(scrape.Value("pg_up"), 1.0);
  EXPECT_EQ(scrape.Value("codebot_exporter_source_up", {{"source", "postgres"}}), 1.0);
  EXPECT_TRUE(scrape.Value("codebot_requests_total", {{"operation", "sync"}}));
  EXPECT_EQ(scrape.Value("pg_exporter_user_query_errors_total",
                         {{"query", "codebot_requests"}, {"reason", "query"}}),
            0.0);
  EXPECT_TRUE(scrape.Samples("codebot_broken_n").empty());

  // One warning for the whole streak of failures; the repeats are debug lines.
  const std::string logs = exporter_->Logs();
  int warnings = 0;
  size_t pos = 0;
  while ((pos = logs.find("\"level\":\"warn\",\"msg\":\"user query failed\"", pos)) !=
         std::string::npos) {
    const size_t end = logs.find('\n', pos);
    if (logs.substr(pos, end - pos).find("codebot_broken") != std::string::npos) ++warnings;
    pos = end;
  }
  EXPECT_EQ(warnings, 1) << logs;
  EXPECT_NE(logs.find("no_such_table"), std::string::npos);
}

TEST_F(PostgresExporterTest, OldestTransactionAgeGrows) {
  const Labels waiting = {{"datname", "quiet"}, {"state", "idle in transaction"}};
  ExpectEventually("pg_stat_activity_max_tx_duration", waiting, 0);
  auto session = server_->OpenSession("quiet");
  session->Send("BEGIN; SELECT 1;");
  double first = 0;
  ASSERT_TRUE(exporter_->WaitForScrape([&](const Scrape& s) {
    first = s.Value("pg_stat_activity_max_tx_duration", waiting).value_or(0);
    return first >= 1;
  }));
  // It keeps growing while the transaction stays open, at the pace of the clock.
  double later = 0;
  ASSERT_TRUE(exporter_->WaitForScrape([&](const Scrape& s) {
    later = s.Value("pg_stat_activity_max_tx_duration", waiting).value_or(0);
    return later >= first + 2;
  }));
  const double age =
      std::stod(server_->Psql("SELECT extract(epoch FROM now() - xact_start) FROM pg_stat_activity "
                              "WHERE datname = 'quiet' AND state = 'idle in transaction'"));
  EXPECT_LE(later, age + 0.5);
  EXPECT_EQ(exporter_->ScrapeMetrics().Value("pg_stat_activity_count", waiting), 1.0);
  session->Send("COMMIT;");
  ExpectEventually("pg_stat_activity_max_tx_duration", waiting, 0);
}

TEST_F(PostgresExporterTest, SessionWaitingOnALockIsCounted) {
  const Labels waiting = {{"datname", "codebot"}, {"mode", "accesssharelock"}};
  ExpectEventually("pg_locks_waiting", waiting, 0);
  auto holder = server_->OpenSession();
  holder->Send("BEGIN; LOCK TABLE lockme IN ACCESS EXCLUSIVE MODE;");
  ASSERT_TRUE(exporter_->WaitForScrape([](const Scrape& s) {
    return s.Value("pg_locks_count", {{"datname", "codebot"}, {"mode", "accessexclusivelock"}})
               .value_or(0) >= 1;
  }));
  auto blocked = server_->OpenSession();
  blocked->Send("SELECT count(*) FROM lockme;");
  ExpectEventually("pg_locks_waiting", waiting, 1);
  holder->Send("COMMIT;");
  ExpectEventually("pg_locks_waiting", waiting, 0);
}

// Runs last: everything the suite made the exporter log and expose.
TEST_F(PostgresExporterTest, PasswordNeverAppearsInLogsOrMetrics) {
  const std::string& password = server_->password();
  EXPECT_EQ(exporter_->Logs().find(password), std::string::npos);
  const Scrape scrape = exporter_->ScrapeMetrics();
  ASSERT_TRUE(scrape.ok);
  EXPECT_EQ(scrape.text.find(password), std::string::npos);
  // The instance is host:port, nothing of the credentials.
  EXPECT_NE(exporter_->Logs().find("\"instance\":\"127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos);
}

// A wrong password, from a DSN file in key=value form: reason auth, pg_up 0, and neither the
// wrong nor the right password anywhere.
TEST_F(PostgresExporterTest, WrongPasswordIsAnAuthFailureThatLeaksNothing) {
  Exporter wrong;
  const std::string wrong_password = "Wrong" + server_->password().substr(2);
  const std::string dsn = "host=127.0.0.1 port=" + std::to_string(server_->port()) +
                          " user=codebot dbname=codebot sslmode=disable password='" +
                          wrong_password + "'";
  WriteFile(wrong.dir().File("dsn"), dsn + "\n");
  wrong.Start(R"(
sources:
  postgres:
    dsn_file: dsn
    interval: 1s
    timeout: 1s
)");
  ASSERT_TRUE(wrong.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_source_scrape_errors_total",
                   {{"source", "postgres"}, {"reason", "auth"}})
               .value_or(0) >= 2;
  })) << wrong.Logs();
  const Scrape scrape = wrong.ScrapeMetrics();
  EXPECT_EQ(scrape.Value("pg_up"), 0.0);
  EXPECT_EQ(scrape.Value("codebot_exporter_source_up", {{"source", "postgres"}}), 0.0);
  const std::string logs = wrong.Logs();
  EXPECT_NE(logs.find("password authentication failed"), std::string::npos) << logs;
  for (const std::string& secret : {wrong_password, server_->password()}) {
    EXPECT_EQ(logs.find(secret), std::string::npos);
    EXPECT_EQ(scrape.text.find(secret), std::string::npos);
  }
  // The server saw the failed attempts: this really was the password being refused.
  EXPECT_NE(server_->Log().find("password authentication failed for user \"codebot\""),
            std::string::npos);
}

}  // namespace
}  // namespace codebot::testing
