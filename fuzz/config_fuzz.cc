// Fuzzes the sidecar's YAML configuration (config::LoadString): every section's reader. A bad
// file must end in config::ConfigError (what start-up and reload catch and report); any other
// exception escaping would take the process down, so it is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/config/config.h"
#include "exporter/config/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = codebot::config::LoadString(text, "/tmp/codebot-fuzz/config.yml");
    (void)(config == config);
  } catch (const codebot::config::ConfigError&) {
  }
  return 0;
}
