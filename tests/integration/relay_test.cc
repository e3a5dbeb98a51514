// The bot relay through the real binary: what the bot says comes out of /metrics unchanged, and
// every way the bot can misbehave leaves the sidecar up, /metrics answering, up at 0 and the
// right reason counted.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "exporter/expfmt/parser.h"
#include "tests/support/exporter.h"
#include "tests/support/fake_http.h"

namespace codebot::testing {
namespace {

const Labels kBot = {{"source", "bot"}};

std::string Tricky() { return ReadFile(SourceDir() + "/tests/data/tricky_exposition.prom"); }

std::string BotConfig(const std::string& url, const std::string& extra = "") {
  return "sources:\n  bot:\n    url: " + url + "\n    interval: 1s\n    timeout: 500ms\n" + extra;
}

double ErrorCount(const Scrape& scrape, const std::string& reason) {
  return scrape
      .Value("codebot_exporter_source_scrape_errors_total", {{"source", "bot"}, {"reason", reason}})
      .value_or(-1);
}

class Relay : public ::testing::Test {
 public:
  enum class Mode { kOk, kHang, kError500, kGarbage, kHuge };

 protected:
  void SetUp() override {
    tricky_ = std::make_shared<const std::string>(Tricky());
    // Built before the sidecar starts: allocating 100 MB inside the handler takes longer than the
    // scrape timeout under the sanitizers, which would turn "too_large" into "timeout".
    static const auto huge = std::make_shared<const std::string>(100u << 20, 'x');
    bot_.Handle("/metrics", [this](const http::Request&) {
      switch (mode_.load()) {
        case Mode::kOk: {
          http::Response response;
          response.content_type = "text/plain; version=0.0.4";
          response.shared_parts.push_back(tricky_);
          return response;
        }
        case Mode::kHang:
          bot_.SleepUnlessStopping(std::chrono::seconds(10));
          return http::Response::Text(200, "late 1\n");
        case Mode::kError500:
          return http::Response::Text(500, "internal server error\n");
        case Mode::kGarbage:
          return http::Response::Text(200, "<html><body>502 Bad Gateway</body></html>\n");
        case Mode::kHuge: {
          http::Response response;
          response.shared_parts.push_back(huge);
          return response;
        }
      }
      return http::Response::Text(500, "");
    });
    bot_.Start();
  }

  void ExpectFault(Mode fault, const std::string& reason);

  std::atomic<Mode> mode_{Mode::kOk};
  std::shared_ptr<const std::string> tricky_;
  FakeHttp bot_;
  Exporter exporter_;
};

// Lines of the fixture that are samples, counted without the parser under test.
size_t SampleLines(const std::string& text) {
  size_t count = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line[0] != '#') ++count;
    start = end + 1;
  }
  return count;
}

