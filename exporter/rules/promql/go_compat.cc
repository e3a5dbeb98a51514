#include "exporter/rules/promql/go_compat.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "exporter/rules/go/strconv.h"

namespace codebot::promql {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<double> ParseNumberLiteral(std::string_view s) {
  int64_t i = 0;
  if (rules::go::ParseInt(s, &i)) return static_cast<double>(i);
  double v = 0;
  if (rules::go::ParseFloat(s, &v)) return v;
  return std::nullopt;
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
