// Go's time package as the Prometheus tools print it, so that our API answers, `test rules`
// messages and template functions read exactly like theirs: time.Duration.String() for a
// millisecond count, and Time.String() / Time.Format with Go layouts for UTC instants
// (humanizeTimestamp, toTime). Always UTC, never the host's time zone. RFC 3339 timestamps, as
// Go's JSON encoder writes them, are core/time.h's. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace codebot::go {

// Go's time.Duration.String() for a millisecond count: "0s", "500ms", "1.5s", "1m30s", "2h0m0s".
std::string DurationString(int64_t ms);

struct Time {
  int64_t sec = 0;   // seconds since the Unix epoch
  int32_t nsec = 0;  // [0, 1e9)
};

std::string FormatTimeString(const Time& t);
std::string FormatTimeLayout(const Time& t, std::string_view layout);

}  // namespace codebot::go
