#include "exporter/config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "exporter/config/yaml.h"
#include "exporter/core/sanitize.h"
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

TEST(Config, EmptyConfigIsValidAndHasDefaults) {
  Config config = LoadString("", "c.yml");
  EXPECT_FALSE(config.sources.bot);
  EXPECT_EQ(config.global.scrape_interval, std::chrono::seconds(15));
}

TEST(Config, FullBotSource) {
  Config config = LoadString(R"(
global:
  scrape_interval: 30s
  external_labels: {cluster: prod, app: codebot}
sources:
  bot:
    url: http://127.0.0.1:8000/metrics
    interval: 1m30s
    timeout: 5s
    max_body_bytes: 10MiB
    job: codebot
)",
                             "c.yml");
  ASSERT_TRUE(config.sources.bot);
  EXPECT_EQ(config.sources.bot->interval, std::chrono::seconds(90));
  EXPECT_EQ(config.sources.bot->timeout, std::chrono::seconds(5));
  EXPECT_EQ(config.sources.bot->max_body_bytes, 10u << 20);
  EXPECT_EQ(config.sources.bot->job, "codebot");
  ASSERT_EQ(config.global.external_labels.size(), 2u);
  EXPECT_EQ(config.global.external_labels[0].name, "app");  // sorted
}

TEST(Config, SourceDefaultsComeFromGlobal) {
  Config config = LoadString(R"(
global: {scrape_interval: 20s, scrape_timeout: 7s}
sources: {bot: {url: "http://x/metrics"}}
)",
                             "c.yml");
  EXPECT_EQ(config.sources.bot->interval, std::chrono::seconds(20));
  EXPECT_EQ(config.sources.bot->timeout, std::chrono::seconds(7));
}

TEST(Config, JsonMappings) {
  Config config = LoadString(R"(
sources:
  bot:
    url: http://127.0.0.1:8000/stats
    format: json
    json_mappings:
      - path: handlers.*.errors
        name: codebot_handler_errors_total
        type: counter
        labels: [handler]
        const_labels: {env: prod}
)",
                             "c.yml");
  ASSERT_EQ(config.sources.bot->json_mappings.size(), 1u);
  const auto& mapping = config.sources.bot->json_mappings[0];
  EXPECT_EQ(mapping.type, MetricType::kCounter);
  EXPECT_EQ(mapping.wildcard_labels, std::vector<std::string>{"handler"});
  EXPECT_EQ(LabelValue(mapping.const_labels, "env"), "prod");
}

TEST(Config, EnvironmentExpansionAndSecretsFromFiles) {
  setenv("CODEBOT_TEST_URL", "http://127.0.0.1:9/metrics", 1);
  setenv("CODEBOT_TEST_TOKEN", "tok-from-env-123", 1);
  testing::TempDir dir;
  testing::WriteFile(dir.File("token"), "tok-from-file-456\n");
  Config config = LoadString(R"(
web:
  bearer_token_file: token
sources:
  bot:
    url: ${CODEBOT_TEST_URL}
    bearer_token: ${CODEBOT_TEST_TOKEN}
  github:
    accounts:
      - name: main
        token_file: token
)",
                             dir.File("config.yml"));
  EXPECT_EQ(config.sources.bot->url, "http://127.0.0.1:9/metrics");
  std::string error;
  EXPECT_EQ(config.sources.bot->bearer_token.Resolve(&error), "tok-from-env-123");
  EXPECT_EQ(config.sources.github->accounts[0].token.Resolve(&error), "tok-from-file-456");
  EXPECT_EQ(config.web.bearer_token.file, dir.File("token"));
  // Loading registered both secrets with the sanitiser.
  EXPECT_EQ(sanitize::Redact("a tok-from-env-123 b tok-from-file-456"),
            "a <redacted> b <redacted>");
  // A rotated file is read again on use.
  testing::WriteFile(dir.File("token"), "rotated-token-789");
  EXPECT_EQ(config.sources.github->accounts[0].token.Resolve(&error), "rotated-token-789");
}

