#include "exporter/http/server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "exporter/core/json_string.h"
#include "exporter/core/log.h"

namespace codebot::http {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string NextRequestId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t seed =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08x-%06llx", static_cast<unsigned>(seed & 0xffffffffu),
                static_cast<unsigned long long>(++counter));
  return buf;
}

std::string CivetPorts(const std::string& listen_address) {
  // civetweb wants "port" or "host:port"; Prometheus style ":port" means every interface.
  if (!listen_address.empty() && listen_address.front() == ':') return listen_address.substr(1);
  return listen_address;
}

const char* StatusText(int status) {
  const char* text = mg_get_response_code_text(nullptr, status);
  return text != nullptr ? text : "";
}

int DecodeHex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = DecodeHex(text[i + 1]);
      const int lo = DecodeHex(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

void WriteResponse(struct mg_connection* conn, const Request& request, const Response& response) {
  size_t length = response.body.size();
  for (const auto& part : response.shared_parts) length += part->size();
  std::string head =
      "HTTP/1.1 " + std::to_string(response.status) + " " + StatusText(response.status) + "\r\n";
  head += "Content-Type: " + response.content_type + "\r\n";
  head += "Content-Length: " + std::to_string(length) + "\r\n";
  head += "X-Request-Id: " + request.id + "\r\n";
  for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  mg_write(conn, head.data(), head.size());
  if (request.method == "HEAD") return;
  if (!response.body.empty()) mg_write(conn, response.body.data(), response.body.size());
  for (const auto& part : response.shared_parts) {
    if (!part->empty()) mg_write(conn, part->data(), part->size());
  }
}

}  // namespace

std::string_view FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsNoCase(key, name)) return value;
  }
  return {};
}

std::string Request::QueryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (UrlDecode(pair.substr(0, eq), true) == name) {
      return eq == std::string_view::npos ? std::string() : UrlDecode(pair.substr(eq + 1), true);
    }
  }
  return {};
}

Response Response::Text(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

Response Response::Error(int status, std::string_view reason) {
  // The reason stays one line of text: control characters become spaces, not JSON escapes.
  std::string one_line(reason);
  std::replace_if(
      one_line.begin(), one_line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; },
      ' ');
  std::string body = "{\"status\":\"error\",\"error\":";
  json::AppendString(body, one_line);
  body += "}\n";
  return Json(status, std::move(body));
}

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { Stop(); }

void Server::Handle(std::string path, Handler handler, std::vector<std::string> methods) {
  routes_.push_back({std::move(path), false, std::move(methods), std::move(handler)});
}

void Server::HandlePrefix(std::string prefix, Handler handler, std::vector<std::string> methods) {
  routes_.push_back({std::move(prefix), true, std::move(methods), std::move(handler)});
}

void Server::Start() {
  static std::once_flag init;
  std::call_once(init, [] { mg_init_library(0); });
  const std::string ports = CivetPorts(options_.listen_address);
  const std::string threads = std::to_string(options_.num_threads);
  const std::string timeout = std::to_string(options_.request_timeout_ms);
  const char* civet_options[] = {"listening_ports",
                                 ports.c_str(),
                                 "num_threads",
                                 threads.c_str(),
                                 "request_timeout_ms",
                                 timeout.c_str(),
                                 "enable_keep_alive",
                                 "yes",
                                 "keep_alive_timeout_ms",
                                 "60000",
                                 "tcp_nodelay",
                                 "1",
                                 nullptr};
  struct mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof callbacks);
  // civetweb prints bind failures through this callback; keep them for the exception text.
  struct ErrorSink {
    static int Log(const struct mg_connection*, const char*) { return 1; }
  };
  callbacks.log_message = &ErrorSink::Log;
  struct mg_init_data init_data;
  std::memset(&init_data, 0, sizeof init_data);
  init_data.callbacks = &callbacks;
  init_data.user_data = this;
  init_data.configuration_options = civet_options;
  struct mg_error_data error;
  char error_text[256] = {0};
  std::memset(&error, 0, sizeof error);
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  ctx_ = mg_start2(&init_data, &error);
  if (ctx_ == nullptr) {
    throw std::runtime_error("cannot listen on " + options_.listen_address + ": " +
                             (error_text[0] != 0 ? error_text : "unknown error"));
  }
  mg_set_request_handler(ctx_, "/", &Server::OnRequest, this);
  struct mg_server_port bound[4];
  const int n = mg_get_server_ports(ctx_, 4, bound);
  port_ = n > 0 ? bound[0].port : 0;
}

