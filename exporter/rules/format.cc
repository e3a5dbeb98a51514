#include "exporter/rules/format.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace codebot::rules {
namespace {

// Go prints fractions of a unit without trailing zeros: 1.5s, 1.25ms.
std::string FractionDigits(int64_t fraction, int width) {
  std::string digits(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0; --i) {
    digits[static_cast<size_t>(i)] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return digits.empty() ? "" : "." + digits;
}

}  // namespace

std::string GoDurationString(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign;
  uint64_t u = 0;
  if (ms < 0) {
    sign = "-";
    u = static_cast<uint64_t>(-(ms + 1)) + 1;
  } else {
    u = static_cast<uint64_t>(ms);
  }
  if (u < 1000) return sign + std::to_string(u) + "ms";
  const uint64_t seconds_total = u / 1000;
  const uint64_t millis = u % 1000;
  const uint64_t hours = seconds_total / 3600;
  const uint64_t minutes = (seconds_total / 60) % 60;
  const uint64_t seconds = seconds_total % 60;
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += std::to_string(seconds) + FractionDigits(static_cast<int64_t>(millis), 3) + "s";
  return out;
}

std::string Rfc3339(int64_t unix_ms) {
  using namespace std::chrono;
  // Go's zero time.Time, which the API prints for rules never evaluated.
  constexpr int64_t kYearOneMs = -62135596800000;
  if (unix_ms <= kYearOneMs) return "0001-01-01T00:00:00Z";
  const sys_time<milliseconds> tp{milliseconds(unix_ms)};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> time{tp - day};
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02d",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return std::string(buffer) + FractionDigits(time.subseconds().count(), 3) + "Z";
}

}  // namespace codebot::rules
