// Alertmanager's matcher syntax, as route `matchers`, inhibit rules and playbooks write it:
// `alertname="BotServiceDown"`, `severity=~"warning|critical"`, `job!=bot`, a list like
// `{service="bot", severity!="info"}` or `a="1",b=~"x.*"`. Values may be double-quoted (with \"
// \\ \n escapes) or bare; regexes are anchored as in Alertmanager. Parsing never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"
#include "exporter/core/series.h"

namespace codebot {

// One matcher; nullopt and *error (what is wrong, with the text quoted) when it doesn't parse.
std::optional<Matcher> ParseLabelMatcher(std::string_view text, std::string* error);

// A comma-separated list, optionally in braces; commas inside quoted values don't separate.
std::optional<std::vector<Matcher>> ParseLabelMatchers(std::string_view text, std::string* error);

// True when every matcher matches the label set (an absent label matches as "").
bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels);

// The matcher in Alertmanager's canonical form: name, operator, value in double quotes.
std::string MatcherString(const Matcher& matcher);

}  // namespace codebot
