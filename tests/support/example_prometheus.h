// examples/prometheus.yml as a test's Prometheus runs it: the example itself, pointed at the
// test's sidecar and rule file, with 1s intervals, so that tests scrape as users are told to.
#pragma once

#include <optional>
#include <string>

namespace codebot::testing {

// The example with scrape_interval and evaluation_interval 1s (scrape_timeout 900ms), its rule
// file replaced by rule_file and its target by 127.0.0.1:<sidecar_port>. nullopt, with the
// reason in *error, when the example no longer has the lines this replaces.
std::optional<std::string> ExamplePrometheusConfig(int sidecar_port, const std::string& rule_file,
                                                   std::string* error);

}  // namespace codebot::testing
