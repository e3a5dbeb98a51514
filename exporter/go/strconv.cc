#include "exporter/go/strconv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "exporter/core/utf8.h"
#include "exporter/go/unicode.h"

namespace codebot::go {
namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

// A decimal as strconv works with it: value = 0.d[0]d[1]... x 10^dp, no trailing zeros in d;
// zero has no digits.
struct Decimal {
  std::string d;
  int dp = 0;
};

// Parses "D.DDDDe+XX" (what both to_chars and printf("%e") produce) into a Decimal.
Decimal ParseScientific(std::string_view s) {
  Decimal out;
  const size_t e = s.find_first_of("eE");
  const std::string_view mantissa = s.substr(0, e);
  out.d.reserve(mantissa.size());
  for (char c : mantissa) {
    if (c >= '0' && c <= '9') out.d.push_back(c);
  }
  std::string_view exponent_text = s.substr(e + 1);
  if (!exponent_text.empty() && exponent_text[0] == '+') exponent_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  while (!out.d.empty() && out.d.back() == '0') out.d.pop_back();
  if (out.d.empty()) return Decimal{};  // zero
  out.dp = exponent + 1;
  return out;
}

Decimal ShortestDecimal(double v) {
  char buf[64];
  const auto result =
      std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  return ParseScientific(std::string_view(buf, static_cast<size_t>(result.ptr - buf)));
}

// Correctly rounded to `digits` significant digits (glibc rounds the exact binary value, like Go).
Decimal RoundedDecimal(double v, int digits) {
  char buf[512];
  const int n = std::snprintf(buf, sizeof(buf), "%.*e", digits - 1, std::fabs(v));
  return ParseScientific(std::string_view(buf, static_cast<size_t>(n)));
}

void AppendE(std::string* out, const Decimal& d, int prec, char e) {
  out->push_back(d.d.empty() ? '0' : d.d[0]);
  if (prec > 0) {
    out->push_back('.');
    int i = 1;
    const int m = std::min(static_cast<int>(d.d.size()), prec + 1);
    for (; i < m; ++i) out->push_back(d.d[static_cast<size_t>(i)]);
    for (; i <= prec; ++i) out->push_back('0');
  }
  out->push_back(e);
  int exp = d.d.empty() ? 0 : d.dp - 1;
  if (exp < 0) {
    out->push_back('-');
    exp = -exp;
  } else {
    out->push_back('+');
  }
  if (exp < 10) {
    out->push_back('0');
    out->push_back(static_cast<char>('0' + exp));
  } else {
    *out += std::to_string(exp);
  }
}

void AppendF(std::string* out, const Decimal& d, int prec) {
  const int nd = static_cast<int>(d.d.size());
  if (d.dp > 0) {
    int m = std::min(nd, d.dp);
    out->append(d.d, 0, static_cast<size_t>(m));
    for (; m < d.dp; ++m) out->push_back('0');
  } else {
    out->push_back('0');
  }
  if (prec > 0) {
    out->push_back('.');
    for (int i = 1; i <= prec; ++i) {
      const int j = d.dp + i - 1;
      out->push_back(j >= 0 && j < nd ? d.d[static_cast<size_t>(j)] : '0');
    }
  }
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// strconv's underscoreOK: '_' only between digits (a base prefix counts as a digit).
bool UnderscoreOk(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (Lower(s[1]) == 'b' || Lower(s[1]) == 'o' || Lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = Lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && Lower(c) >= 'a' && Lower(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

// Unsigned magnitude of an unsigned integer literal in Go's base-0 syntax.
bool ParseMagnitude(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  const std::string_view original = s;
  int base = 10;
  if (s[0] == '0') {
    if (s.size() >= 3 && Lower(s[1]) == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && Lower(s[1]) == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && Lower(s[1]) == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (s.size() > 1) {
      base = 8;
      s.remove_prefix(1);
    }
  }
  bool underscores = false;
  uint64_t n = 0;
  bool any = false;
  for (char c : s) {
    int digit;
    if (c == '_') {
      underscores = true;
      continue;
    }
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (Lower(c) >= 'a' && Lower(c) <= 'z') {
      digit = Lower(c) - 'a' + 10;
    } else {
      return false;
    }
    if (digit >= base) return false;
    const auto b = static_cast<uint64_t>(base);
    if (n > (UINT64_MAX - static_cast<uint64_t>(digit)) / b) return false;  // overflow
    n = n * b + static_cast<uint64_t>(digit);
    any = true;
  }
  if (!any && base != 8) return false;
  if (underscores && !UnderscoreOk(original)) return false;
  *out = n;
  return true;
}

bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// Go's float literal syntax (readFloat): decimal or hex mantissa, optional exponent.
bool ValidFloatSyntax(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  bool hex = false;
  if (i + 1 < s.size() && s[i] == '0' && Lower(s[i + 1]) == 'x') {
    hex = true;
    i += 2;
  }
  bool digits = false;
  bool dot = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') continue;
    if (c == '.') {
      if (dot) return false;
      dot = true;
      continue;
    }
    if ((c >= '0' && c <= '9') || (hex && Lower(c) >= 'a' && Lower(c) <= 'f')) {
      digits = true;
      continue;
    }
    break;
  }
  if (!digits) return false;
  if (i < s.size() && Lower(s[i]) == (hex ? 'p' : 'e')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    bool exp_digits = false;
    for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); ++i) {
      if (s[i] != '_') exp_digits = true;
    }
    if (!exp_digits) return false;
  } else if (hex) {
    return false;  // a hex mantissa needs a 'p' exponent
  }
  if (i != s.size()) return false;
  if (s.find('_') != std::string_view::npos && !UnderscoreOk(s)) return false;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Quote(std::string_view s, char quote, bool ascii_only) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back(quote);
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    const char32_t r = utf8::DecodeRune(s, pos, &width);
    if (width == 1 && r == utf8::kRuneError) {
      const auto b = static_cast<unsigned char>(s[pos]);
      out += "\\x";
      out.push_back(kLowerHex[b >> 4]);
      out.push_back(kLowerHex[b & 0xF]);
      pos += width;
      continue;
    }
    pos += width;
    if (r == static_cast<char32_t>(quote) || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
      continue;
    }
    if (ascii_only ? (r < 0x80 && IsPrint(r)) : IsPrint(r)) {
      utf8::AppendRune(&out, r);
      continue;
    }
    switch (r) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (r < ' ' || r == 0x7F) {
          out += "\\x";
          out.push_back(kLowerHex[(r >> 4) & 0xF]);
          out.push_back(kLowerHex[r & 0xF]);
        } else if (r < 0x10000) {
          out += "\\u";
          for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kLowerHex[(r >> shift) & 0xF]);
        } else {
          out += "\\U";
          for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kLowerHex[(r >> shift) & 0xF]);
        }
    }
  }
  out.push_back(quote);
  return out;
}

