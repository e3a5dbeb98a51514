// alerting.alertmanagers in Prometheus' syntax: what loads, what each field becomes, and every
// mistake failing at its file:line:col with what was expected.
#include "exporter/config/alerting.h"

#include <gtest/gtest.h>

#include <string>

#include "exporter/config/config.h"
#include "exporter/config/yaml.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::config {
namespace {

std::string ErrorOf(const std::string& yaml) {
  try {
    LoadString(yaml, "test.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Alerting, AbsentIsDisabled) {
  const Config config = LoadString("global: {evaluation_interval: 5s}\n", "c.yml");
  EXPECT_FALSE(config.alerting.Enabled());
  EXPECT_FALSE(LoadString("alerting: {}\n", "c.yml").alerting.Enabled());
}

TEST(Alerting, PrometheusShapeWithDefaults) {
  const Config config = LoadString(R"(
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["am-0.am:9093", "am-1.am:9093"]
        - targets: ["[::1]:9093"]
    - scheme: https
      path_prefix: /alertmanager/
      api_version: v2
      timeout: 3s
      authorization: {credentials: s3cret-token-for-am}
      static_configs: [{targets: ["am.example:443"]}]
)",
                                   "c.yml");
  ASSERT_TRUE(config.alerting.Enabled());
  ASSERT_EQ(config.alerting.alertmanagers.size(), 2u);
  const AlertmanagerSet& first = config.alerting.alertmanagers[0];
  EXPECT_EQ(first.targets,
            (std::vector<std::string>{"am-0.am:9093", "am-1.am:9093", "[::1]:9093"}));
  EXPECT_EQ(first.scheme, "http");
  EXPECT_EQ(first.timeout, std::chrono::seconds(10));
  EXPECT_EQ(first.AlertsUrl("am-0.am:9093"), "http://am-0.am:9093/api/v2/alerts");
  EXPECT_TRUE(first.authorization_type.empty());
  const AlertmanagerSet& second = config.alerting.alertmanagers[1];
  EXPECT_EQ(second.timeout, std::chrono::seconds(3));
  EXPECT_EQ(second.authorization_type, "Bearer");
  EXPECT_EQ(second.authorization_credentials.inline_value, "s3cret-token-for-am");
  EXPECT_EQ(second.AlertsUrl("am.example:443"),
            "https://am.example:443/alertmanager/api/v2/alerts");
}

TEST(Alerting, SecretFilesAreResolvedAgainstTheConfigFolder) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("am-password"), "pw-from-file\n");
  testing::WriteFile(dir.File("config.yml"), R"(
alerting:
  alertmanagers:
    - basic_auth: {username: sidecar, password_file: am-password}
      static_configs: [{targets: ["127.0.0.1:9093"]}]
)");
  const Config config = LoadFile(dir.File("config.yml"));
  const AlertmanagerSet& set = config.alerting.alertmanagers.at(0);
  EXPECT_EQ(set.basic_auth_username, "sidecar");
  EXPECT_EQ(set.basic_auth_password.file, dir.File("am-password"));
  std::string error;
  EXPECT_EQ(set.basic_auth_password.Resolve(&error), "pw-from-file");
}

struct BadCase {
  std::string name;
  std::string yaml;
  std::string error;  // the whole message after "test.yml:"
};

class BadAlerting : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadAlerting, FailsWithPositionAndReason) {
  EXPECT_EQ(ErrorOf(GetParam().yaml), "test.yml:" + GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadAlerting,
    ::testing::Values(
        BadCase{"timeout",
                "alerting:\n  alertmanagers:\n    - timeout: 10\n"
                "      static_configs: [{targets: ['a:9093']}]\n",
                "3:16: invalid duration \"10\": expected a number and a unit (ms, s, m, h, d, w, "
                "y), e.g. 15s or 1m30s"},
        BadCase{"zero_timeout",
                "alerting:\n  alertmanagers:\n    - timeout: 0s\n"
                "      static_configs: [{targets: ['a:9093']}]\n",
                "3:16: timeout must be positive in alerting.alertmanagers[0]"},
        BadCase{"api_v1",
                "alerting:\n  alertmanagers:\n    - api_version: v1\n"
                "      static_configs: [{targets: ['a:9093']}]\n",
                "3:20: unsupported api_version \"v1\" in alerting.alertmanagers[0]: expected v2 "
                "(Alertmanager's API v1 is gone since 0.27)"},
        BadCase{
            "scheme",
            "alerting:\n  alertmanagers:\n    - scheme: ftp\n"
            "      static_configs: [{targets: ['a:9093']}]\n",
            "3:15: invalid scheme \"ftp\" in alerting.alertmanagers[0]: expected http or https"},
        BadCase{"target_with_scheme",
                "alerting:\n  alertmanagers:\n    - static_configs:\n"
                "        - targets: ['http://a:9093']\n",
                "4:21: invalid target \"http://a:9093\" in "
                "alerting.alertmanagers[0].static_configs[0]: expected host:port without a "
                "scheme (set scheme: https for TLS)"},
        BadCase{"target_without_port",
                "alerting:\n  alertmanagers:\n    - static_configs: [{targets: [am]}]\n",
                "3:35: invalid target \"am\" in alerting.alertmanagers[0].static_configs[0]: "
                "expected host:port"},
        BadCase{"target_bad_port",
                "alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['am:99999']}]\n",
                "3:35: invalid target \"am:99999\" in alerting.alertmanagers[0].static_configs[0]: "
                "the port must be a number from 1 to 65535"},
        BadCase{"no_targets", "alerting:\n  alertmanagers:\n    - timeout: 5s\n",
                "3:7: alerting.alertmanagers[0] needs static_configs with at least one target "
                "(host:port)"},
        BadCase{"typo",
                "alerting:\n  alertmanagers:\n    - static_config: [{targets: ['a:9093']}]\n",
                "3:7: unknown key \"static_config\" in alerting.alertmanagers[0]; expected one of: "
                "static_configs, scheme, path_prefix, api_version, timeout, basic_auth, "
                "authorization"},
        BadCase{"both_auths",
                "alerting:\n  alertmanagers:\n    - basic_auth: {username: u, password: p}\n"
                "      authorization: {credentials: t}\n"
                "      static_configs: [{targets: ['a:9093']}]\n",
                "4:22: set either basic_auth or authorization in alerting.alertmanagers[0], not "
                "both"},
        BadCase{"basic_without_password",
                "alerting:\n  alertmanagers:\n    - basic_auth: {username: u}\n"
                "      static_configs: [{targets: ['a:9093']}]\n",
                "3:19: alerting.alertmanagers[0].basic_auth needs password or password_file"},
        BadCase{"authorization_basic",
                "alerting:\n  alertmanagers:\n    - authorization: {type: Basic, credentials: x}\n"
                "      static_configs: [{targets: ['a:9093']}]\n",
                "3:29: authorization type Basic is not allowed in alerting.alertmanagers[0]"
                ".authorization: use basic_auth"},
        BadCase{"not_a_list", "alerting:\n  alertmanagers: {static_configs: []}\n",
                "2:18: expected a list, found a mapping"}),
    [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace codebot::config
