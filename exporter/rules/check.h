// `codebot-exporter check rules FILE...`: the same checks and verdicts as `promtool check rules`
// (exit code 0 when every file is valid, 1 otherwise), with every problem located as
// file:line:col, and promtool's duplicate-rules lint as a non-fatal warning.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace codebot::rules {

int CheckRuleFiles(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

}  // namespace codebot::rules
