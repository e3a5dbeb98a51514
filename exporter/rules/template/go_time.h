// Go's time.Time printing for UTC instants, as humanizeTimestamp and toTime show them:
// Time.String() ("2015-06-23 13:19:44.128 +0000 UTC") and Time.Format with Go layouts
// ("2006-01-02T15:04:05Z07:00"). Always UTC, as Prometheus' functions return it; never the
// host's time zone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace codebot::rules::tmpl {

struct GoTime {
  int64_t sec = 0;   // seconds since the Unix epoch
  int32_t nsec = 0;  // [0, 1e9)
};

std::string FormatGoTimeString(const GoTime& t);
std::string FormatGoTimeLayout(const GoTime& t, std::string_view layout);

}  // namespace codebot::rules::tmpl
