#include "exporter/core/duration.h"

#include <algorithm>
#include <array>
#include <cstdint>

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

std::optional<Duration> ParseDuration(std::string_view text, DurationError* error) {
  DurationError ignored = DurationError::kNone;
  if (error == nullptr) error = &ignored;
  *error = DurationError::kNone;
  if (text == "0") return Duration(0);
  if (text.empty()) {
    *error = DurationError::kSyntax;
    return std::nullopt;
  }
  // Numbers saturate instead of failing at once: like Prometheus, a syntax error anywhere in
  // the text wins over an overflow.
  constexpr int64_t kSaturated = kMaxDurationMs + 1;
  int64_t total = 0;
  size_t next_unit = 0;  // index of the first unit still allowed
  size_t pos = 0;
  while (pos < text.size()) {
    int64_t number = 0;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      number = std::min(kSaturated, number * 10 + (text[pos] - '0'));
      ++pos;
      ++digits;
    }
    if (digits == 0) {
      *error = DurationError::kSyntax;
      return std::nullopt;
    }
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
    if (matched == kUnits.size()) {
      *error = DurationError::kSyntax;
      return std::nullopt;
    }
    const auto& unit = kUnits[matched];
    // Both factors are at most kSaturated here, so neither the product nor the sum overflows
    // before being clamped back.
    const int64_t add = number > kSaturated / unit.ms ? kSaturated : number * unit.ms;
    total = std::min(kSaturated, total + add);
    pos += unit.suffix.size();
    next_unit = matched + 1;
  }
  if (total > kMaxDurationMs) {
    *error = DurationError::kOutOfRange;
    return std::nullopt;
  }
  return Duration(total);
}

std::string FormatDuration(Duration d) {
  if (d.count() == 0) return "0s";
  std::string out;
  // The magnitude as unsigned: negating INT64_MIN as int64 is undefined.
  uint64_t ms = static_cast<uint64_t>(d.count());
  if (d.count() < 0) {
    out = "-";
    ms = 0 - ms;
  }
  for (const auto& unit : kUnits) {
    const auto unit_ms = static_cast<uint64_t>(unit.ms);
    if (ms >= unit_ms) {
      out += std::to_string(ms / unit_ms);
      out += unit.suffix;
      ms %= unit_ms;
    }
  }
  return out;
}

double ToSeconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace codebot
