// The one HTTP server of the process. Handlers are plain functions from Request to Response;
// routing, body limits and error pages are done once, here.
//
// One thread owns every socket (epoll): it accepts, reads each request head and body under
// deadlines and limits, and writes responses without blocking; only complete requests reach the
// handler threads. So a client that sends nothing, half a header or a body one byte a second
// costs a socket and a few bytes, never a handler thread, and /metrics and the probes keep
// answering while hundreds of them hang on.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codebot::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; empty view when absent.
std::string_view FindHeader(const Headers& headers, std::string_view name);

struct Request {
  std::string method;
  std::string path;   // decoded path without the query string
  std::string query;  // raw query string, without '?'
  Headers headers;
  std::string body;
  std::string remote_addr;
  std::string id;  // request id for log lines: X-Request-Id when sent, else generated

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
  // Decoded value of a query parameter (first occurrence), empty when absent.
  std::string QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  Headers headers;
  std::string body;
  // Sent after body without copying: lets /metrics serve cached text as is.
  std::vector<std::shared_ptr<const std::string>> shared_parts;

  static Response Text(int status, std::string body);
  static Response Json(int status, std::string body);
  // {"status":"error","error":"<reason>"} with the given code.
  static Response Error(int status, std::string_view reason);
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string listen_address = ":9877";  // host:port, :port, or port; port 0 picks a free one
  int num_threads = 8;                   // handler threads, started as requests need them
  size_t max_request_body_bytes = 1 << 20;
  int request_timeout_ms = 10000;  // a whole request, head and body, from its first byte
  int header_timeout_ms = 5000;    // a request head, from its first byte or the connection's open
  int idle_timeout_ms = 30000;     // a keep-alive connection between requests
  int write_timeout_ms = 30000;    // a response, while the client does not read it
  size_t max_header_bytes = 16 << 10;
  // Open connections at most, and from one client address. At a limit, the connection of that
  // scope that has waited longest for its request is closed for the new one (a client that sends
  // its request at once is never the longest waiting); when none waits, the new one is refused.
  int max_connections = 1024;
  int max_connections_per_client = 64;
  // Request bytes held over every connection, read or in a handler; past it new bytes get 503.
  size_t max_buffered_bytes = 64 << 20;
};

// Why a connection was refused or closed before its response; the label of
// codebot_exporter_http_connections_rejected_total.
enum class Rejection {
  kServerLimit,
  kClientLimit,
  kHeaderTimeout,
  kBodyTimeout,
  kWriteTimeout,
  kHeaderTooLarge,
  kBodyTooLarge,
  kBadRequest,
  kMemoryLimit,
  kFdLimit,
};
inline constexpr int kRejectionCount = 10;
std::string_view RejectionReason(Rejection reason);

struct ServerStats {
  int64_t open_connections = 0;
  uint64_t rejected[kRejectionCount] = {};
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Routes must be added before Start(). An exact path wins over a prefix route; among prefix
  // routes the longest wins. methods empty means GET and HEAD.
  void Handle(std::string path, Handler handler, std::vector<std::string> methods = {});
  void HandlePrefix(std::string prefix, Handler handler, std::vector<std::string> methods = {});

  // Binds and starts serving; throws std::runtime_error when the address cannot be bound.
  void Start();
  void Stop();

  // The port actually bound (useful with port 0).
  int port() const { return port_; }
  // True from Stop() on: long-running handlers (test fakes) can watch it to finish early.
  bool stopping() const { return stopping_.load(); }

  // Counters of the connection layer, for /metrics.
  ServerStats Stats() const;

  // Routes a complete request to its handler; used by the handler threads and by tests.
  Response Dispatch(Request& request) const;

 private:
  class Transport;
  struct Route {
    std::string path;
    bool prefix;
    std::vector<std::string> methods;
    Handler handler;
  };

  ServerOptions options_;
  std::vector<Route> routes_;
  std::unique_ptr<Transport> transport_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace codebot::http
