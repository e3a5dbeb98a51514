// Test environment: temp dirs, HTTP requests to what a test started, and where things are.
#pragma once

#include <string>

#include "exporter/http/client.h"

namespace codebot::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction
// unless CODEBOT_KEEP_TEST_DIRS is set. Readable by everyone, so servers run as another user
// (PostgreSQL) can use it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// One-shot HTTP requests for tests.
http::ClientResponse HttpGet(const std::string& url, int timeout_ms = 5000);
http::ClientResponse HttpPost(const std::string& url, const std::string& body,
                              const std::string& content_type = "application/json",
                              int timeout_ms = 5000, const http::Headers& headers = {});

// The repository root and the shared folder beside it (CODEBOT_SHARED_DIR overrides).
std::string SourceDir();
std::string SharedDir();
std::string ExporterBinary();

}  // namespace codebot::testing