std::string QuoteRune(int64_t r, bool ascii_only) {
  std::string encoded;
  const bool valid = r >= 0 && r <= 0x10FFFF && !(r >= 0xD800 && r <= 0xDFFF);
  utf8::AppendRune(&encoded, valid ? static_cast<char32_t>(r) : utf8::kRuneError);
  return Quote(encoded, '\'', ascii_only);
}

bool CanBackquote(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    const char32_t r = utf8::DecodeRune(s, pos, &width);
    pos += width;
    if ((r == utf8::kRuneError && width == 1) || r == '`' || r == 0xFEFF ||
        (r < ' ' && r != '\t') || r == 0x7F) {
      return false;
    }
  }
  return true;
}

std::string FormatRuneU(char32_t r) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(r));
  std::string out = buf;
  if (IsPrint(r)) {
    out += " '";
    utf8::AppendRune(&out, r);
    out += "'";
  }
  return out;
}

bool Unquote(std::string_view quoted, std::string* out, Literal literal) {
  out->clear();
  if (quoted.size() < 2) return false;
  const char quote = quoted.front();
  if (quoted.back() != quote) return false;
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return false;
    for (char c : body) {
      if (c != '\r') out->push_back(c);  // raw strings drop carriage returns
    }
    return true;
  }
  if (quote != '"' && !(quote == '\'' && literal == Literal::kPromQL)) return false;
  size_t pos = 0;
  while (pos < body.size()) {
    const char c = body[pos];
    if (c == quote || c == '\n') return false;
    if (c != '\\') {
      if (literal == Literal::kPromQL) {
        out->push_back(c);
        ++pos;
        continue;
      }
      size_t width = 0;
      utf8::AppendRune(out,
                       utf8::DecodeRune(body, pos, &width));  // an invalid byte decodes as U+FFFD
      pos += width;
      continue;
    }
    if (++pos >= body.size()) return false;
    const char e = body[pos++];
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
        if (e != quote) return false;  // each quote kind escapes only itself
        out->push_back(e);
        break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        int value = e - '0';
        for (int i = 0; i < 2; ++i) {
          if (pos >= body.size() || body[pos] < '0' || body[pos] > '7') return false;
          value = value * 8 + (body[pos++] - '0');
        }
        if (value > 255) return false;
        out->push_back(static_cast<char>(value));
        break;
      }
      case 'x':
      case 'u':
      case 'U': {
        const int digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        char32_t value = 0;
        for (int i = 0; i < digits; ++i) {
          if (pos >= body.size()) return false;
          const int h = HexValue(body[pos++]);
          if (h < 0) return false;
          value = value * 16 + static_cast<char32_t>(h);
        }
        if (e == 'x') {
          out->push_back(static_cast<char>(value));
        } else {
          if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
          utf8::AppendRune(out, value);
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

std::string FormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string out;
  out.reserve(24);  // most results fit: no regrowing
  if (std::signbit(v)) out.push_back('-');
  const bool upper = fmt == 'E' || fmt == 'G';
  switch (fmt) {
    case 'e':
    case 'E': {
      Decimal d;
      if (prec < 0) {
        d = ShortestDecimal(v);
        prec = std::max(static_cast<int>(d.d.size()) - 1, 0);
      } else {
        d = RoundedDecimal(v, prec + 1);
      }
      AppendE(&out, d, prec, upper ? 'E' : 'e');
      return out;
    }
    case 'f': {
      if (prec < 0) {
        const Decimal d = ShortestDecimal(v);
        AppendF(&out, d, std::max(static_cast<int>(d.d.size()) - d.dp, 0));
        return out;
      }
      out.clear();
      const int n = std::snprintf(nullptr, 0, "%.*f", prec, v);
      out.resize(static_cast<size_t>(n) + 1);
      std::snprintf(out.data(), out.size(), "%.*f", prec, v);
      out.resize(static_cast<size_t>(n));
      return out;
    }
    default: {  // 'g', 'G'
      const bool shortest = prec < 0;
      Decimal d;
      if (shortest) {
        d = ShortestDecimal(v);
        prec = static_cast<int>(d.d.size());
      } else {
        if (prec == 0) prec = 1;
        d = RoundedDecimal(v, prec);
      }
      const int nd = static_cast<int>(d.d.size());
      int eprec = prec;
      if (eprec > nd && nd >= d.dp) eprec = nd;
      if (shortest) eprec = 6;
      const int exp = d.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > nd) prec = nd;
        AppendE(&out, d, prec - 1, upper ? 'E' : 'e');
        return out;
      }
      if (prec > d.dp) prec = nd;
      AppendF(&out, d, std::max(prec - d.dp, 0));
      return out;
    }
  }
}

