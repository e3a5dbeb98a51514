// The offline commands: check config, check rules, test rules. Each prints what it found and
// returns the process exit code (0 fine, 1 problems found).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace codebot::app {

int CheckConfigCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);
int CheckRulesCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);
int TestRulesCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

}  // namespace codebot::app
