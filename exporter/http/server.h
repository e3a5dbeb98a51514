// The one HTTP server of the process (civetweb lives here and nowhere else). Handlers are plain
// functions from Request to Response; routing, body limits and error pages are done once, here.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct mg_connection;
struct mg_context;

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
  int num_threads = 8;
  size_t max_request_body_bytes = 1 << 20;
  int request_timeout_ms = 10000;
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

  // Dispatches a request as civetweb would; used by the civetweb callback and by tests.
  Response Dispatch(Request& request) const;

 private:
  struct Route {
    std::string path;
    bool prefix;
    std::vector<std::string> methods;
    Handler handler;
  };
  static int OnRequest(::mg_connection* conn, void* self);

  ServerOptions options_;
  std::vector<Route> routes_;
  ::mg_context* ctx_ = nullptr;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace codebot::http
