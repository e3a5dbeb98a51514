// The sidecar as an operator meets it: command line, config errors, endpoints, reload, auth,
// and a real Prometheus scraping it.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>

#include "tests/support/exporter.h"
#include "tests/support/fake_http.h"
#include "tests/support/prometheus_server.h"

namespace codebot::testing {
namespace {

const Labels kBot = {{"source", "bot"}};

// A well-formed exposition in the shape Python's prometheus_client writes for the bot.
constexpr const char* kBotMetrics = R"(# HELP codebot_messages_total Telegram messages handled.
# TYPE codebot_messages_total counter
codebot_messages_total{command="start"} 17.0
codebot_messages_total{command="sync"} 4.0
# HELP codebot_sync_duration_seconds Repository sync duration.
# TYPE codebot_sync_duration_seconds histogram
codebot_sync_duration_seconds_bucket{le="0.5"} 1.0
codebot_sync_duration_seconds_bucket{le="5.0"} 3.0
codebot_sync_duration_seconds_bucket{le="+Inf"} 4.0
codebot_sync_duration_seconds_count 4.0
codebot_sync_duration_seconds_sum 9.25
# HELP codebot_active_users Users active in the last hour.
# TYPE codebot_active_users gauge
codebot_active_users 12.0
)";

struct CommandRun {
  int code;
  std::string output;
};

CommandRun RunExporter(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ExporterBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandRun run;
  run.code = RunCommand(argv, &run.output, "", std::chrono::seconds(20));
  return run;
}

TEST(Cli, VersionAndHelp) {
  CommandRun version = RunExporter({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.output.find("codebot-exporter, version "), std::string::npos);
  CommandRun bad_flag = RunExporter({"--web.listen-adress=:1"});
  EXPECT_EQ(bad_flag.code, 2);
  EXPECT_NE(bad_flag.output.find("unknown flag --web.listen-adress"), std::string::npos);
  CommandRun bad_level = RunExporter({"--log.level=loud"});
  EXPECT_EQ(bad_level.code, 2);
  EXPECT_NE(bad_level.output.find("--log.level must be debug, info, warn or error"),
            std::string::npos);
  CommandRun bad_delay = RunExporter({"--rules.alert.resend-delay=0s"});
  EXPECT_EQ(bad_delay.code, 2);
  EXPECT_NE(bad_delay.output.find("--rules.alert.resend-delay must be a positive duration"),
            std::string::npos);
}

TEST(Cli, CheckConfigAcceptsTheShippedExample) {
  CommandRun run = RunExporter({"check", "config", SourceDir() + "/examples/codebot-exporter.yml"});
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("SUCCESS: 1 rule files found"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("rules/alerts.yml"), std::string::npos) << run.output;
}

// Like promtool check config, the rule files a config names are checked too.
TEST(Cli, CheckConfigChecksTheRuleFilesItNames) {
  TempDir dir;
  WriteFile(dir.File("c.yml"), "rule_files: [broken.yml]\n");
  WriteFile(dir.File("broken.yml"),
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n");
  CommandRun run = RunExporter({"check", "config", dir.File("c.yml")});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_NE(run.output.find(dir.File("broken.yml") + ":5:"), std::string::npos) << run.output;
}

struct BadStart {
  const char* name;
  const char* yaml;
  const char* message;  // expected after "<file>:"
};

class MalformedConfig : public ::testing::TestWithParam<BadStart> {};

// Each malformed config stops the sidecar at start with exit code 1 and a message naming the
// file, line and column and what was expected; `check config` says the same.
TEST_P(MalformedConfig, ExitsWithPreciseError) {
  const BadStart& c = GetParam();
  TempDir dir;
  const std::string path = dir.File("bad.yml");
  WriteFile(path, c.yaml);
  CommandRun run = RunExporter(
      {"--config.file=" + path, "--web.listen-address=127.0.0.1:" + std::to_string(FreePort())});
  EXPECT_EQ(run.code, 1) << run.output;
  const std::string expected = path + ":" + c.message;
  EXPECT_NE(run.output.find("error: invalid configuration: " + expected), std::string::npos)
      << "got: " << run.output << "\nwanted: " << expected;
  CommandRun check = RunExporter({"check", "config", path});
  EXPECT_EQ(check.code, 1);
  EXPECT_NE(check.output.find(expected), std::string::npos) << check.output;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedConfig,
    ::testing::Values(
        BadStart{"typo", "sources:\n  bot:\n    url: http://127.0.0.1:1/metrics\n    tiemout: 5s\n",
                 "4:5: unknown key \"tiemout\" in sources.bot; expected one of: url, format, "
                 "interval, timeout"},
        BadStart{"duration", "global:\n  scrape_interval: 1.5m\n",
                 "2:20: invalid duration \"1.5m\": expected a number and a unit (ms, s, m, h, d, "
                 "w, y), e.g. 15s or 1m30s"},
        BadStart{"missing_url", "sources:\n  bot:\n    format: json\n",
                 "3:5: missing required key \"url\" in sources.bot"},
        BadStart{"yaml_syntax", "sources:\n  bot:\n    url: [http://x\n",
                 "4:1: invalid YAML: end of sequence flow not found"},
        BadStart{"unset_env", "sources:\n  bot:\n    url: ${CODEBOT_NOT_SET_ANYWHERE}\n",
                 "3:10: environment variable CODEBOT_NOT_SET_ANYWHERE is not set"},
        BadStart{"timeout",
                 "sources:\n  bot:\n    url: http://x/m\n    interval: 5s\n"
                 "    timeout: 6s\n",
                 "5:14: timeout 6s is longer than interval 5s in sources.bot"},
        BadStart{"type",
                 "sources:\n  bot:\n    url: http://x/m\n    format: json\n"
                 "    json_mappings:\n      - {path: a, name: b, type: histogram}\n",
                 "6:34: invalid type \"histogram\": expected gauge or counter"}),
    [](const ::testing::TestParamInfo<BadStart>& param_info) { return param_info.param.name; });

TEST(Cli, MissingConfigFile) {
  CommandRun run = RunExporter({"--config.file=/nonexistent/codebot.yml"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.output.find("/nonexistent/codebot.yml:1:1: cannot open file"), std::string::npos)
      << run.output;
}

TEST(Cli, PortInUse) {
  FakeHttp squatter;
  squatter.Start();
  TempDir dir;
  WriteFile(dir.File("c.yml"), "");
  CommandRun run =
      RunExporter({"--config.file=" + dir.File("c.yml"),
                   "--web.listen-address=127.0.0.1:" + std::to_string(squatter.port())});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.output.find("cannot listen on 127.0.0.1:"), std::string::npos) << run.output;
}

class Endpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    bot_.Handle("/metrics", [this](const http::Request&) {
      if (hang_) bot_.SleepUnlessStopping(std::chrono::seconds(10));
      return http::Response::Text(200, kBotMetrics);
    });
    bot_.Handle("/other", [](const http::Request&) {
      return http::Response::Text(200,
                                  "# HELP other_value x\n# TYPE other_value gauge\n"
                                  "other_value 99\n");
    });
    bot_.Start();
  }

  std::string Config(const std::string& path, const std::string& extra = "",
                     const std::string& interval = "1s", const std::string& timeout = "900ms") {
    return extra + "sources:\n  bot:\n    url: " + bot_.Url(path) + "\n    interval: " + interval +
           "\n    timeout: " + timeout + "\n";
  }

  std::atomic<bool> hang_{false};
  FakeHttp bot_;
  Exporter exporter_;
};

TEST_F(Endpoints, ProbesAndLandingPage) {
  hang_ = true;
  // A timeout long enough that the first collection still hangs when the probes are asked, even
  // in a slow sanitizer build.
  exporter_.Start(Config("/metrics", "", "5s", "4s"));
  // The first collection hangs until its timeout: alive, but not ready and not started.
  EXPECT_EQ(HttpGet(exporter_.Url("/-/healthy")).status, 200);
  EXPECT_EQ(HttpGet(exporter_.Url("/health/live")).status, 200);
  auto not_ready = HttpGet(exporter_.Url("/-/ready"));
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(HttpGet(exporter_.Url("/health/startup")).status, 503);
  EXPECT_TRUE(WaitFor([&] { return HttpGet(exporter_.Url("/health/ready")).status == 200; }));
  EXPECT_EQ(HttpGet(exporter_.Url("/-/ready")).status, 200);
  EXPECT_EQ(HttpGet(exporter_.Url("/health/startup")).status, 200);
  hang_ = false;
  auto landing = HttpGet(exporter_.Url("/"));
  EXPECT_EQ(landing.status, 200);
  for (const char* link : {"metrics", "-/healthy", "-/ready", "health/live", "health/ready",
                           "health/startup", "/-/reload"}) {
    EXPECT_NE(landing.body.find(link), std::string::npos) << link;
  }
  auto missing = HttpGet(exporter_.Url("/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("not found"), std::string::npos);
  auto get_reload = HttpGet(exporter_.Url("/-/reload"));
  EXPECT_EQ(get_reload.status, 405);
  auto metrics = HttpGet(exporter_.Url("/metrics"));
  EXPECT_EQ(metrics.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
}

TEST_F(Endpoints, BadReloadKeepsTheRunningConfig) {
  exporter_.Start(Config("/metrics"));
  ASSERT_TRUE(exporter_.WaitForScrape(
      [](const Scrape& s) { return s.Value("codebot_active_users") == 12.0; }));
  // SIGHUP with a broken file: the old config keeps running, the failure is visible.
  WriteFile(exporter_.config_path(), "sources:\n  bot:\n    url: http://x\n    intervall: 1s\n");
  exporter_.process().Signal(SIGHUP);
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_config_last_reload_successful") == 0.0;
  }));
  EXPECT_NE(exporter_.Logs().find("unknown key \\\"intervall\\\""), std::string::npos);
  const size_t before = bot_.RequestCount();
  EXPECT_TRUE(WaitFor([&] { return bot_.RequestCount() > before + 1; }))
      << "the old source must keep collecting";
  EXPECT_EQ(exporter_.ScrapeMetrics().Value("codebot_active_users"), 12.0);
  // POST /-/reload with the broken file says why, with 500.
  auto failed = HttpPost(exporter_.Url("/-/reload"), "");
  EXPECT_EQ(failed.status, 500);
  EXPECT_NE(failed.body.find("config.yml:4:5: unknown key"), std::string::npos) << failed.body;
  // A good file switches the bot endpoint.
  WriteFile(exporter_.config_path(), Config("/other"));
  auto ok = HttpPost(exporter_.Url("/-/reload"), "");
  EXPECT_EQ(ok.status, 200) << ok.body;
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("other_value") == 99.0 && !s.Value("codebot_active_users").has_value();
  }));
  EXPECT_EQ(exporter_.ScrapeMetrics().Value("codebot_exporter_config_last_reload_successful"), 1.0);
  EXPECT_TRUE(exporter_.process().Running());
}

