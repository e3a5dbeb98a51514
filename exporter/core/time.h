// Wall-clock and deadline helpers shared by every stage, and RFC 3339 timestamps as the
// Prometheus/Alertmanager APIs and their JSON payloads write them.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace codebot {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

// "No time" for optional timestamps (an alert not yet resolved, a rule never evaluated). The
// Unix epoch is a real evaluation time (promtool's unit tests start there), so it can't mean
// "unset".
inline constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();

// Milliseconds since the Unix epoch, the timestamp unit of the exposition format and PromQL.
inline int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline double NowUnixSeconds() { return static_cast<double>(NowUnixMs()) / 1000.0; }

// Time left until a deadline, never negative.
inline std::chrono::milliseconds Remaining(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

// Go's time.Time JSON form (RFC 3339, fraction without trailing zeros), in UTC:
// "2023-04-01T10:00:00.25Z". Times before year 1 (kNoTime included) print as Go's zero time
// "0001-01-01T00:00:00Z".
std::string Rfc3339(int64_t unix_ms);

// Reads an RFC 3339 timestamp ("2023-04-01T10:00:00.25Z", "2023-04-01T12:00:00+02:00", up to
// nanoseconds, truncated to milliseconds). Go's zero time reads as kNoTime. nullopt when the
// text is not RFC 3339.
std::optional<int64_t> ParseRfc3339(std::string_view text);

}  // namespace codebot
