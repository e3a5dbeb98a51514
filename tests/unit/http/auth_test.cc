// Bearer and basic auth of the protected endpoints: the right secret passes, anything else gets
// 401 with a challenge, a rotated secret takes effect on the next request, and the comparison
// doesn't stop at the first wrong byte.
#include "exporter/http/auth.h"

#include <gtest/gtest.h>

#include <vector>

namespace codebot::http {
namespace {

Credentials Bearer(std::string token) {
  Credentials c;
  c.bearer_token = [token] { return std::optional<std::string>(token); };
  return c;
}

Credentials Basic(std::string user, std::string password) {
  Credentials c;
  c.basic_username = std::move(user);
  c.basic_password = [password] { return std::optional<std::string>(password); };
  return c;
}

TEST(Base64, RoundTripsAndRejectsMalformed) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("admin:s3cr\xc3\xa9t"), "YWRtaW46czNjcsOpdA==");
  for (const std::string& text :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(text)), text);
  }
  for (const char* bad : {"Zg=", "Z===", "Zg==Zg==", "Zm9v!", "=Zm9", "Zm=v"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(SecureEquals, ComparesEveryByte) {
  EXPECT_TRUE(SecureEquals("token", "token"));
  EXPECT_FALSE(SecureEquals("token", "tokem"));
  EXPECT_FALSE(SecureEquals("token", "token2"));
  EXPECT_FALSE(SecureEquals("", "x"));
  EXPECT_TRUE(SecureEquals("", ""));
}

TEST(Authorized, BearerToken) {
  const Credentials c = Bearer("s3cret");
  EXPECT_TRUE(Authorized(c, "Bearer s3cret"));
  EXPECT_TRUE(Authorized(c, "bearer s3cret"));  // the scheme is case-insensitive
  EXPECT_FALSE(Authorized(c, "Bearer s3cre"));
  EXPECT_FALSE(Authorized(c, "Bearer s3cret2"));
  EXPECT_FALSE(Authorized(c, ""));
  EXPECT_FALSE(Authorized(c, "Basic czNjcmV0"));
  EXPECT_FALSE(Authorized(c, "Bearers3cret"));
}

TEST(Authorized, BasicAuth) {
  const Credentials c = Basic("admin", "pa:ss");
  EXPECT_TRUE(Authorized(c, "Basic " + Base64Encode("admin:pa:ss")));
  EXPECT_FALSE(Authorized(c, "Basic " + Base64Encode("admin:pa:s")));
  EXPECT_FALSE(Authorized(c, "Basic " + Base64Encode("root:pa:ss")));
  EXPECT_FALSE(Authorized(c, "Basic " + Base64Encode("admin")));
  EXPECT_FALSE(Authorized(c, "Basic not-base64!"));
  EXPECT_FALSE(Authorized(c, "Bearer pa:ss"));
}

TEST(Authorized, EitherMethodWhenBothAreSetAndNothingWhenASecretIsUnreadable) {
  Credentials c = Basic("admin", "pw");
  c.bearer_token = [] { return std::optional<std::string>("tok"); };
  EXPECT_TRUE(Authorized(c, "Bearer tok"));
  EXPECT_TRUE(Authorized(c, "Basic " + Base64Encode("admin:pw")));
  c.bearer_token = [] { return std::optional<std::string>(); };
  c.basic_password = [] { return std::optional<std::string>(); };
  EXPECT_FALSE(Authorized(c, "Bearer tok"));
  EXPECT_FALSE(Authorized(c, "Basic " + Base64Encode("admin:pw")));
  EXPECT_FALSE(Authorized(c, "Basic " + Base64Encode("admin:")));
}

TEST(RequireAuth, ChallengesAndPicksUpRotatedSecrets) {
  std::string current = "one";
  auto handler = RequireAuth(
      [&] {
        Credentials c;
        c.bearer_token = [&] { return std::optional<std::string>(current); };
        return c;
      },
      [](const Request&) { return Response::Text(200, "ok"); });
  Request request;
  request.headers = {{"Authorization", "Bearer one"}};
  EXPECT_EQ(handler(request).status, 200);
  current = "two";
  const Response denied = handler(request);
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(FindHeader(denied.headers, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(denied.body.find("one"), std::string::npos);
  request.headers = {{"Authorization", "Bearer two"}};
  EXPECT_EQ(handler(request).status, 200);

  auto open = RequireAuth([] { return Credentials{}; },
                          [](const Request&) { return Response::Text(200, "ok"); });
  EXPECT_EQ(open(Request{}).status, 200) << "no credentials configured: open";
}

}  // namespace
}  // namespace codebot::http