bool ParseFloat(std::string_view s, double* v, std::string* error) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualFold(body, "inf") || EqualFold(body, "infinity")) {
    *v = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (EqualFold(body, "nan") && body.size() == s.size()) {
    *v = std::nan("");
    return true;
  }
  if (!ValidFloatSyntax(s)) {
    if (error) *error = "strconv.ParseFloat: parsing " + Quote(s) + ": invalid syntax";
    return false;
  }
  // The common case, no '_' and in range, without a copy: from_chars rounds as strtod does
  // but takes neither a sign nor a "0x" prefix.
  if (body.find('_') == std::string_view::npos) {
    const bool hex = body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
    const std::string_view digits = hex ? body.substr(2) : body;
    double value = 0;
    const auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), value,
                        hex ? std::chars_format::hex : std::chars_format::general);
    if (ec == std::errc() && end == digits.data() + digits.size()) {
      *v = negative ? -value : value;
      return true;
    }
  }
  // Underscores, or a value out of range: strtod tells overflow (an error in Go) from underflow
  // (0 or a subnormal, no error).
  std::string clean;
  for (char c : s) {
    if (c != '_') clean.push_back(c);
  }
  *v = std::strtod(clean.c_str(), nullptr);
  if (std::isinf(*v)) {
    if (error) *error = "strconv.ParseFloat: parsing " + Quote(s) + ": value out of range";
    return false;
  }
  return true;
}

