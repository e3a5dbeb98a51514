// Text forms the Prometheus tools print, reproduced so that our API answers and `test rules`
// messages read exactly like theirs: Go's duration format and RFC 3339 timestamps (floats and
// quoting are exporter/rules/go/strconv.h, label sets promql::LabelsToString). Pure functions;
// nothing here allocates beyond its result.
#pragma once

#include <cstdint>
#include <string>

namespace codebot::rules {

// Go's time.Duration.String() for a millisecond count: "0s", "500ms", "1.5s", "1m30s", "2h0m0s".
std::string GoDurationString(int64_t ms);

// Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped), in UTC:
// "2023-04-01T10:00:00.25Z". Times before year 1 print as Go's zero time.
std::string Rfc3339(int64_t unix_ms);

}  // namespace codebot::rules
