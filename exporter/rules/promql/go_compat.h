// The few Go standard-library behaviours PromQL results depend on (number parsing and printing,
// math.Max/Min, regexp template expansion), reproduced so that our answers and labels are
// byte-for-byte what Prometheus produces; quoting is rules::go::Quote, shared with the templates.
// Pure functions; no state, no allocation beyond the returned strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codebot::promql {

// strconv.ParseFloat(s, 64): decimal, hex ("0x1p-2"), inf/infinity/nan (any case, signed inf).
// Out of range values are errors (nullopt); underflow gives 0 or a subnormal, like Go.
std::optional<double> ParseGoFloat(std::string_view s);

// A PromQL number literal as the lexer hands it over: strconv.ParseInt(s, 0, 64) first (so
// "0x1f" is hex and "010" is octal), then strconv.ParseFloat.
std::optional<double> ParseNumberLiteral(std::string_view s);

// fmt's %v for a float64, i.e. strconv.FormatFloat(v, 'g', -1, 64): shortest digits, exponent
// form below 1e-4 and from 1e6 on: "1e+06", "123456", "0.0001", "1e-05", "NaN", "+Inf".
std::string FormatFloatG(double v);

// strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. count_values uses it.
std::string FormatFloatF(double v);

// Prometheus' strutil.Unquote: "..." and '...' with Go escapes (each quote kind may only escape
// itself), `...` raw. Returns false on a malformed literal.
bool UnquoteString(std::string_view quoted, std::string* out, std::string* error);

// Go's math.Max / math.Min, which differ from std::fmax/fmin: NaN wins unless the other side is
// the matching infinity.
double GoMax(double x, double y);
double GoMin(double x, double y);

// Go's regexp Expand template: "$1", "${1}", "$name", "${name}", "$$". A name is as long as
// possible ("$1x" is the group named "1x", which does not exist, so it expands to nothing).
// `groups` are the submatches (index 0 = whole match; empty optional = group did not take part).
struct RegexGroups {
  std::vector<std::optional<std::string_view>> groups;
  std::vector<std::pair<std::string, int>> names;  // named group -> index
};
std::string ExpandTemplate(std::string_view tmpl, const RegexGroups& groups);

// model.LabelName.IsValid: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(std::string_view name);

}  // namespace codebot::promql
