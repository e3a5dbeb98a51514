#include "tests/support/env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace codebot::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/codebot-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  chmod(path_.c_str(), 0777);
}

TempDir::~TempDir() {
  if (std::getenv("CODEBOT_KEEP_TEST_DIRS") != nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

http::ClientResponse HttpGet(const std::string& url, int timeout_ms) {
  http::Client client;
  http::ClientRequest request;
  request.url = url;
  request.timeout = std::chrono::milliseconds(timeout_ms);
  request.max_body_bytes = 256u << 20;
  return client.Do(request);
}

http::ClientResponse HttpPost(const std::string& url, const std::string& body,
                              const std::string& content_type, int timeout_ms,
                              const http::Headers& headers) {
  http::Client client;
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.body = body;
  request.timeout = std::chrono::milliseconds(timeout_ms);
  request.headers = headers;
  request.headers.emplace_back("Content-Type", content_type);
  return client.Do(request);
}

std::string SourceDir() { return CODEBOT_SOURCE_DIR; }

std::string SharedDir() {
  if (const char* dir = std::getenv("CODEBOT_SHARED_DIR")) return dir;
  return std::filesystem::weakly_canonical(std::filesystem::path(SourceDir()) / ".." / "shared")
      .string();
}

std::string ExporterBinary() { return CODEBOT_EXPORTER_BIN; }

}  // namespace codebot::testing
