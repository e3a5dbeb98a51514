// Runs the real codebot-exporter binary for a test: config in a temp dir, a free loopback port,
// logs captured to a file, stopped (SIGTERM) at the end.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exporter/core/metric.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {

// /metrics parsed with the sidecar's own parser, with lookups for tests.
struct Scrape {
  bool ok = false;
  std::string text;
  std::vector<Family> families;

  // Value of the first sample named `name` whose labels include every label of `match`.
  std::optional<double> Value(const std::string& name, const Labels& match = {}) const;
  // Every sample named `name` whose labels include every label of `match`.
  std::vector<Sample> Samples(const std::string& name, const Labels& match = {}) const;
  const Family* FindFamily(const std::string& name) const;
};

Scrape ParseScrape(const std::string& text);

class Exporter {
 public:
  Exporter();
  ~Exporter();

  // Writes config_yaml to <dir>/config.yml and starts the binary; waits until /-/healthy
  // answers (fails the test otherwise).
  void Start(const std::string& config_yaml, const std::vector<std::string>& extra_args = {},
             const std::vector<std::string>& extra_env = {});
  int Stop();

  std::string Url(const std::string& path = "") const;
  Scrape ScrapeMetrics() const;
  // Waits until the condition over a fresh scrape holds.
  bool WaitForScrape(const std::function<bool(const Scrape&)>& condition,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  std::string Logs() const;

  TempDir& dir() { return dir_; }
  Process& process() { return process_; }
  int port() const { return port_; }
  std::string config_path() const { return dir_.File("config.yml"); }

 private:
  TempDir dir_;
  Process process_;
  int port_ = 0;
};

}  // namespace codebot::testing
