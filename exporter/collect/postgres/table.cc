#include "exporter/collect/postgres/table.h"

#include <charconv>

namespace codebot::collect::postgres {

std::optional<double> ParseNumber(std::string_view text) {
  if (text == "t") return 1.0;
  if (text == "f") return 0.0;
  if (text.empty()) return std::nullopt;
  double value = 0;
  const char* end = text.data() + text.size();
  // from_chars also reads "NaN", "Infinity" and "-Infinity", PostgreSQL's spellings.
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace codebot::collect::postgres