bool ParseUint(std::string_view s, uint64_t* v) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) return false;
  return ParseMagnitude(s, v);
}

bool ParseInt(std::string_view s, int64_t* v) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t magnitude = 0;
  if (!ParseMagnitude(s, &magnitude)) return false;
  constexpr uint64_t kCutoff = uint64_t{1} << 63;
  if (!negative && magnitude >= kCutoff) return false;
  if (negative && magnitude > kCutoff) return false;
  *v = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

bool UnquoteChar(std::string_view s, char32_t* r, size_t* used) {
  if (s.empty() || s[0] == '\'') return false;
  if (static_cast<unsigned char>(s[0]) >= 0x80) {
    *r = utf8::DecodeRune(s, 0, used);
    return true;
  }
  if (s[0] != '\\') {
    *r = static_cast<unsigned char>(s[0]);
    *used = 1;
    return true;
  }
  if (s.size() < 2) return false;
  const char c = s[1];
  *used = 2;
  switch (c) {
    case 'a':
      *r = '\a';
      return true;
    case 'b':
      *r = '\b';
      return true;
    case 'f':
      *r = '\f';
      return true;
    case 'n':
      *r = '\n';
      return true;
    case 'r':
      *r = '\r';
      return true;
    case 't':
      *r = '\t';
      return true;
    case 'v':
      *r = '\v';
      return true;
    case '\\':
      *r = '\\';
      return true;
    case '\'':
      *r = '\'';
      return true;
    case 'x':
    case 'u':
    case 'U': {
      const size_t digits = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
      if (s.size() < 2 + digits) return false;
      char32_t value = 0;
      for (size_t i = 0; i < digits; ++i) {
        const char h = s[2 + i];
        int d = -1;
        if (h >= '0' && h <= '9') d = h - '0';
        if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
        if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
        if (d < 0) return false;
        value = value * 16 + static_cast<char32_t>(d);
      }
      if (c != 'x' && (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))) return false;
      *r = value;
      *used = 2 + digits;
      return true;
    }
    default:
      if (c >= '0' && c <= '7') {
        if (s.size() < 4) return false;
        char32_t value = 0;
        for (size_t i = 1; i < 4; ++i) {
          if (s[i] < '0' || s[i] > '7') return false;
          value = value * 8 + static_cast<char32_t>(s[i] - '0');
        }
        if (value > 255) return false;
        *r = value;
        *used = 4;
        return true;
      }
      return false;
  }
}

}  // namespace codebot::go
