// Slow and abusive clients against the real binary: while 256 connections send nothing, half a
// request head, or a body one byte a second, /metrics and the probes keep answering; those
// connections are closed at their deadline and counted; connections per client address are
// bounded. How fast everything answers meanwhile is measured in bench/slow_clients.sh.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/support/exporter.h"

namespace codebot::testing {
namespace {

enum class Kind { kNothing, kHalfHead, kSlowBody };

struct SlowConnection {
  int fd = -1;
  Kind kind = Kind::kNothing;
  bool closed = false;
};

// A connection from the given loopback address; -1 when it cannot be opened.
int Connect(int port, const std::string& from) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void Send(int fd, const std::string& data) {
  (void)send(fd, data.data(), data.size(), MSG_NOSIGNAL);
}

// Waits until the server has closed every connection (EOF or reset), reading what it sends.
// Gives up after `limit`, far beyond the deadlines: the caller's assertion then fails.
size_t WaitAllClosed(std::vector<SlowConnection>& connections, std::chrono::seconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  size_t closed = 0;
  while (std::chrono::steady_clock::now() < give_up) {
    std::vector<pollfd> fds;
    std::vector<SlowConnection*> owners;
    for (auto& c : connections) {
      if (c.closed) continue;
      fds.push_back({c.fd, POLLIN, 0});
      owners.push_back(&c);
    }
    if (fds.empty()) break;
    if (poll(fds.data(), fds.size(), 200) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      char buf[4096];
      if (recv(fds[i].fd, buf, sizeof buf, MSG_DONTWAIT) <= 0) owners[i]->closed = true;
    }
  }
  for (const auto& c : connections) closed += c.closed ? 1 : 0;
  return closed;
}

class SlowClients : public ::testing::Test {
 protected:
  void SetUp() override { exporter_.Start(""); }
  void TearDown() override {
    stop_ = true;
    if (dripper_.joinable()) dripper_.join();
    for (auto& c : connections_) close(c.fd);
  }

  // n connections spread over `addresses` loopback addresses from 127.0.0.2 on.
  void OpenSlow(int n, int addresses) {
    for (int i = 0; i < n; ++i) {
      SlowConnection c;
      c.kind = static_cast<Kind>(i % 3);
      c.fd = Connect(exporter_.port(), "127.0.0." + std::to_string(2 + i % addresses));
      ASSERT_GE(c.fd, 0) << "connection " << i;
      if (c.kind == Kind::kHalfHead) Send(c.fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Wait:");
      if (c.kind == Kind::kSlowBody) {
        Send(c.fd, "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
      }
      connections_.push_back(c);
    }
    // One more byte a second on every connection that sends something.
    dripper_ = std::thread([this] {
      while (!stop_) {
        for (auto& c : connections_) {
          if (c.kind != Kind::kNothing) Send(c.fd, "x");
        }
        for (int i = 0; i < 10 && !stop_; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  }

  double Rejected(const Scrape& scrape, const std::string& reason) const {
    return scrape.Value("codebot_exporter_http_connections_rejected_total", {{"reason", reason}})
        .value_or(-1);
  }

  Exporter exporter_;
  std::vector<SlowConnection> connections_;
  std::atomic<bool> stop_{false};
  std::thread dripper_;
};

TEST_F(SlowClients, MetricsAndProbesAnswerWhile256ConnectionsHang) {
  OpenSlow(256, 8);
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& scrape) {
    return scrape.Value("codebot_exporter_http_connections_open").value_or(0) >= 256;
  })) << "the slow connections were not all accepted";
  for (int round = 0; round < 3; ++round) {
    for (const std::string path :
         {"/metrics", "/-/healthy", "/-/ready", "/health/live", "/health/ready"}) {
      const auto response = HttpGet(exporter_.Url(path), 5000);
      EXPECT_EQ(response.status, 200) << path << " round " << round;
    }
  }
  const Scrape during = exporter_.ScrapeMetrics();
  ASSERT_TRUE(during.ok);
  EXPECT_GE(during.Value("codebot_exporter_http_connections_open").value_or(0), 256);

  // Every slow connection is closed by the server: heads at their deadline, the dripping bodies
  // at the request's. The limit here is only how long the test waits before failing.
  EXPECT_EQ(WaitAllClosed(connections_, std::chrono::seconds(60)), connections_.size());
  const Scrape after = exporter_.ScrapeMetrics();
  ASSERT_TRUE(after.ok);
  EXPECT_GE(Rejected(after, "header_timeout"), 2 * 85);  // nothing, and half a head
  EXPECT_GE(Rejected(after, "body_timeout"), 85);
  EXPECT_LT(after.Value("codebot_exporter_http_connections_open").value_or(1e9), 16);
  EXPECT_EQ(Rejected(after, "client_limit"), 0);
}

TEST_F(SlowClients, ConnectionsFromOneAddressAreBounded) {
  // 100 idle connections from one address, above the per-client limit of 64: the longest
  // waiting make room for the newer ones, and clients from other addresses are unaffected.
  for (int i = 0; i < 100; ++i) {
    SlowConnection c;
    c.fd = Connect(exporter_.port(), "127.0.0.2");
    ASSERT_GE(c.fd, 0);
    connections_.push_back(c);
  }
  ASSERT_TRUE(exporter_.WaitForScrape([this](const Scrape& s) {
    return Rejected(s, "client_limit") >= 36;
  })) << "no connection was turned away at the per-client limit";
  const Scrape scrape = exporter_.ScrapeMetrics();
  EXPECT_EQ(Rejected(scrape, "client_limit"), 36);
  EXPECT_LE(scrape.Value("codebot_exporter_http_connections_open").value_or(1e9), 64 + 2);
  EXPECT_EQ(HttpGet(exporter_.Url("/-/healthy"), 5000).status, 200);
  // The first 36 opened are the ones closed.
  std::vector<SlowConnection> oldest(connections_.begin(), connections_.begin() + 36);
  EXPECT_EQ(WaitAllClosed(oldest, std::chrono::seconds(2)), 36u);
}

}  // namespace
}  // namespace codebot::testing
