#include "exporter/http/url.h"

#include <gtest/gtest.h>

namespace codebot::http {
namespace {

TEST(HostPort, KeepsAGivenPort) {
  EXPECT_EQ(HostPort("http://127.0.0.1:8080/metrics"), "127.0.0.1:8080");
  EXPECT_EQ(HostPort("https://api.github.example:8443"), "api.github.example:8443");
}

TEST(HostPort, AddsTheSchemesDefaultPort) {
  EXPECT_EQ(HostPort("https://api.github.com"), "api.github.com:443");
  EXPECT_EQ(HostPort("http://bot/metrics?x=1"), "bot:80");
  EXPECT_EQ(HostPort("http://bot#frag"), "bot:80");
}

TEST(HostPort, DropsUserInfoSoNoPasswordReachesALabel) {
  EXPECT_EQ(HostPort("https://user:s3cret@bot.internal/metrics"), "bot.internal:443");
  EXPECT_EQ(HostPort("http://user:p@ss:w@rd@bot:9000/"), "bot:9000");
}

TEST(HostPort, ReadsIpv6Literals) {
  EXPECT_EQ(HostPort("http://[::1]/metrics"), "[::1]:80");
  EXPECT_EQ(HostPort("https://[2001:db8::1]:9443/x"), "[2001:db8::1]:9443");
}

TEST(HostPort, LeavesTextWithoutASchemeAlone) { EXPECT_EQ(HostPort("bot:9000"), "bot:9000"); }

}  // namespace
}  // namespace codebot::http
