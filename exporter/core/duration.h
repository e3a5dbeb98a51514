// Durations in the Prometheus notation ("15s", "1m30s", "1h", "500ms", "2d", "1w", "1y").
// Parsing and formatting are exact inverses for every value a parse can produce.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace codebot {

using Duration = std::chrono::milliseconds;

// Units in decreasing order, each at most once: y w d h m s ms. "0" is zero. Returns nullopt on
// anything else (empty string, unknown unit, wrong order, overflow).
std::optional<Duration> ParseDuration(std::string_view text);

// "1m30s", "0s", "250ms" — the same shape Prometheus prints.
std::string FormatDuration(Duration d);

double ToSeconds(Duration d);

}  // namespace codebot
