#include "tests/support/example_prometheus.h"

#include <utility>
#include <vector>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {

std::optional<std::string> ExamplePrometheusConfig(int sidecar_port, const std::string& rule_file,
                                                   std::string* error) {
  const std::string path = SourceDir() + "/examples/prometheus.yml";
  std::string config = ReadFile(path);
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"scrape_interval: 15s", "scrape_interval: 1s\n  scrape_timeout: 900ms"},
      {"evaluation_interval: 15s", "evaluation_interval: 1s"},
      {"../rules/alerts.yml", rule_file},
      {"127.0.0.1:9877", "127.0.0.1:" + std::to_string(sidecar_port)}};
  for (const auto& [from, to] : edits) {
    const size_t at = config.find(from);
    if (at == std::string::npos) {
      *error = path + " no longer contains \"" + from + "\"";
      return std::nullopt;
    }
    config.replace(at, from.size(), to);
  }
  return config;
}

}  // namespace codebot::testing
