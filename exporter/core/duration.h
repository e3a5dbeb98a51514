// Durations in the Prometheus notation ("15s", "1m30s", "1h", "500ms", "2d", "1w", "1y").
// Parsing and formatting are exact inverses for every value a parse can produce.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codebot {

using Duration = std::chrono::milliseconds;

// The longest duration Prometheus accepts: Go's time.Duration counts nanoseconds in an int64
// (about 292 years). Bounding every parsed duration by it keeps time arithmetic on int64
// milliseconds (t - offset - range, nested subqueries) far from overflow.
inline constexpr int64_t kMaxDurationMs = INT64_MAX / 1'000'000;

enum class DurationError {
  kNone,
  kSyntax,      // Prometheus: `not a valid duration string: "..."`
  kOutOfRange,  // well formed, longer than kMaxDurationMs: Prometheus' "duration out of range"
};

// Units in decreasing order, each at most once: y w d h m s ms. "0" is zero. Returns nullopt on
// anything else (empty string, unknown unit, wrong order, beyond kMaxDurationMs); *error (when
// given) says which, a syntax error taking precedence as in Prometheus.
std::optional<Duration> ParseDuration(std::string_view text, DurationError* error = nullptr);

// "1m30s", "0s", "250ms" — the same shape Prometheus prints.
std::string FormatDuration(Duration d);

double ToSeconds(Duration d);

}  // namespace codebot
