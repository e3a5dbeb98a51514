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
