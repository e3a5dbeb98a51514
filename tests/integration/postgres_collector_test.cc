// The PostgreSQL collector on its own against a real PostgreSQL 15, for what the binary's output
// can't show: how many sessions it holds, what it leaves running on the server, what a failed
// collection returns, and what reaches the log.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/collect/postgres/postgres.h"
#include "exporter/core/log.h"
#include "exporter/core/sanitize.h"
#include "tests/support/postgres_server.h"

namespace codebot::collect::postgres {
namespace {

using testing::PostgresServer;

const Family* Find(const CollectResult& result, const std::string& name) {
  for (const auto& family : result.families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

double Value(const CollectResult& result, const std::string& name, const Labels& match = {}) {
  const Family* family = Find(result, name);
  if (family == nullptr) return -1;
  for (const auto& sample : family->samples) {
    bool all = true;
    for (const auto& label : match)
      all = all && LabelValue(sample.labels, label.name) == label.value;
    if (all) return sample.value;
  }
  return -1;
}

class PostgresCollectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PostgresServer::Available()) return;
    server_ = new PostgresServer();
    server_->Psql(
        "CREATE TABLE requests (n int); INSERT INTO requests VALUES (1), (2), (3); "
        "ALTER TABLE requests OWNER TO codebot",
        server_->database());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    CODEBOT_REQUIRE_PROGRAM(PostgresServer::Available(), "PostgreSQL (initdb, postgres, psql)");
    ASSERT_NE(server_, nullptr);
    if (!server_->Running()) server_->Start();
    log::SetCaptureForTesting([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }

  void TearDown() override {
    log::SetCaptureForTesting(nullptr);
    if (server_ != nullptr) server_->Signal(SIGCONT);
  }

  static config::PostgresSource Source(std::chrono::milliseconds timeout) {
    config::PostgresSource source;
    source.dsn.inline_value = server_->Uri();
    source.interval = std::chrono::seconds(10);
    source.timeout = timeout;
    return source;
  }

  static CollectResult CollectOnce(Collector& collector, std::chrono::milliseconds timeout) {
    return collector.Collect(SteadyClock::now() + timeout);
  }

  int Logged(const std::string& needle) {
    std::lock_guard lock(mutex_);
    int count = 0;
    for (const auto& line : lines_) count += line.find(needle) != std::string::npos ? 1 : 0;
    return count;
  }

  std::string AllLogs() {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& line : lines_) all += line + "\n";
    return all;
  }

  // Sessions the collector holds open on the server, by the application name it sets.
  static int ExporterSessions() {
    return std::stoi(server_->Psql(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'codebot-exporter'"));
  }

  static PostgresServer* server_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

PostgresServer* PostgresCollectorTest::server_ = nullptr;

TEST_F(PostgresCollectorTest, OneSessionReusedAcrossCollections) {
  auto collector = NewCollector(Source(std::chrono::seconds(2)));
  EXPECT_EQ(collector->Instance(), "127.0.0.1:" + std::to_string(server_->port()));
  for (int i = 0; i < 3; ++i) {
    const CollectResult result = CollectOnce(*collector, std::chrono::seconds(2));
    ASSERT_TRUE(result.ok) << result.error_message;
    EXPECT_EQ(Value(result, "pg_up"), 1);
    EXPECT_EQ(ExporterSessions(), 1);
  }
  EXPECT_EQ(Logged("connected to PostgreSQL"), 1);
  collector.reset();
  EXPECT_TRUE(testing::WaitFor([] { return ExporterSessions() == 0; }));
}

TEST_F(PostgresCollectorTest, UserQueriesCannotWrite) {
  auto source = Source(std::chrono::seconds(2));
  config::PostgresQuery erase;
  erase.name = "erase";
  erase.sql = "WITH gone AS (DELETE FROM requests RETURNING 1) SELECT count(*) AS n FROM gone";
  erase.columns = {{"n", config::ColumnUsage::kGauge, ""}};
  source.queries = {erase};
  auto collector = NewCollector(source);
  const CollectResult result = CollectOnce(*collector, std::chrono::seconds(2));
  ASSERT_TRUE(result.ok) << result.error_message;
  EXPECT_EQ(Value(result, std::string(kQueryErrorsName), {{"query", "erase"}, {"reason", "query"}}),
            1);
  EXPECT_EQ(Find(result, "erase_n"), nullptr);
  EXPECT_EQ(server_->Psql("SELECT count(*) FROM requests", server_->database()), "3");
  EXPECT_EQ(Logged("read-only transaction"), 1) << AllLogs();
}

TEST_F(PostgresCollectorTest, SlowUserQueryIsCancelledByTheServerAndTheSessionKept) {
  auto source = Source(std::chrono::milliseconds(1500));
  config::PostgresQuery slow;
  slow.name = "slow";
  slow.sql = "SELECT 1 AS n FROM pg_sleep(30)";
  slow.columns = {{"n", config::ColumnUsage::kGauge, ""}};
  config::PostgresQuery fast;
  fast.name = "fast";
  fast.sql = "SELECT count(*) AS n FROM requests";
  fast.columns = {{"n", config::ColumnUsage::kGauge, ""}};
  source.queries = {slow, fast};
  auto collector = NewCollector(source);
  for (int i = 1; i <= 2; ++i) {
    const CollectResult result = CollectOnce(*collector, std::chrono::milliseconds(1500));
    ASSERT_TRUE(result.ok) << result.error_message;
    EXPECT_EQ(Value(result, "pg_up"), 1);
    EXPECT_EQ(
        Value(result, std::string(kQueryErrorsName), {{"query", "slow"}, {"reason", "timeout"}}),
        i);
    // The slow query used the time left; the next one finds none and is not started.
    EXPECT_EQ(
        Value(result, std::string(kQueryErrorsName), {{"query", "fast"}, {"reason", "timeout"}}),
        i);
    // Nothing of ours is left running on the server.
    EXPECT_EQ(
        server_->Psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' "
                      "AND state = 'active' AND application_name = 'codebot-exporter'"),
        "0");
  }
  // Cancelled by statement_timeout on the server, not cut by the watchdog: same session.
  EXPECT_EQ(Logged("connected to PostgreSQL"), 1) << AllLogs();
  EXPECT_EQ(ExporterSessions(), 1);
  EXPECT_GE(Logged("canceling statement due to statement timeout"), 1) << AllLogs();
}

// Something in the session (a pooler's DISCARD ALL, here a user query) dropped the prepared
// built-in statement: it is prepared again, in the same session.
TEST_F(PostgresCollectorTest, DeallocatedBuiltinStatementIsPreparedAgain) {
  auto source = Source(std::chrono::seconds(2));
  config::PostgresQuery deallocate;
  deallocate.name = "deallocate";
  deallocate.sql = "DEALLOCATE ALL; SELECT 1 AS n";
  deallocate.columns = {{"n", config::ColumnUsage::kGauge, ""}};
  source.queries = {deallocate};
  auto collector = NewCollector(source);
  for (int i = 0; i < 3; ++i) {
    const CollectResult result = CollectOnce(*collector, std::chrono::seconds(2));
    ASSERT_TRUE(result.ok) << i << ": " << result.error_message;
    EXPECT_EQ(Value(result, "deallocate_n"), 1);
    EXPECT_TRUE(Find(result, "pg_stat_activity_count") != nullptr);
  }
  EXPECT_EQ(Logged("connected to PostgreSQL"), 1);
}

TEST_F(PostgresCollectorTest, RestartBetweenCollectionsIsNotAFailure) {
  auto collector = NewCollector(Source(std::chrono::seconds(3)));
  ASSERT_TRUE(CollectOnce(*collector, std::chrono::seconds(3)).ok);
  server_->Stop();
  server_->Start();
  // The kept session died with the old server; the collection opens a new one and succeeds.
  const CollectResult result = CollectOnce(*collector, std::chrono::seconds(3));
  EXPECT_TRUE(result.ok) << result.error_message;
  EXPECT_EQ(Value(result, "pg_up"), 1);
  EXPECT_EQ(Logged("connected to PostgreSQL"), 2);
}

TEST_F(PostgresCollectorTest, DownServerFailsWithConnectAndKeepsPgUp) {
  auto collector = NewCollector(Source(std::chrono::seconds(2)));
  server_->Stop();
  const CollectResult result = CollectOnce(*collector, std::chrono::seconds(2));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_reason, "connect");
  EXPECT_EQ(Value(result, "pg_up"), 0);
  EXPECT_EQ(Find(result, "pg_stat_activity_count"), nullptr);
  EXPECT_EQ(result.error_message.find(server_->password()), std::string::npos);
  server_->Start();
  EXPECT_TRUE(CollectOnce(*collector, std::chrono::seconds(2)).ok);
}

TEST_F(PostgresCollectorTest, HungServerFailsWithTimeoutOnBothPaths) {
  auto collector = NewCollector(Source(std::chrono::seconds(1)));
  ASSERT_TRUE(CollectOnce(*collector, std::chrono::seconds(1)).ok);
  server_->Signal(SIGSTOP);
  // With a session open: the query never gets an answer; the watchdog ends it.
  CollectResult result = CollectOnce(*collector, std::chrono::seconds(1));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_reason, "timeout") << result.error_message;
  EXPECT_EQ(Value(result, "pg_up"), 0);
  // Without one: the server never answers the startup packet; connect_timeout ends it.
  result = CollectOnce(*collector, std::chrono::seconds(1));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_reason, "timeout") << result.error_message;
  server_->Signal(SIGCONT);
  result = CollectOnce(*collector, std::chrono::seconds(2));
  EXPECT_TRUE(result.ok) << result.error_message;
}

// dsn_file is read on every collection: a rotated secret takes effect without a restart.
TEST_F(PostgresCollectorTest, RotatedDsnFileIsPickedUp) {
  testing::TempDir dir;
  const std::string file = dir.File("dsn");
  testing::WriteFile(file, "host=127.0.0.1 port=" + std::to_string(server_->port()) +
                               " user=codebot dbname=codebot sslmode=disable password=Stale" +
                               server_->password() + "\n");
  auto source = Source(std::chrono::seconds(2));
  source.dsn.inline_value.clear();
  source.dsn.file = file;
  auto collector = NewCollector(source);
  CollectResult result = CollectOnce(*collector, std::chrono::seconds(2));
  EXPECT_EQ(result.error_reason, "auth") << result.error_message;
  testing::WriteFile(file, server_->KeyValueDsn() + "\n");
  result = CollectOnce(*collector, std::chrono::seconds(2));
  EXPECT_TRUE(result.ok) << result.error_message;
  EXPECT_EQ(Value(result, "pg_up"), 1);
  std::remove(file.c_str());
  result = CollectOnce(*collector, std::chrono::seconds(2));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_reason, "other");
  EXPECT_NE(result.error_message.find("cannot read the DSN"), std::string::npos);
}

TEST_F(PostgresCollectorTest, WrongPasswordIsAuthAndNeverShown) {
  auto source = Source(std::chrono::seconds(2));
  const std::string wrong = "NotThe" + server_->password();
  source.dsn.inline_value = "postgresql://codebot:" + wrong +
                            "@127.0.0.1:" + std::to_string(server_->port()) +
                            "/codebot?sslmode=disable";
  auto collector = NewCollector(source);
  const CollectResult result = CollectOnce(*collector, std::chrono::seconds(2));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_reason, "auth") << result.error_message;
  EXPECT_NE(result.error_message.find("password authentication failed"), std::string::npos);
  EXPECT_EQ(result.error_message.find(wrong), std::string::npos);
  // The collector registered the password itself: the sanitiser hides it even alone.
  EXPECT_EQ(sanitize::Redact("x " + wrong + " y"), "x <redacted> y");
}

}  // namespace
}  // namespace codebot::collect::postgres