struct BadConfig {
  const char* name;
  const char* yaml;
  const char* expected;  // the exact "file:line:col: message" prefix or a distinctive part
};

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, NameFileLineColumnAndWhatWasExpected) {
  const BadConfig& c = GetParam();
  const std::string error = ErrorOf(c.yaml);
  EXPECT_NE(error.find(c.expected), std::string::npos)
      << "config: " << c.name << "\nerror:    " << error << "\nexpected: " << c.expected;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrors,
    ::testing::Values(
        BadConfig{"typo_in_key", "sources:\n  bot:\n    url: http://x/m\n    intervl: 15s\n",
                  "test.yml:4:5: unknown key \"intervl\" in sources.bot; expected one of: url, "
                  "format, interval"},
        BadConfig{"bad_duration", "sources:\n  bot:\n    url: http://x/m\n    interval: 15 s\n",
                  "test.yml:4:15: invalid duration \"15 s\": expected a number and a unit"},
        BadConfig{"missing_url", "sources:\n  bot:\n    interval: 15s\n",
                  "test.yml:3:5: missing required key \"url\" in sources.bot"},
        BadConfig{"bad_format", "sources:\n  bot:\n    url: http://x/m\n    format: xml\n",
                  "test.yml:4:13: invalid format \"xml\": expected prometheus or json"},
        BadConfig{"timeout_over_interval",
                  "sources:\n  bot:\n    url: http://x/m\n    interval: 5s\n    timeout: 10s\n",
                  "test.yml:5:14: timeout 10s is longer than interval 5s in sources.bot"},
        BadConfig{"unset_env", "sources:\n  bot:\n    url: ${CODEBOT_SURELY_UNSET_VAR}\n",
                  "test.yml:3:10: environment variable CODEBOT_SURELY_UNSET_VAR is not set"},
        BadConfig{"bad_yaml", "sources:\n  bot: [\n", "test.yml:3:1: invalid YAML"},
        BadConfig{"not_a_url", "sources:\n  bot:\n    url: localhost:8000\n",
                  "test.yml:3:10: invalid URL \"localhost:8000\": expected an http:// or https://"},
        BadConfig{"unknown_source", "sources:\n  redis: {}\n",
                  "test.yml:2:3: unknown key \"redis\" in sources"},
        BadConfig{"wildcard_without_label",
                  "sources:\n  bot:\n    url: http://x/m\n    format: json\n    json_mappings:\n"
                  "      - path: handlers.*.errors\n        name: errs\n",
                  "test.yml:6:15: path \"handlers.*.errors\" has 1 wildcard(s)"},
        BadConfig{"bad_metric_name",
                  "sources:\n  bot:\n    url: http://x/m\n    format: json\n    json_mappings:\n"
                  "      - path: a\n        name: 1abc\n",
                  "test.yml:7:15: invalid metric name \"1abc\""},
        BadConfig{"both_secret_forms",
                  "sources:\n  github:\n    accounts:\n      - name: a\n        token: x1234\n"
                  "        token_file: /nonexistent\n",
                  "test.yml:6:21: set either token or token_file"},
        BadConfig{"missing_secret_file",
                  "sources:\n  github:\n    accounts:\n      - name: a\n"
                  "        token_file: /nonexistent/token\n",
                  "test.yml:5:21: cannot read /nonexistent/token"},
        BadConfig{"duplicate_key", "global: {}\nglobal: {}\n", "test.yml:2:1: duplicate key"},
        BadConfig{"wrong_kind", "sources: [bot]\n",
                  "test.yml:1:10: expected a mapping for sources, found a sequence"},
        BadConfig{"bad_size", "sources:\n  bot:\n    url: http://x/m\n    max_body_bytes: 10XB\n",
                  "test.yml:4:21: invalid size \"10XB\""},
        BadConfig{"json_without_mappings",
                  "sources:\n  bot:\n    url: http://x/m\n    format: json\n",
                  "needs at least one entry under json_mappings"}),
    [](const ::testing::TestParamInfo<BadConfig>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace codebot::config
