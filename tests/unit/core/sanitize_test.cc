#include "exporter/core/sanitize.h"

#include <gtest/gtest.h>

#include "exporter/core/log.h"

namespace codebot::sanitize {
namespace {

class SanitizeTest : public ::testing::Test {
 protected:
  void TearDown() override { ClearSecretsForTesting(); }
};

TEST_F(SanitizeTest, RegisteredSecretsAreReplacedEverywhere) {
  RegisterSecret("s3cr3t-value");
  EXPECT_EQ(Redact("token=s3cr3t-value and again s3cr3t-value"),
            "token=<redacted> and again <redacted>");
}

TEST_F(SanitizeTest, ShortValuesAreNotRegistered) {
  RegisterSecret("abc");
  EXPECT_EQ(Redact("abc abc"), "abc abc");
}

TEST_F(SanitizeTest, GitHubTokensByShape) {
  const std::string token = "ghp_" + std::string(36, 'A');
  EXPECT_EQ(Redact("auth failed for " + token + "."), "auth failed for <redacted>.");
  EXPECT_EQ(Redact("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"), "<redacted>");
  EXPECT_EQ(Redact("ghp_short"), "ghp_short");  // too short to be a token
}

TEST_F(SanitizeTest, TelegramBotTokensByShape) {
  EXPECT_EQ(Redact("POST /bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_/sendMessage"),
            "POST /bot<redacted>/sendMessage");
  EXPECT_EQ(Redact("at 12:30:45"), "at 12:30:45");
}

TEST_F(SanitizeTest, UrlAndDsnPasswords) {
  EXPECT_EQ(Redact("postgresql://bot:hunter2@db:5432/codebot"),
            "postgresql://bot:<redacted>@db:5432/codebot");
  EXPECT_EQ(Redact("host=db user=bot password=hunter2 dbname=x"),
            "host=db user=bot password=<redacted> dbname=x");
  EXPECT_EQ(Redact("password = 'two words'"), "password = <redacted>");
  EXPECT_EQ(Redact("http://example.com/path?q=1"), "http://example.com/path?q=1");
}

TEST_F(SanitizeTest, AuthorizationValues) {
  EXPECT_EQ(Redact("Authorization: Bearer abc.def.ghi"), "Authorization: Bearer <redacted>");
  EXPECT_EQ(Redact("Authorization: token abcdef"), "Authorization: token <redacted>");
}

TEST_F(SanitizeTest, LogLinesNeverCarryRegisteredSecrets) {
  RegisterSecret("pa55w0rd-xyz");
  std::vector<std::string> lines;
  log::SetCaptureForTesting([&](std::string_view line) { lines.emplace_back(line); });
  log::Error("connect failed: pa55w0rd-xyz rejected", {{"dsn", "user=a password=pa55w0rd-xyz"}});
  log::SetCaptureForTesting(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find("pa55w0rd-xyz"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("<redacted>"), std::string::npos);
}

TEST_F(SanitizeTest, CredentialPairsInQueriesTextsAndJson) {
  EXPECT_EQ(Redact("GET /hook?token=abc123&x=1"), "GET /hook?token=<redacted>&x=1");
  EXPECT_EQ(Redact("https://api.example/v1?api_key=K3y-99"),
            "https://api.example/v1?api_key=<redacted>");
  EXPECT_EQ(Redact("access_token = xyz, next"), "access_token = <redacted>, next");
  EXPECT_EQ(Redact(R"({"routing_key":"0123456789abcdef0123456789abcdef","event_action":"x"})"),
            R"({"routing_key":"<redacted>","event_action":"x"})");
  EXPECT_EQ(Redact(R"({"client_secret": "s3"})"), R"({"client_secret": "<redacted>"})");
  // Words that merely contain a key, or a key without a value, stay.
  EXPECT_EQ(Redact("tokens_used=5 secrets are kept"), "tokens_used=5 secrets are kept");
  // Prose keeps its words; a credential-shaped value after "token"/"Bearer" is still hidden.
  EXPECT_EQ(Redact("a throttled token slows every sync"), "a throttled token slows every sync");
  EXPECT_EQ(Redact("token bucket refill"), "token bucket refill");
  EXPECT_EQ(Redact("curl -H 'token 0123456789abcdef0123456789abcdef01234567'"),
            "curl -H 'token <redacted>'");
  EXPECT_EQ(Redact("sent Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig to it"),
            "sent Bearer <redacted> to it");
}

TEST_F(SanitizeTest, EmailAddresses) {
  EXPECT_EQ(Redact("paged alice.smith+oncall@example.co.uk at 3am"), "paged <redacted> at 3am");
  EXPECT_EQ(Redact("contact: ops@codebot.dev."), "contact: <redacted>.");
  // Not addresses: a PromQL @ modifier, a version, a URL's user (handled as userinfo).
  EXPECT_EQ(Redact("up @ 1609746000"), "up @ 1609746000");
  EXPECT_EQ(Redact("pkg@1.2.3"), "pkg@1.2.3");
  EXPECT_EQ(Redact("https://user@host.example/x"), "https://user@host.example/x");
}

}  // namespace
}  // namespace codebot::sanitize
