// The few Go behaviours PromQL results depend on beyond those in exporter/rules/go (which the
// templates share): number literals, math.Max/Min, regexp template expansion, label names,
// reproduced so that our answers and labels are byte-for-byte what Prometheus produces. Pure
// functions; no state, no allocation beyond the returned strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codebot::promql {

// A PromQL number literal as the lexer hands it over, read as Prometheus' parser does:
// strconv.ParseInt(s, 0, 64) first (so "0x1f" is hex and "010" is octal), then
// strconv.ParseFloat. Number formatting and parsing themselves are rules::go's.
std::optional<double> ParseNumberLiteral(std::string_view s);

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
