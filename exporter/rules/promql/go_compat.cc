#include "exporter/rules/promql/go_compat.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace codebot::promql {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// Digits [. digits] or . digits, then an optional exponent: what Go's readFloat accepts for base
// 10 (no underscores without a base prefix).
bool ValidDecimal(std::string_view s) {
  size_t i = 0;
  size_t mantissa_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// Hex mantissa with a mandatory binary exponent, as Go requires for hex floats.
bool ValidHexFloat(std::string_view s) {
  size_t i = 0;
  size_t mantissa_digits = 0;
  while (i < s.size() && IsHexDigit(s[i])) ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsHexDigit(s[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return false;
  if (i >= s.size() || (s[i] != 'p' && s[i] != 'P')) return false;
  ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t exp_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
  return exp_digits > 0 && i == s.size();
}

// Overflow or underflow: strtod tells which (both directions report ERANGE).
std::optional<double> OutOfRange(std::string_view text) {
  std::string copy(text);
  double v = std::strtod(copy.c_str(), nullptr);
  if (std::isinf(v)) return std::nullopt;  // Go: ErrRange
  return v;                                // underflow to 0 or a subnormal is fine in Go
}

std::optional<uint64_t> ParseUnsigned(std::string_view digits, int base) {
  if (digits.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// Shortest round-trip digits and decimal exponent of a finite, non-zero |v|: v = 0.d1d2... x
// 10^point.
void ShortestDigits(double v, std::string* digits, int* point) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  std::string_view text(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = text.find('e');
  digits->clear();
  for (size_t i = 0; i < e; ++i) {
    if (text[i] != '.') digits->push_back(text[i]);
  }
  int exponent = 0;
  std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1), text.data() + text.size(),
                  exponent);
  *point = exponent + 1;
}

}  // namespace

std::optional<double> ParseGoFloat(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (EqualsIgnoreCase(body, "nan")) {
    if (body.size() != s.size()) return std::nullopt;  // Go rejects a signed NaN
    return std::numeric_limits<double>::quiet_NaN();
  }
  double value = 0;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    std::string_view hex = body.substr(2);
    if (!ValidHexFloat(hex)) return std::nullopt;
    auto [ptr, ec] =
        std::from_chars(hex.data(), hex.data() + hex.size(), value, std::chars_format::hex);
    if (ec == std::errc::result_out_of_range) {
      auto v = OutOfRange(body);
      if (!v) return std::nullopt;
      value = *v;
    } else if (ec != std::errc() || ptr != hex.data() + hex.size()) {
      return std::nullopt;
    }
  } else {
    if (!ValidDecimal(body)) return std::nullopt;
    auto [ptr, ec] =
        std::from_chars(body.data(), body.data() + body.size(), value, std::chars_format::general);
    if (ec == std::errc::result_out_of_range) {
      auto v = OutOfRange(body);
      if (!v) return std::nullopt;
      value = *v;
    } else if (ec != std::errc() || ptr != body.data() + body.size()) {
      return std::nullopt;
    }
  }
  return negative ? -value : value;
}

std::optional<double> ParseNumberLiteral(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    auto v = ParseUnsigned(s.substr(2), 16);
    if (v && *v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<double>(static_cast<int64_t>(*v));
    }
    return ParseGoFloat(s);  // fails: Go wants a 'p' exponent in hex floats
  }
  bool all_digits = !s.empty();
  for (char c : s) all_digits = all_digits && IsDigit(c);
  if (all_digits) {
    bool octal = s.size() > 1 && s[0] == '0';
    auto v = ParseUnsigned(octal ? s.substr(1) : s, octal ? 8 : 10);
    if (v && *v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<double>(static_cast<int64_t>(*v));
    }
  }
  return ParseGoFloat(s);
}

std::string FormatFloatG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  std::string digits;
  int point = 0;
  ShortestDigits(v, &digits, &point);
  std::string out = v < 0 ? "-" : "";
  const int exponent = point - 1;
  // For the shortest form Go decides between %e and %f as if the precision were 6.
  if (exponent < -4 || exponent >= 6) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += 'e';
    out += exponent < 0 ? '-' : '+';
    int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
    return out;
  }
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out += digits;
    out.append(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out.append(digits, 0, static_cast<size_t>(point));
    out += '.';
    out.append(digits, static_cast<size_t>(point), std::string::npos);
  }
  return out;
}