// Every sample of the tricky exposition comes back with the same name, labels, value and
// timestamp, and each family keeps its HELP and TYPE.
TEST_F(Relay, RelaysEverySampleUnchanged) {
  exporter_.Start(BotConfig(bot_.Url("/metrics")));
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_source_up", kBot) == 1.0;
  })) << exporter_.Logs();
  const Scrape scrape = exporter_.ScrapeMetrics();
  ASSERT_TRUE(scrape.ok);
  const auto expected = expfmt::Parse(*tricky_);
  ASSERT_TRUE(expected.ok);
  size_t compared = 0;
  for (const auto& family : expected.families) {
    const Family* got = scrape.FindFamily(family.name);
    ASSERT_NE(got, nullptr) << family.name << " missing from /metrics";
    EXPECT_EQ(got->help, family.help) << family.name;
    EXPECT_EQ(got->has_help, family.has_help) << family.name;
    EXPECT_EQ(got->type, family.type) << family.name;
    EXPECT_EQ(got->has_type, family.has_type) << family.name;
    ASSERT_EQ(got->samples.size(), family.samples.size()) << family.name;
    for (size_t i = 0; i < family.samples.size(); ++i) {
      const Sample& want = family.samples[i];
      const Sample& have = got->samples[i];
      EXPECT_EQ(have.name, want.name);
      EXPECT_EQ(have.labels, want.labels) << want.name;
      EXPECT_EQ(have.timestamp_ms, want.timestamp_ms) << want.name;
      if (std::isnan(want.value)) {
        EXPECT_TRUE(std::isnan(have.value)) << want.name;
      } else {
        EXPECT_EQ(have.value, want.value) << want.name;
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, SampleLines(*tricky_));
  EXPECT_EQ(scrape.Value("codebot_exporter_source_samples", kBot),
            static_cast<double>(SampleLines(*tricky_)));
  // The endpoint was asked for the text format.
  const auto requests = bot_.Requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_NE(requests[0].Header("Accept").find("text/plain"), std::string_view::npos);
}

TEST_F(Relay, SampleCountMatchesTheFixture) {
  exporter_.Start(BotConfig(bot_.Url("/metrics")));
  ASSERT_TRUE(exporter_.WaitForScrape(
      [](const Scrape& s) { return s.Value("codebot_exporter_source_up", kBot) == 1.0; }));
  EXPECT_EQ(exporter_.ScrapeMetrics().Value("codebot_exporter_source_samples", kBot),
            static_cast<double>(SampleLines(*tricky_)));
}

// Starts healthy, then the bot misbehaves: up turns 0, the reason is counted, the relayed series
// disappear, the sidecar keeps answering; when the bot heals, everything comes back.
void Relay::ExpectFault(Mode fault, const std::string& reason) {
  Exporter& exporter = exporter_;
  std::atomic<Mode>& mode = mode_;
  ASSERT_TRUE(exporter.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_source_up", kBot) == 1.0 &&
           s.FindFamily("codebot_requests_total") != nullptr;
  })) << exporter.Logs();
  mode = fault;
  ASSERT_TRUE(exporter.WaitForScrape([&](const Scrape& s) {
    return s.Value("codebot_exporter_source_up", kBot) == 0.0 && ErrorCount(s, reason) >= 1;
  })) << exporter.Logs();
  const Scrape failed = exporter.ScrapeMetrics();
  ASSERT_TRUE(failed.ok) << "/metrics must stay valid while the bot fails";
  EXPECT_EQ(failed.FindFamily("codebot_requests_total"), nullptr)
      << "relayed series must disappear on a failed scrape, as for a failed target";
  EXPECT_EQ(failed.FindFamily("codebot_request_duration_seconds"), nullptr);
  for (const char* other : {"timeout", "connect", "http_status", "too_large", "parse"}) {
    if (other != reason) {
      EXPECT_EQ(ErrorCount(failed, other), 0.0) << other;
    }
  }
  EXPECT_TRUE(exporter.process().Running());
  EXPECT_NE(exporter.Logs().find("\"reason\":\"" + reason + "\""), std::string::npos);
  mode = Mode::kOk;
  EXPECT_TRUE(exporter.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_source_up", kBot) == 1.0 &&
           s.FindFamily("codebot_requests_total") != nullptr;
  })) << exporter.Logs();
}

TEST_F(Relay, HungBotIsATimeoutAndMetricsStillAnswer) {
  exporter_.Start(BotConfig(bot_.Url("/metrics")));
  ASSERT_TRUE(exporter_.WaitForScrape(
      [](const Scrape& s) { return s.Value("codebot_exporter_source_up", kBot) == 1.0; }));
  mode_ = Mode::kHang;
  // While the bot hangs (10 s per request), /metrics keeps answering: the scrape only reads
  // cached results. The client gives up well before the hang would end.
  for (int i = 0; i < 5; ++i) {
    auto response = HttpGet(exporter_.Url("/metrics"), 3000);
    ASSERT_TRUE(response.transport_ok()) << response.error_message;
    EXPECT_EQ(response.status, 200);
  }
  mode_ = Mode::kOk;
  ExpectFault(Mode::kHang, "timeout");
}

TEST_F(Relay, ServerErrorIsCountedAsHttpStatus) {
  exporter_.Start(BotConfig(bot_.Url("/metrics")));
  ExpectFault(Mode::kError500, "http_status");
}

