#include <gtest/gtest.h>

#include "exporter/collect/postgres/postgres.h"
#include "exporter/core/sanitize.h"

namespace codebot::collect::postgres::detail {
namespace {

// Messages as libpq 15 prints them.
TEST(ErrorsTest, ConnectErrorReasons) {
  EXPECT_EQ(ConnectErrorReason("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  "
                               "password authentication failed for user \"codebot\"\n"),
            "auth");
  EXPECT_EQ(
      ConnectErrorReason("connection to server at \"10.0.0.1\", port 5432 failed: FATAL:  no "
                         "pg_hba.conf entry for host \"10.0.0.2\", user \"x\", database \"y\""),
      "auth");
  EXPECT_EQ(ConnectErrorReason("FATAL:  role \"nobody\" does not exist"), "auth");
  EXPECT_EQ(ConnectErrorReason("fe_sendauth: no password supplied\n"), "auth");
  EXPECT_EQ(ConnectErrorReason("connection to server at \"127.0.0.1\", port 5432 failed: timeout "
                               "expired\n"),
            "timeout");
  EXPECT_EQ(
      ConnectErrorReason("connection to server at \"127.0.0.1\", port 5432 failed: Connection "
                         "refused\n\tIs the server running on that host and accepting TCP/IP "
                         "connections?\n"),
      "connect");
  EXPECT_EQ(ConnectErrorReason("FATAL:  the database system is shutting down"), "connect");
  EXPECT_EQ(ConnectErrorReason("FATAL:  database \"gone\" does not exist"), "connect");
}

TEST(ErrorsTest, SqlStateReasons) {
  EXPECT_EQ(SqlStateReason("57014"), "timeout");  // statement_timeout
  EXPECT_EQ(SqlStateReason("55P03"), "timeout");  // lock_timeout
  EXPECT_EQ(SqlStateReason("57P01"), "connect");  // admin shutdown
  EXPECT_EQ(SqlStateReason("08006"), "connect");
  EXPECT_EQ(SqlStateReason("42P01"), "query");  // undefined table
  EXPECT_EQ(SqlStateReason("42501"), "query");  // permission denied
  EXPECT_EQ(SqlStateReason(""), "query");
}

TEST(ErrorsTest, CleanMessageIsOneSanitisedLine) {
  sanitize::ClearSecretsForTesting();
  sanitize::RegisterSecret("Registered-Pass-123");
  const std::string clean = CleanMessage(
      "connection to server failed: FATAL:  x\n\tIs the server running?\n"
      "dsn was host=h password=plain-text-pass and Registered-Pass-123\n");
  EXPECT_EQ(clean.find('\n'), std::string::npos);
  EXPECT_EQ(clean.find('\t'), std::string::npos);
  EXPECT_EQ(clean.find("plain-text-pass"), std::string::npos);
  EXPECT_EQ(clean.find("Registered-Pass-123"), std::string::npos);
  EXPECT_NE(clean.find("FATAL: x Is the server running?"), std::string::npos);
  sanitize::ClearSecretsForTesting();
}

}  // namespace
}  // namespace codebot::collect::postgres::detail
