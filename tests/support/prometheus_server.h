// A real Prometheus (Debian's 2.42 package) for tests: own temp dir, loopback port, stopped at
// the end. Queries go through its HTTP API.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {

class PrometheusServer {
 public:
  static bool Available() { return HaveProgram("prometheus"); }

  // Writes prometheus.yml (config_yaml) and starts the server; waits until /-/ready.
  // Returns false (with the log in *error) when it doesn't come up.
  bool Start(const std::string& config_yaml, std::string* error);
  void Stop() { process_.Stop(); }

  std::string Url(const std::string& path = "") const;
  // GET /api/v1/query?query=expr; the parsed JSON answer (null on transport errors).
  nlohmann::json Query(const std::string& expr) const;
  nlohmann::json Get(const std::string& path) const;
  std::string Logs() const { return ReadFile(dir_.File("prometheus.log")); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  Process process_;
  int port_ = 0;
};

std::string UrlEncode(const std::string& text);

}  // namespace codebot::testing
