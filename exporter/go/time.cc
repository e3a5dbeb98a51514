#include "exporter/go/time.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace codebot::go {
namespace {

constexpr std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
constexpr std::array<const char*, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int hour, minute, second;
  int weekday;  // 0 = Sunday
};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Civil ToCivil(int64_t sec) {
  const int64_t days = FloorDiv(sec, 86400);
  const int64_t secs_of_day = sec - days * 86400;
  // Days to proleptic Gregorian date (the era-based algorithm from "chrono-Compatible
  // Low-Level Date Algorithms").
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  Civil c{};
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  c.hour = static_cast<int>(secs_of_day / 3600);
  c.minute = static_cast<int>(secs_of_day / 60 % 60);
  c.second = static_cast<int>(secs_of_day % 60);
  c.weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);
  return c;
}

void AppendInt(std::string* out, int64_t v, int width) {
  if (v < 0) {
    out->push_back('-');
    v = -v;
  }
  std::string digits = std::to_string(v);
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out->push_back('0');
  *out += digits;
}

bool IsDigitAt(std::string_view s, size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }

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

std::string FormatTimeLayout(const Time& t, std::string_view layout) {
  const Civil c = ToCivil(t.sec);
  std::string out;
  size_t i = 0;
  auto starts = [&](std::string_view token) { return layout.substr(i).starts_with(token); };
  while (i < layout.size()) {
    const char ch = layout[i];
    if (ch == 'J' && starts("January")) {
      out += kMonths[static_cast<size_t>(c.month - 1)];
      i += 7;
    } else if (ch == 'J' && starts("Jan")) {
      out.append(kMonths[static_cast<size_t>(c.month - 1)], 3);
      i += 3;
    } else if (ch == 'M' && starts("Monday")) {
      out += kDays[static_cast<size_t>(c.weekday)];
      i += 6;
    } else if (ch == 'M' && starts("Mon")) {
      out.append(kDays[static_cast<size_t>(c.weekday)], 3);
      i += 3;
    } else if (ch == 'M' && starts("MST")) {
      out += "UTC";
      i += 3;
    } else if (ch == '0' && i + 1 < layout.size() && layout[i + 1] >= '1' && layout[i + 1] <= '6') {
      switch (layout[i + 1]) {
        case '1':
          AppendInt(&out, c.month, 2);
          break;
        case '2':
          AppendInt(&out, c.day, 2);
          break;
        case '3':
          AppendInt(&out, c.hour % 12 == 0 ? 12 : c.hour % 12, 2);
          break;
        case '4':
          AppendInt(&out, c.minute, 2);
          break;
        case '5':
          AppendInt(&out, c.second, 2);
          break;
        default:
          AppendInt(&out, ((c.year % 100) + 100) % 100, 2);
          break;
      }
      i += 2;
    } else if (ch == '1' && starts("15")) {
      AppendInt(&out, c.hour, 2);
      i += 2;
    } else if (ch == '1') {
      AppendInt(&out, c.month, 0);
      i += 1;
    } else if (ch == '2' && starts("2006")) {
      AppendInt(&out, c.year, 4);
      i += 4;
    } else if (ch == '2') {
      AppendInt(&out, c.day, 0);
      i += 1;
    } else if (ch == '_' && starts("_2006")) {
      out.push_back('_');
      AppendInt(&out, c.year, 4);
      i += 5;
    } else if (ch == '_' && starts("_2")) {
      if (c.day < 10) out.push_back(' ');
      AppendInt(&out, c.day, 0);
      i += 2;
    } else if (ch == '3') {
      AppendInt(&out, c.hour % 12 == 0 ? 12 : c.hour % 12, 0);
      i += 1;
    } else if (ch == '4') {
      AppendInt(&out, c.minute, 0);
      i += 1;
    } else if (ch == '5') {
      AppendInt(&out, c.second, 0);
      i += 1;
    } else if (ch == 'P' && starts("PM")) {
      out += c.hour >= 12 ? "PM" : "AM";
      i += 2;
    } else if (ch == 'p' && starts("pm")) {
      out += c.hour >= 12 ? "pm" : "am";
      i += 2;
    } else if (ch == '-' && (starts("-070000") || starts("-07:00:00") || starts("-0700") ||
                             starts("-07:00") || starts("-07"))) {
      // UTC: a zero offset in the layout's shape.
      for (std::string_view form : {"-07:00:00", "-070000", "-07:00", "-0700", "-07"}) {
        if (starts(form)) {
          out.push_back('+');
          for (char f : form.substr(1)) out.push_back(f == ':' ? ':' : '0');
          i += form.size();
          break;
        }
      }
    } else if (ch == 'Z' && (starts("Z070000") || starts("Z07:00:00") || starts("Z0700") ||
                             starts("Z07:00") || starts("Z07"))) {
      for (std::string_view form : {"Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07"}) {
        if (starts(form)) {
          out.push_back('Z');
          i += form.size();
          break;
        }
      }
    } else if ((ch == '.' || ch == ',') && i + 1 < layout.size() &&
               (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      const char digit = layout[i + 1];
      size_t j = i + 1;
      while (j < layout.size() && layout[j] == digit) ++j;
      if (IsDigitAt(layout, j)) {
        out.push_back(ch);
        ++i;
        continue;
      }
      const size_t n = std::min<size_t>(j - (i + 1), 9);
      char nanos[16];
      std::snprintf(nanos, sizeof(nanos), "%09d", static_cast<int>(t.nsec));
      std::string frac(nanos, n);
      if (digit == '9') {
        while (!frac.empty() && frac.back() == '0') frac.pop_back();
      }
      if (!frac.empty()) {
        out.push_back(ch);
        out += frac;
      }
      i = j;
    } else {
      out.push_back(ch);
      ++i;
    }
  }
  return out;
}

std::string FormatTimeString(const Time& t) {
  return FormatTimeLayout(t, "2006-01-02 15:04:05.999999999 -0700 MST");
}

std::string DurationString(int64_t ms) {
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

}  // namespace codebot::go
