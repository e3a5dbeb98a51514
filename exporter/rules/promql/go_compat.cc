#include "exporter/rules/promql/go_compat.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "exporter/rules/go/strconv.h"

namespace codebot::promql {
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

}  // namespace codebot::promql
