#include "exporter/core/duration.h"

#include <array>
#include <cstdint>
#include <limits>

namespace codebot {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t ms;
};

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;
constexpr int64_t kYear = 365 * kDay;

// Order matters: a parse must see the units in this order, and "ms" is tried before "m" and "s".
constexpr std::array<Unit, 7> kUnits = {{{"y", kYear},
                                         {"w", kWeek},
                                         {"d", kDay},
                                         {"h", kHour},
                                         {"m", kMinute},
                                         {"s", kSecond},
                                         {"ms", 1}}};

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
  if (text == "0") return Duration(0);
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t next_unit = 0;  // index of the first unit still allowed
  size_t pos = 0;
  while (pos < text.size()) {
    int64_t number = 0;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (number > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
      number = number * 10 + (text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    // Longest unit that matches here ("ms" before "m").
    size_t matched = kUnits.size();
    for (size_t i = next_unit; i < kUnits.size(); ++i) {
      const auto& unit = kUnits[i];
      if (text.substr(pos, unit.suffix.size()) != unit.suffix) continue;
      // "m" must not swallow the "m" of "ms".
      if (unit.suffix == "m" && text.substr(pos, 2) == "ms") continue;
      matched = i;
      break;
    }
    if (matched == kUnits.size()) return std::nullopt;
    const auto& unit = kUnits[matched];
    if (number > std::numeric_limits<int64_t>::max() / unit.ms) return std::nullopt;
    const int64_t add = number * unit.ms;
    if (total > std::numeric_limits<int64_t>::max() - add) return std::nullopt;
    total += add;
    pos += unit.suffix.size();
    next_unit = matched + 1;
  }
  return Duration(total);
}

std::string FormatDuration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const auto& unit : kUnits) {
    if (ms >= unit.ms) {
      out += std::to_string(ms / unit.ms);
      out += unit.suffix;
      ms %= unit.ms;
    }
  }
  return out;
}

double ToSeconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace codebot
