// /metrics with Accept-Encoding: gzip through the real binary: the headers on the wire, a body
// that decompresses to what a plain scrape returns, and a real Prometheus (which always asks for
// gzip) reading every relayed series from it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter/http/gzip.h"
#include "tests/support/exporter.h"
#include "tests/support/fake_http.h"
#include "tests/support/prometheus_server.h"

namespace codebot::testing {
namespace {

constexpr int kSeries = 3000;

std::string BotText() {
  std::string text =
      "# HELP codebot_gzip_series A relayed series.\n# TYPE codebot_gzip_series gauge\n";
  for (int i = 0; i < kSeries; ++i) {
    text += "codebot_gzip_series{shard=\"" + std::to_string(i % 7) + "\",i=\"" + std::to_string(i) +
            "\"} " + std::to_string(i * 3) + "\n";
  }
  return text;
}

struct RawResponse {
  std::string head;  // status line and headers
  std::string body;
};

// One request on a fresh connection, read until the server closes it: the bytes as sent, with
// no client library decoding anything.
RawResponse RawGet(int port, const std::string& path, const std::string& extra_headers) {
  RawResponse response;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return response;
  }
  const std::string request = "GET " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                              extra_headers + "\r\n";
  (void)send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string all;
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t end = all.find("\r\n\r\n");
  if (end == std::string::npos) return response;
  response.head = all.substr(0, end + 2);
  response.body = all.substr(end + 4);
  return response;
}

bool HasHeader(const std::string& head, const std::string& line) {
  return head.find("\r\n" + line + "\r\n") != std::string::npos;
}

// The relayed part of an exposition: from the bot's first family to the end. The sidecar's own
// metrics before it change from one scrape to the next; this part only with the bot.
std::string RelayedPart(const std::string& text) {
  const size_t start = text.find("# HELP codebot_gzip_series");
  return start == std::string::npos ? std::string() : text.substr(start);
}

class MetricsGzip : public ::testing::Test {
 protected:
  void SetUp() override {
    bot_text_ = std::make_shared<const std::string>(BotText());
    bot_.Handle("/metrics", [this](const http::Request&) {
      http::Response response;
      response.content_type = "text/plain; version=0.0.4";
      response.shared_parts.push_back(bot_text_);
      return response;
    });
    bot_.Start();
    exporter_.Start("sources:\n  bot:\n    url: " + bot_.Url("/metrics") +
                    "\n    interval: 1s\n    timeout: 900ms\n");
    ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& scrape) {
      return scrape.Samples("codebot_gzip_series").size() == static_cast<size_t>(kSeries);
    })) << exporter_.Logs();
  }

  std::shared_ptr<const std::string> bot_text_;
  FakeHttp bot_;
  Exporter exporter_;
};

TEST_F(MetricsGzip, GzipBodyDecompressesToThePlainExposition) {
  const RawResponse plain = RawGet(exporter_.port(), "/metrics", "");
  const RawResponse gzip = RawGet(exporter_.port(), "/metrics", "Accept-Encoding: gzip\r\n");
  ASSERT_TRUE(HasHeader(plain.head, "Vary: Accept-Encoding")) << plain.head;
  EXPECT_EQ(plain.head.find("Content-Encoding"), std::string::npos) << plain.head;
  ASSERT_TRUE(HasHeader(gzip.head, "Content-Encoding: gzip")) << gzip.head;
  EXPECT_TRUE(HasHeader(gzip.head, "Vary: Accept-Encoding")) << gzip.head;
  EXPECT_TRUE(HasHeader(gzip.head, "Content-Length: " + std::to_string(gzip.body.size())))
      << gzip.head;

  const auto decoded = http::Gunzip(gzip.body);
  ASSERT_TRUE(decoded.has_value()) << "not valid gzip";
  // The relayed part byte for byte, and the same families, in the same order, before it.
  ASSERT_FALSE(RelayedPart(plain.body).empty());
  EXPECT_EQ(RelayedPart(*decoded), RelayedPart(plain.body));
  const Scrape plain_scrape = ParseScrape(plain.body);
  const Scrape gzip_scrape = ParseScrape(*decoded);
  ASSERT_TRUE(gzip_scrape.ok);
  ASSERT_EQ(gzip_scrape.families.size(), plain_scrape.families.size());
  for (size_t i = 0; i < plain_scrape.families.size(); ++i) {
    EXPECT_EQ(gzip_scrape.families[i].name, plain_scrape.families[i].name);
  }
  // Prometheus text compresses well (the ratio on realistic series is in bench/metrics_load.sh);
  // a body not much smaller would mean it was not compressed.
  EXPECT_LT(gzip.body.size() * 4, plain.body.size());
}

TEST_F(MetricsGzip, ClientsThatRefuseGzipGetPlainText) {
  for (const std::string header :
       {"Accept-Encoding: identity\r\n", "Accept-Encoding: gzip;q=0, identity\r\n", ""}) {
    const RawResponse response = RawGet(exporter_.port(), "/metrics", header);
    EXPECT_EQ(response.head.find("Content-Encoding"), std::string::npos) << header;
    EXPECT_FALSE(RelayedPart(response.body).empty()) << header;
  }
}

TEST_F(MetricsGzip, RealPrometheusScrapesTheGzipBody) {
  CODEBOT_REQUIRE_PROGRAM(PrometheusServer::Available(), "prometheus");
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
        auto result = prometheus.Query("count(codebot_gzip_series)");
        return result.value("status", "") == "success" && !result["data"]["result"].empty() &&
               result["data"]["result"][0]["value"][1] == std::to_string(kSeries);
      },
      std::chrono::seconds(30)))
      << prometheus.Logs();
  auto sum = prometheus.Query("sum(codebot_gzip_series)");
  ASSERT_EQ(sum["data"]["result"].size(), 1u) << sum.dump();
  EXPECT_EQ(sum["data"]["result"][0]["value"][1], std::to_string(3 * kSeries * (kSeries - 1) / 2));
  // The sidecar's own part (the first gzip member) made it through as well.
  auto own = prometheus.Query("codebot_exporter_http_connections_open");
  ASSERT_EQ(own["data"]["result"].size(), 1u) << own.dump();
  auto up = prometheus.Query("up{job=\"codebot-exporter\"}");
  ASSERT_EQ(up["data"]["result"].size(), 1u) << up.dump();
  EXPECT_EQ(up["data"]["result"][0]["value"][1], "1");
}

}  // namespace
}  // namespace codebot::testing