TEST_F(Endpoints, ReloadRequiresAuthWhenConfigured) {
  TempDir secrets;
  WriteFile(secrets.File("admin-token"), "admin-token-value-1234\n");
  exporter_.Start(
      Config("/metrics", "web:\n  bearer_token_file: " + secrets.File("admin-token") + "\n"));
  auto anonymous = HttpPost(exporter_.Url("/-/reload"), "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Header("WWW-Authenticate"), "Bearer");
  auto wrong = HttpPost(exporter_.Url("/-/reload"), "", "application/json", 5000,
                        {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(wrong.status, 401);
  auto right = HttpPost(exporter_.Url("/-/reload"), "", "application/json", 5000,
                        {{"Authorization", "Bearer admin-token-value-1234"}});
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_EQ(exporter_.Logs().find("admin-token-value-1234"), std::string::npos);
  // /metrics and the probes stay open: Prometheus and the kubelet don't authenticate.
  EXPECT_EQ(HttpGet(exporter_.Url("/metrics")).status, 200);
}

TEST_F(Endpoints, OversizedBodiesAreRejected) {
  exporter_.Start(Config("/metrics", "web:\n  max_request_body_bytes: 1KiB\n"));
  auto big = HttpPost(exporter_.Url("/-/reload"), std::string(4096, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.body.find("larger than 1024 bytes"), std::string::npos);
}

// A real Prometheus 2.42 scrapes the sidecar: the target is up, relayed values arrive as the
// bot wrote them, and promtool finds nothing to complain about in /metrics.
TEST_F(Endpoints, RealPrometheusScrapesTheSidecar) {
  ASSERT_TRUE(PrometheusServer::Available()) << "prometheus is not installed";
  exporter_.Start(Config("/metrics"));
  ASSERT_TRUE(exporter_.WaitForScrape(
      [](const Scrape& s) { return s.Value("codebot_active_users") == 12.0; }));

  PrometheusServer prometheus;
  std::string error;
  ASSERT_TRUE(
      prometheus.Start("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                       "scrape_configs:\n  - job_name: codebot-exporter\n"
                       "    static_configs:\n      - targets: ['127.0.0.1:" +
                           std::to_string(exporter_.port()) + "']\n",
                       &error))
      << error;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto targets = prometheus.Get("/api/v1/targets");
        if (!targets.is_object()) return false;
        for (const auto& target : targets["data"]["activeTargets"]) {
          if (target.value("health", "") == "up") return true;
        }
        return false;
      },
      std::chrono::seconds(30)))
      << prometheus.Logs();
  auto result = prometheus.Query("codebot_messages_total{command=\"start\"}");
  ASSERT_EQ(result["status"], "success") << result.dump();
  ASSERT_EQ(result["data"]["result"].size(), 1u) << result.dump();
  EXPECT_EQ(result["data"]["result"][0]["value"][1], "17");
  auto bucket = prometheus.Query("codebot_sync_duration_seconds_bucket{le=\"5.0\"}");
  ASSERT_EQ(bucket["data"]["result"].size(), 1u) << bucket.dump();
  EXPECT_EQ(bucket["data"]["result"][0]["value"][1], "3");
  auto up = prometheus.Query("codebot_exporter_source_up{source=\"bot\"}");
  ASSERT_EQ(up["data"]["result"].size(), 1u);
  EXPECT_EQ(up["data"]["result"][0]["value"][1], "1");

  TempDir dir;
  WriteFile(dir.File("metrics.txt"), HttpGet(exporter_.Url("/metrics")).body);
  std::string lint;
  const int code =
      RunCommand({"sh", "-c", "promtool check metrics < " + dir.File("metrics.txt")}, &lint);
  EXPECT_EQ(code, 0) << lint;
  EXPECT_EQ(lint, "") << "promtool check metrics must print nothing for /metrics";
}

}  // namespace
}  // namespace codebot::testing