std::string FormatFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

namespace {

void AppendUtf8(uint32_t r, std::string* out) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  }
}

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool UnquoteString(std::string_view quoted, std::string* out, std::string* error) {
  out->clear();
  auto fail = [&](const char* why) {
    if (error) *error = why;
    return false;
  };
  if (quoted.size() < 2) return fail("invalid syntax");
  const char quote = quoted.front();
  if (quoted.back() != quote) return fail("invalid syntax");
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return fail("invalid syntax");
    for (char c : body) {
      if (c != '\r') out->push_back(c);  // Go drops carriage returns from raw strings
    }
    return true;
  }
  if (quote != '"' && quote != '\'') return fail("invalid syntax");
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == quote || c == '\n') return fail("invalid syntax");
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= body.size()) return fail("invalid syntax");
    char e = body[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '\'':
      case '"':
        if (e != quote) return fail("invalid syntax");
        out->push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > body.size()) return fail("invalid syntax");
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          int h = HexValue(body[i + k]);
          if (h < 0) return fail("invalid syntax");
          v = v * 16 + static_cast<uint32_t>(h);
        }
        i += n;
        if (e == 'x') {
          out->push_back(static_cast<char>(v));
        } else {
          if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return fail("invalid syntax");
          AppendUtf8(v, out);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > body.size()) return fail("invalid syntax");
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (size_t k = 0; k < 2; ++k) {
            char d = body[i + k];
            if (d < '0' || d > '7') return fail("invalid syntax");
            v = v * 8 + static_cast<uint32_t>(d - '0');
          }
          if (v > 255) return fail("invalid syntax");
          i += 2;
          out->push_back(static_cast<char>(v));
          break;
        }
        return fail("invalid syntax");
    }
  }
  return true;
}

double GoMax(double x, double y) {
  if ((std::isinf(x) && x > 0) || (std::isinf(y) && y > 0)) {
    return std::numeric_limits<double>::infinity();
  }
  if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}

double GoMin(double x, double y) {
  if ((std::isinf(x) && x < 0) || (std::isinf(y) && y < 0)) {
    return -std::numeric_limits<double>::infinity();
  }
  if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

namespace {

bool IsNameChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  // Bytes of multi-byte UTF-8 sequences count as letters, as Go's unicode.IsLetter would for
  // the usual scripts.
  return IsDigit(c) || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || u >= 0x80;
}

}  // namespace

std::string ExpandTemplate(std::string_view tmpl, const RegexGroups& groups) {
  std::string out;
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    // Extract a name, braced or bare.
    std::string_view rest = tmpl;
    bool brace = !rest.empty() && rest[0] == '{';
    if (brace) rest.remove_prefix(1);
    size_t n = 0;
    while (n < rest.size() && IsNameChar(rest[n])) ++n;
    bool ok = n > 0 && (!brace || (n < rest.size() && rest[n] == '}'));
    if (!ok) {
      out.push_back('$');  // malformed: the '$' is plain text
      continue;
    }
    std::string_view name = rest.substr(0, n);
    tmpl = rest.substr(n + (brace ? 1 : 0));
    int number = 0;
    for (char c : name) {
      if (!IsDigit(c) || number >= 100000000) {
        number = -1;
        break;
      }
      number = number * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') number = -1;  // no leading zeros
    int index = -1;
    if (number >= 0) {
      index = number;
    } else {
      for (const auto& [group_name, group_index] : groups.names) {
        if (group_name == name) {
          index = group_index;
          break;
        }
      }
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.groups.size() &&
        groups.groups[static_cast<size_t>(index)]) {
      out.append(*groups.groups[static_cast<size_t>(index)]);
    }
  }
  out.append(tmpl);
  return out;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && IsDigit(c))) return false;
  }
  return true;
}

}  // namespace codebot::promql