TEST_F(Relay, GarbageIsAParseError) {
  exporter_.Start(BotConfig(bot_.Url("/metrics")));
  ExpectFault(Mode::kGarbage, "parse");
  EXPECT_NE(exporter_.Logs().find("line 1: invalid metric name"), std::string::npos);
}

TEST_F(Relay, HundredMegabyteBodyIsTooLarge) {
  exporter_.Start(BotConfig(bot_.Url("/metrics"), "    max_body_bytes: 1MiB\n"));
  ExpectFault(Mode::kHuge, "too_large");
}

TEST_F(Relay, HundredMegabyteBodyIsRejectedByTheDefaultLimitToo) {
  exporter_.Start(BotConfig(bot_.Url("/metrics")));
  ExpectFault(Mode::kHuge, "too_large");
}

TEST_F(Relay, RefusedConnectionIsAConnectError) {
  const int closed_port = FreePort();
  exporter_.Start(BotConfig("http://127.0.0.1:" + std::to_string(closed_port) + "/metrics"));
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_source_up", kBot) == 0.0 && ErrorCount(s, "connect") >= 1;
  })) << exporter_.Logs();
  auto ready = HttpGet(exporter_.Url("/-/ready"));
  EXPECT_EQ(ready.status, 200) << "a failing bot must not make the sidecar unready";
}

TEST_F(Relay, JsonEndpointIsMappedToMetrics) {
  FakeHttp json_bot;
  json_bot.Handle("/stats", [](const http::Request&) {
    return http::Response::Json(200,
                                R"({"handlers": {"start": {"errors": 2}, "sync": {"errors": 5}},
                 "queue": {"depth": 11}})");
  });
  json_bot.Start();
  exporter_.Start(BotConfig(json_bot.Url("/stats"), R"(    format: json
    json_mappings:
      - path: handlers.*.errors
        name: codebot_handler_errors_total
        type: counter
        help: Errors per handler.
        labels: [handler]
      - path: queue.depth
        name: codebot_queue_depth
)"));
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_handler_errors_total", {{"handler", "sync"}}).has_value();
  })) << exporter_.Logs();
  const Scrape scrape = exporter_.ScrapeMetrics();
  EXPECT_EQ(scrape.Value("codebot_handler_errors_total", {{"handler", "start"}}), 2.0);
  EXPECT_EQ(scrape.Value("codebot_handler_errors_total", {{"handler", "sync"}}), 5.0);
  EXPECT_EQ(scrape.Value("codebot_queue_depth"), 11.0);
  const Family* errors = scrape.FindFamily("codebot_handler_errors_total");
  ASSERT_NE(errors, nullptr);
  EXPECT_EQ(errors->type, MetricType::kCounter);
  EXPECT_EQ(errors->help, "Errors per handler.");
  EXPECT_NE(json_bot.Requests().at(0).Header("Accept").find("application/json"),
            std::string_view::npos);
}

// Families named like the sidecar's own are left out rather than producing an invalid
// exposition with two process_cpu_seconds_total.
TEST_F(Relay, CollidingFamiliesAreLeftOutAndCounted) {
  FakeHttp python_bot;
  python_bot.Handle("/metrics", [](const http::Request&) {
    return http::Response::Text(200,
                                "# HELP process_cpu_seconds_total CPU.\n"
                                "# TYPE process_cpu_seconds_total counter\n"
                                "process_cpu_seconds_total 12.5\n"
                                "# HELP bot_ok A value.\n# TYPE bot_ok gauge\nbot_ok 1\n");
  });
  python_bot.Start();
  exporter_.Start(BotConfig(python_bot.Url("/metrics")));
  ASSERT_TRUE(
      exporter_.WaitForScrape([](const Scrape& s) { return s.Value("bot_ok").has_value(); }));
  const Scrape scrape = exporter_.ScrapeMetrics();
  ASSERT_TRUE(scrape.ok);
  EXPECT_EQ(scrape.Samples("process_cpu_seconds_total").size(), 1u);
  EXPECT_NE(scrape.Value("process_cpu_seconds_total"), 12.5);
  EXPECT_EQ(scrape.Value("codebot_exporter_exposition_dropped_families", kBot), 1.0);
}

}  // namespace
}  // namespace codebot::testing