void Server::Stop() {
  stopping_ = true;
  if (ctx_ == nullptr) return;
  // civetweb's accept loop polls its listening socket in 2 s quanta and only then notices the
  // stop flag; a connection attempt wakes it at once, so shutdown takes milliseconds.
  std::atomic<bool> stopped{false};
  std::thread waker([this, &stopped] {
    while (!stopped) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd >= 0) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port_));
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        close(fd);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  mg_stop(ctx_);
  stopped = true;
  waker.join();
  ctx_ = nullptr;
}

Response Server::Dispatch(Request& request) const {
  const Route* best = nullptr;
  for (const auto& route : routes_) {
    if (!route.prefix && route.path == request.path) {
      best = &route;
      break;
    }
    if (route.prefix && request.path.starts_with(route.path) &&
        (best == nullptr || (best->prefix && route.path.size() > best->path.size()))) {
      best = &route;
    }
  }
  if (best == nullptr) return Response::Error(404, "not found: " + request.path);
  const auto& methods = best->methods;
  const bool allowed =
      methods.empty() ? (request.method == "GET" || request.method == "HEAD")
                      : std::find(methods.begin(), methods.end(), request.method) != methods.end();
  if (!allowed) {
    std::string allow;
    for (const auto& m : methods.empty() ? std::vector<std::string>{"GET", "HEAD"} : methods) {
      allow += allow.empty() ? m : ", " + m;
    }
    Response response = Response::Error(405, "method " + request.method + " not allowed");
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  return best->handler(request);
}

int Server::OnRequest(struct mg_connection* conn, void* self_ptr) {
  const auto* self = static_cast<const Server*>(self_ptr);
  const struct mg_request_info* info = mg_get_request_info(conn);
  Request request;
  request.method = info->request_method != nullptr ? info->request_method : "";
  request.path = info->local_uri != nullptr ? info->local_uri : "/";
  request.query = info->query_string != nullptr ? info->query_string : "";
  request.remote_addr = info->remote_addr;
  for (int i = 0; i < info->num_headers; ++i) {
    request.headers.emplace_back(info->http_headers[i].name, info->http_headers[i].value);
  }
  const std::string_view given_id = request.Header("X-Request-Id");
  request.id =
      (!given_id.empty() && given_id.size() <= 64) ? std::string(given_id) : NextRequestId();

  const size_t limit = self->options_.max_request_body_bytes;
  if (info->content_length > 0 && static_cast<size_t>(info->content_length) > limit) {
    WriteResponse(
        conn, request,
        Response::Error(413, "request body larger than " + std::to_string(limit) + " bytes"));
    return 413;
  }
  char buf[16384];
  for (;;) {
    const int n = mg_read(conn, buf, sizeof buf);
    if (n <= 0) break;
    if (request.body.size() + static_cast<size_t>(n) > limit) {
      WriteResponse(
          conn, request,
          Response::Error(413, "request body larger than " + std::to_string(limit) + " bytes"));
      return 413;
    }
    request.body.append(buf, static_cast<size_t>(n));
  }

  Response response;
  try {
    response = self->Dispatch(request);
  } catch (const std::exception& e) {
    log::Error("handler failed",
               {{"request_id", request.id}, {"path", request.path}, {"err", e.what()}});
    response = Response::Error(500, "internal error");
  }
  WriteResponse(conn, request, response);
  log::Debug("http request", {{"request_id", request.id},
                              {"method", request.method},
                              {"path", request.path},
                              {"status", response.status}});
  return response.status;
}

}  // namespace codebot::http
