#include "tests/support/fake_http.h"

#include <thread>

namespace codebot::testing {

FakeHttp::FakeHttp(int port) {
  http::ServerOptions options;
  options.listen_address = "127.0.0.1:" + std::to_string(port);
  options.num_threads = 16;
  options.max_request_body_bytes = 64u << 20;
  options.request_timeout_ms = 60000;
  server_ = std::make_unique<http::Server>(options);
}

FakeHttp::~FakeHttp() { Stop(); }

http::Handler FakeHttp::Record(http::Handler handler) {
  return [this, handler = std::move(handler)](const http::Request& request) {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    return handler(request);
  };
}

void FakeHttp::Handle(const std::string& path, http::Handler handler,
                      std::vector<std::string> methods) {
  server_->Handle(path, Record(std::move(handler)), std::move(methods));
}

void FakeHttp::HandlePrefix(const std::string& prefix, http::Handler handler,
                            std::vector<std::string> methods) {
  server_->HandlePrefix(prefix, Record(std::move(handler)), std::move(methods));
}

void FakeHttp::Start() { server_->Start(); }

void FakeHttp::Stop() { server_->Stop(); }

std::string FakeHttp::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<http::Request> FakeHttp::Requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t FakeHttp::RequestCount() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

void FakeHttp::SleepUnlessStopping(std::chrono::milliseconds d) const {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (!server_->stopping() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace codebot::testing
