// Fuzzes the duration notation (config intervals, rule `for`, PromQL ranges). A parsed duration
// must print back to text that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/core/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = codebot::ParseDuration(text);
  if (!parsed) return 0;
  const auto again = codebot::ParseDuration(codebot::FormatDuration(*parsed));
  if (!again || *again != *parsed) __builtin_trap();
  (void)codebot::ToSeconds(*parsed);
  return 0;
}
