// The HTTP server on a loopback socket: framing, keep-alive, limits and deadlines, seen by a raw
// client that sends exactly the bytes each case needs.
#include "exporter/http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace codebot::http {
namespace {

// A raw client connection, optionally from another loopback address.
class Client {
 public:
  explicit Client(int port, const char* from = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, from, &local.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  void Send(const std::string& data) { (void)send(fd_, data.data(), data.size(), MSG_NOSIGNAL); }

  // Reads until `until` appears or the server closes (or 10 s pass: a hung test, not a timing).
  std::string ReadUntil(const std::string& until) {
    std::string got;
    while (got.find(until) == std::string::npos) {
      if (!Wait()) break;
      char buf[65536];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  std::string ReadAll() { return ReadUntil(std::string(1, '\0') + "never"); }
  // True once the server has closed the connection (reads and drops what comes before).
  bool WaitClosed() {
    ReadAll();
    return closed_;
  }

 private:
  bool Wait() {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, 10000) == 1;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

ServerOptions SmallOptions() {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.num_threads = 2;
  options.max_request_body_bytes = 1000;
  options.max_header_bytes = 512;
  options.header_timeout_ms = 300;
  options.request_timeout_ms = 600;
  options.idle_timeout_ms = 600;
  options.max_connections = 8;
  options.max_connections_per_client = 4;
  return options;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(SmallOptions());
    server_->Handle("/echo",
                    [](const Request& request) {
                      return Response::Text(200, request.method + " " + request.path + "?" +
                                                     request.query + " [" + request.body +
                                                     "] from " + request.remote_addr);
                    },
                    {"GET", "HEAD", "POST"});
    server_->Start();
  }
  uint64_t Rejected(Rejection reason) const {
    return server_->Stats().rejected[static_cast<int>(reason)];
  }

  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, AnswersKeepsAliveAndPipelines) {
  Client client(server_->port());
  client.Send("GET /echo?a=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = client.ReadUntil("127.0.0.1");
  EXPECT_NE(got.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("GET /echo?a=1 [] from 127.0.0.1"), std::string::npos) << got;
  // Two requests in one write, the second one closing.
  client.Send(
      "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /echo?b HTTP/1.1\r\n"
      "Connection: close\r\n\r\n");
  got = client.ReadAll();
  EXPECT_NE(got.find("POST /echo? [abc]"), std::string::npos) << got;
  EXPECT_NE(got.find("GET /echo?b []"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
}

TEST_F(ServerTest, HeadSendsTheLengthWithoutTheBody) {
  Client client(server_->port());
  client.Send("HEAD /echo HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string got = client.ReadAll();
  EXPECT_NE(got.find("Content-Length: 29\r\n"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\n")) << got;
}

TEST_F(ServerTest, ChunkedBodiesAndExpectContinue) {
  Client client(server_->port());
  client.Send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_NE(client.ReadUntil("\r\n\r\n").find("HTTP/1.1 100 Continue"), std::string::npos);
  client.Send("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_NE(client.ReadUntil("127.0.0.1").find("[abcde]"), std::string::npos);
}

TEST_F(ServerTest, RequestsTricklingInByteByByte) {
  Client client(server_->port());
  const std::string request =
      "\r\n\r\nPOST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nab\r\n1\r\nc\r\n0\r\n\r\nGET /echo?next HTTP/1.1\r\nConnection: close\r\n\r\n";
  for (char byte : request) {
    client.Send(std::string(1, byte));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const std::string got = client.ReadAll();
  EXPECT_NE(got.find("POST /echo? [abc]"), std::string::npos) << got;
  EXPECT_NE(got.find("GET /echo?next []"), std::string::npos) << got;
}

TEST_F(ServerTest, OversizedAndMalformedRequestsGetTheirStatus) {
  {
    Client client(server_->port());
    client.Send("POST /echo HTTP/1.1\r\nContent-Length: 1001\r\n\r\n");
    EXPECT_NE(client.ReadAll().find("HTTP/1.1 413 "), std::string::npos);
  }
  {
    Client client(server_->port());
    client.Send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n");
    EXPECT_NE(client.ReadAll().find("HTTP/1.1 413 "), std::string::npos);
  }
  {
    Client client(server_->port());
    client.Send("GET /echo HTTP/1.1\r\nX: " + std::string(600, 'a'));
    EXPECT_NE(client.ReadAll().find("HTTP/1.1 431 "), std::string::npos);
  }
  {
    Client client(server_->port());
    client.Send("GET /echo HTTP/9.9\r\n\r\n");
    EXPECT_NE(client.ReadAll().find("HTTP/1.1 400 "), std::string::npos);
  }
  EXPECT_EQ(Rejected(Rejection::kBodyTooLarge), 2u);
  EXPECT_EQ(Rejected(Rejection::kHeaderTooLarge), 1u);
  EXPECT_EQ(Rejected(Rejection::kBadRequest), 1u);
}

TEST_F(ServerTest, SlowClientsAreClosedAtTheirDeadlineAndCounted) {
  Client nothing(server_->port(), "127.0.0.2");
  Client half_head(server_->port(), "127.0.0.3");
  Client slow_body(server_->port(), "127.0.0.4");
  half_head.Send("GET /echo HTTP/1.1\r\nHost:");
  slow_body.Send("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nab");
  // Meanwhile others are served.
  Client other(server_->port());
  other.Send("GET /echo HTTP/1.1\r\n\r\n");
  EXPECT_NE(other.ReadUntil("127.0.0.1").find("200 OK"), std::string::npos);

  EXPECT_TRUE(nothing.WaitClosed());
  EXPECT_TRUE(half_head.WaitClosed());
  EXPECT_TRUE(slow_body.WaitClosed());
  EXPECT_EQ(Rejected(Rejection::kHeaderTimeout), 2u);
  EXPECT_EQ(Rejected(Rejection::kBodyTimeout), 1u);
  // The kept-alive connection is closed after its idle time, which is no rejection.
  EXPECT_TRUE(other.WaitClosed());
  EXPECT_EQ(Rejected(Rejection::kHeaderTimeout), 2u);
}

TEST_F(ServerTest, PerClientLimitClosesTheLongestWaitingConnection) {
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<Client>(server_->port(), "127.0.0.5"));
  }
  // Wait until all four are open, as seen by the server.
  for (int i = 0; i < 100 && server_->Stats().open_connections < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server_->Stats().open_connections, 4);
  // A fifth from the same address is served; the oldest idle one made room for it.
  Client fifth(server_->port(), "127.0.0.5");
  fifth.Send("GET /echo HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_NE(fifth.ReadAll().find("200 OK"), std::string::npos);
  EXPECT_TRUE(idle[0]->WaitClosed());
  EXPECT_EQ(Rejected(Rejection::kClientLimit), 1u);
  EXPECT_EQ(Rejected(Rejection::kServerLimit), 0u);
}

TEST_F(ServerTest, ServerLimitRefusesWhenEveryConnectionIsBusy) {
  std::atomic<bool> release{false};
  std::atomic<int> entered{0};
  server_ = std::make_unique<Server>([] {
    ServerOptions options = SmallOptions();
    options.max_connections = 2;
    options.num_threads = 2;
    return options;
  }());
  server_->Handle("/block", [&release, &entered](const Request&) {
    ++entered;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Response::Text(200, "released");
  });
  server_->Start();
  Client a(server_->port(), "127.0.0.6");
  Client b(server_->port(), "127.0.0.7");
  a.Send("GET /block HTTP/1.1\r\n\r\n");
  b.Send("GET /block HTTP/1.1\r\n\r\n");
  // Both requests in handlers: neither connection waits for anything it could be closed for.
  for (int i = 0; i < 1000 && entered < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(entered, 2);
  Client refused(server_->port(), "127.0.0.8");
  refused.Send("GET /block HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(refused.WaitClosed());
  EXPECT_EQ(Rejected(Rejection::kServerLimit), 1u);
  release = true;
  EXPECT_NE(a.ReadUntil("released").find("released"), std::string::npos);
  EXPECT_NE(b.ReadUntil("released").find("released"), std::string::npos);
}

TEST_F(ServerTest, RequestBytesInFlightAreBounded) {
  std::atomic<bool> release{false};
  std::atomic<int> entered{0};
  server_ = std::make_unique<Server>([] {
    ServerOptions options = SmallOptions();
    options.max_buffered_bytes = 1500;
    return options;
  }());
  server_->Handle("/block",
                  [&release, &entered](const Request& request) {
                    ++entered;
                    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                    return Response::Text(200, "held " + std::to_string(request.body.size()));
                  },
                  {"POST"});
  server_->Handle("/echo",
                  [](const Request& request) {
                    return Response::Text(200, "got " + std::to_string(request.body.size()));
                  },
                  {"POST"});
  server_->Start();
  const std::string body(900, 'b');
  Client holder(server_->port());
  holder.Send("POST /block HTTP/1.1\r\nContent-Length: 900\r\n\r\n" + body);
  for (int i = 0; i < 1000 && entered < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(entered, 1);
  // 900 bytes in a handler and 900 more would pass 1500.
  Client refused(server_->port(), "127.0.0.9");
  refused.Send("POST /echo HTTP/1.1\r\nContent-Length: 900\r\nConnection: close\r\n\r\n" + body);
  EXPECT_NE(refused.ReadAll().find("HTTP/1.1 503 "), std::string::npos);
  EXPECT_EQ(Rejected(Rejection::kMemoryLimit), 1u);
  release = true;
  EXPECT_NE(holder.ReadUntil("held 900").find("held 900"), std::string::npos);
  // Answered, the held body leaves the budget: once the loop has taken the handler's answer
  // back, which may be a moment after the client has read it (the handler thread writes it).
  std::string answer;
  for (int i = 0; i < 200 && answer.find("got 900") == std::string::npos; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    Client later(server_->port(), "127.0.0.10");
    later.Send("POST /echo HTTP/1.1\r\nContent-Length: 900\r\nConnection: close\r\n\r\n" + body);
    answer = later.ReadAll();
  }
  EXPECT_NE(answer.find("got 900"), std::string::npos) << answer;
}

}  // namespace
}  // namespace codebot::http
