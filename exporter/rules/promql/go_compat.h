// The few Go behaviours PromQL results depend on beyond those in exporter/rules/go (strconv,
// unicode and regexp, which the templates share): number literals and math.Max/Min, reproduced
// so that our answers and labels are byte-for-byte what Prometheus produces. Pure functions; no
// state, no allocation beyond the returned strings.
#pragma once

#include <optional>
#include <string_view>

namespace codebot::promql {

// A PromQL number literal as the lexer hands it over, read as Prometheus' parser does:
// strconv.ParseInt(s, 0, 64) first (so "0x1f" is hex and "010" is octal), then
// strconv.ParseFloat. Number formatting and parsing themselves are rules::go's.
std::optional<double> ParseNumberLiteral(std::string_view s);

// Go's math.Max / math.Min, which differ from std::fmax/fmin: NaN wins unless the other side is
// the matching infinity.
double GoMax(double x, double y);
double GoMin(double x, double y);

}  // namespace codebot::promql
