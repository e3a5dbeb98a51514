// The rule engine's one door to the template engine (rules/template/): alert label and
// annotation templates are checked when rule files load and expanded at each evaluation with
// Prometheus' conventions ($labels, $value, $externalLabels, $externalURL; a failed expansion
// yields "<error expanding template: ...>").
#pragma once

#include <optional>
#include <string>

#include "exporter/rules/rule.h"

namespace codebot::rules {

// The parse error of an alert's template, named "__alert_<alert_name>" as Prometheus names it;
// nullopt when it parses.
std::optional<std::string> CheckAlertTemplate(const std::string& alert_name,
                                              const std::string& text);

// Expansion through rules/template/.
ExpandFunc DefaultExpandFunc();

}  // namespace codebot::rules
