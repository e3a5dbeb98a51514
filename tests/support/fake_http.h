// A programmable HTTP server on 127.0.0.1 for the internet APIs and the bot (fakes speak the
// real wire format). Built on the sidecar's own http::Server.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/http/server.h"

namespace codebot::testing {

class FakeHttp {
 public:
  // port 0 picks a free one; a fixed port lets a test bring an API "back" where a client expects
  // it (the client saw connections refused there before).
  explicit FakeHttp(int port = 0);
  ~FakeHttp();

  // Register before Start().
  void Handle(const std::string& path, http::Handler handler,
              std::vector<std::string> methods = {"GET", "POST", "PUT", "HEAD"});
  void HandlePrefix(const std::string& prefix, http::Handler handler,
                    std::vector<std::string> methods = {"GET", "POST", "PUT", "HEAD"});
  void Start();
  void Stop();

  int port() const { return server_->port(); }
  std::string Url(const std::string& path = "") const;

  // Every request received, in order (thread-safe copies).
  std::vector<http::Request> Requests() const;
  size_t RequestCount() const;

  // Sleeps up to d, returning early when the server stops: for "hung" endpoints.
  void SleepUnlessStopping(std::chrono::milliseconds d) const;

 private:
  http::Handler Record(http::Handler handler);

  std::unique_ptr<http::Server> server_;
  mutable std::mutex mutex_;
  std::vector<http::Request> requests_;
};

}  // namespace codebot::testing
