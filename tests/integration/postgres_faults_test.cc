// The PostgreSQL source when the server goes away or hangs, through the real binary: pg_up 0 with
// a bounded reason, /metrics answering all along, and recovery without a restart of the sidecar.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "tests/support/exporter.h"
#include "tests/support/postgres_server.h"

namespace codebot::testing {
namespace {

double Errors(const Scrape& scrape, const std::string& reason) {
  return scrape
      .Value("codebot_exporter_source_scrape_errors_total",
             {{"source", "postgres"}, {"reason", reason}})
      .value_or(-1);
}

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

class PostgresFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CODEBOT_REQUIRE_PROGRAM(PostgresServer::Available(), "PostgreSQL (initdb, postgres, psql)");
    server_ = std::make_unique<PostgresServer>();
  }

  void StartExporter(const std::string& interval, const std::string& timeout) {
    exporter_.Start("sources:\n  postgres:\n    dsn: ${CODEBOT_TEST_PG_DSN}\n    interval: " +
                        interval + "\n    timeout: " + timeout + "\n",
                    {}, {"CODEBOT_TEST_PG_DSN=" + server_->KeyValueDsn()});
    ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) { return s.Value("pg_up") == 1.0; }))
        << exporter_.Logs();
  }

  std::unique_ptr<PostgresServer> server_;
  Exporter exporter_;  // declared after the server: stopped first
};

TEST_F(PostgresFaultsTest, StoppedServerIsDownAndARestartedOneIsUpAgain) {
  StartExporter("1s", "1s");
  server_->Stop();
  // Within an interval or two (one collection may have been under way with the old session).
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) { return s.Value("pg_up") == 0.0; },
                                      std::chrono::seconds(5)))
      << exporter_.Logs();
  Scrape down = exporter_.ScrapeMetrics();
  EXPECT_GE(Errors(down, "connect"), 1) << down.text;
  EXPECT_EQ(down.Value("codebot_exporter_source_up", {{"source", "postgres"}}), 0.0);
  // Only pg_up stays: the other series vanish, as a failed target's do in Prometheus.
  EXPECT_FALSE(down.Value("pg_settings_max_connections").has_value());

  server_->Start();
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) { return s.Value("pg_up") == 1.0; }))
      << exporter_.Logs();
  const Scrape up = exporter_.ScrapeMetrics();
  EXPECT_TRUE(up.Value("pg_settings_max_connections").has_value());
  // A new session was opened for the new server.
  EXPECT_EQ(Count(exporter_.Logs(), "connected to PostgreSQL"), 2) << exporter_.Logs();
}

TEST_F(PostgresFaultsTest, HungServerTimesOutWhileMetricsKeepAnswering) {
  // A timeout well above the client timeout of the scrapes below: a /metrics that waited on the
  // collection would miss them.
  StartExporter("3s", "2s");
  const double timeouts_before = Errors(exporter_.ScrapeMetrics(), "timeout");
  EXPECT_EQ(timeouts_before, 0);

  server_->Signal(SIGSTOP);
  // Scrapes while collections are stuck on the stopped server (the one under way, then a
  // reconnect that waits for a startup reply that never comes).
  for (int i = 0; i < 20; ++i) {
    const auto response = HttpGet(exporter_.Url("/metrics"), 1000);
    ASSERT_TRUE(response.transport_ok()) << "scrape " << i << ": " << response.error_message;
    EXPECT_EQ(response.status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("pg_up") == 0.0 && Errors(s, "timeout") >= 1;
  })) << exporter_.Logs();
  const Scrape hung = exporter_.ScrapeMetrics();
  EXPECT_EQ(Errors(hung, "connect"), 0) << hung.text;
  EXPECT_NE(exporter_.Logs().find("\"reason\":\"timeout\""), std::string::npos);

  server_->Signal(SIGCONT);
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) { return s.Value("pg_up") == 1.0; }))
      << exporter_.Logs();
  EXPECT_NE(exporter_.Logs().find("source recovered"), std::string::npos);
  EXPECT_EQ(exporter_.Logs().find(server_->password()), std::string::npos);
}

}  // namespace
}  // namespace codebot::testing
