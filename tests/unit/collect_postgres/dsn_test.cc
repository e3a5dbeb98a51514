#include "exporter/collect/postgres/dsn.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace codebot::collect::postgres {
namespace {

// PGHOST/PGPORT change the instance of a DSN without host or port; tests set them explicitly.
class DsnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("PGHOST");
    unsetenv("PGPORT");
  }
  void TearDown() override {
    unsetenv("PGHOST");
    unsetenv("PGPORT");
  }
};

TEST_F(DsnTest, UriGivesHostPortAndDecodedPassword) {
  const DsnInfo info =
      ParseDsn("postgresql://bot:p%40ss%3Aw0rd@db.internal:6432/codebot?sslmode=require");
  ASSERT_TRUE(info.ok);
  EXPECT_TRUE(info.is_uri);
  EXPECT_EQ(info.host, "db.internal");
  EXPECT_EQ(info.port, "6432");
  EXPECT_EQ(info.password, "p@ss:w0rd");
  EXPECT_EQ(InstanceOf(info), "db.internal:6432");
}

TEST_F(DsnTest, ShortSchemeIPv6AndDefaultPort) {
  const DsnInfo info = ParseDsn("postgres://bot@[::1]/codebot");
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(info.host, "::1");
  EXPECT_EQ(info.password, "");
  EXPECT_EQ(InstanceOf(info), "[::1]:5432");
}

TEST_F(DsnTest, UriQueryParametersOverrideTheAuthority) {
  const DsnInfo info = ParseDsn(
      "postgresql://bot:one@ignored:1/db?host=%2Fvar%2Frun%2Fpostgresql&port=5433"
      "&password=two");
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(info.host, "/var/run/postgresql");
  EXPECT_EQ(info.port, "5433");
  EXPECT_EQ(info.password, "two");
}

TEST_F(DsnTest, UriWithSeveralHostsNamesTheFirst) {
  const DsnInfo info = ParseDsn("postgresql://bot:pw@primary:5433,replica:5434/db");
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(InstanceOf(info), "primary:5433");
}

TEST_F(DsnTest, KeyValueWithQuotesAndEscapes) {
  const DsnInfo info =
      ParseDsn("host = db.internal  port=5433 user=bot password='it\\'s a \\\\secret' dbname=x");
  ASSERT_TRUE(info.ok);
  EXPECT_FALSE(info.is_uri);
  EXPECT_EQ(info.host, "db.internal");
  EXPECT_EQ(info.port, "5433");
  EXPECT_EQ(info.password, "it's a \\secret");
  EXPECT_EQ(InstanceOf(info), "db.internal:5433");
}

TEST_F(DsnTest, KeyValueLastValueWinsAsInLibpq) {
  const DsnInfo info = ParseDsn("host=a port=1 host=b password=x password=y");
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(info.host, "b");
  EXPECT_EQ(info.password, "y");
}

TEST_F(DsnTest, HostaddrWhenNoHost) {
  const DsnInfo info = ParseDsn("hostaddr=10.1.2.3 port=5000");
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(InstanceOf(info), "10.1.2.3:5000");
}

TEST_F(DsnTest, EnvironmentDefaultsLikeLibpq) {
  const DsnInfo info = ParseDsn("dbname=codebot user=bot");
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(InstanceOf(info), "localhost:5432");
  setenv("PGHOST", "pg.example", 1);
  setenv("PGPORT", "6000", 1);
  EXPECT_EQ(InstanceOf(info), "pg.example:6000");
}

TEST_F(DsnTest, MalformedInputIsRejected) {
  EXPECT_FALSE(ParseDsn("host=a password='unterminated").ok);
  EXPECT_FALSE(ParseDsn("just-a-word").ok);
  EXPECT_FALSE(ParseDsn("postgresql://bot:bad%zzpercent@h/db").ok);
  EXPECT_FALSE(ParseDsn("postgresql://h/db?novalue").ok);
  EXPECT_FALSE(ParseDsn("postgresql://[::1/db").ok);
}

TEST_F(DsnTest, InstanceNeverHoldsThePassword) {
  for (const char* dsn : {"postgresql://bot:S3cretPass@h:1/db", "host=h port=1 password=S3cretPass",
                          "postgresql://bot:S3cretPass@/db"}) {
    const DsnInfo info = ParseDsn(dsn);
    ASSERT_TRUE(info.ok) << dsn;
    EXPECT_EQ(info.password, "S3cretPass");
    EXPECT_EQ(InstanceOf(info).find("S3cret"), std::string::npos) << dsn;
  }
}

TEST_F(DsnTest, WithParametersAppendsToBothForms) {
  EXPECT_EQ(WithParameters("postgresql://h/db", true, {{"connect_timeout", "2"}}),
            "postgresql://h/db?connect_timeout=2");
  EXPECT_EQ(WithParameters("postgresql://h/db?sslmode=disable", true,
                           {{"connect_timeout", "2"}, {"fallback_application_name", "a b"}}),
            "postgresql://h/db?sslmode=disable&connect_timeout=2&fallback_application_name=a%20b");
  EXPECT_EQ(WithParameters("host=h", false, {{"connect_timeout", "2"}, {"x", "it's"}}),
            "host=h connect_timeout='2' x='it\\'s'");
  // What was appended reads back as the last, winning value.
  const std::string kv = WithParameters("host=h port=1", false, {{"port", "7"}});
  EXPECT_EQ(ParseDsn(kv).port, "7");
  const std::string uri = WithParameters("postgresql://h:1/db", true, {{"port", "7"}});
  EXPECT_EQ(ParseDsn(uri).port, "7");
}

}  // namespace
}  // namespace codebot::collect::postgres
