// The one HTTP client of the process (libcurl lives here and nowhere else). One attempt per call,
// bounded in time and in body size; failures are classified so callers can count them by reason.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "exporter/http/server.h"  // Headers, FindHeader

namespace codebot::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  // whole exchange, connect included
  size_t max_body_bytes = 16 << 20;          // larger answers fail with kTooLarge
};

enum class ClientError { kNone, kTimeout, kConnect, kTooLarge, kOther };
std::string_view ClientErrorName(ClientError error);  // "timeout", "connect", ...

struct ClientResponse {
  ClientError error = ClientError::kNone;
  std::string error_message;  // human readable, never contains the URL path or query
  int status = 0;
  Headers headers;
  std::string body;

  bool transport_ok() const { return error == ClientError::kNone; }
  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

// Not thread-safe: use one Client per thread. Reuses connections between calls (keep-alive).
class Client {
 public:
  Client();
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  ClientResponse Do(const ClientRequest& request);

  // Calls curl_global_init once, from the first Client (thread-safe: Debian's libcurl is built
  // thread-safe, and a call_once guards it), so an idle sidecar never initialises OpenSSL.
  static void GlobalInit();

 private:
  void* curl_;  // CURL*, kept opaque so that libcurl stays in client.cc
};

}  // namespace codebot::http
