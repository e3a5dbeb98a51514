#include "exporter/app/commands.h"

#include "exporter/config/config.h"
#include "exporter/config/yaml.h"
#include "exporter/rules/check.h"
#include "exporter/rules/unit_test_runner.h"

namespace codebot::app {

int CheckConfigCommand(const std::vector<std::string>& files, std::ostream& out,
                       std::ostream& err) {
  int status = 0;
  for (const auto& file : files) {
    try {
      const config::Config config = config::LoadFile(file);
      out << "Checking " << file << "\n  SUCCESS: " << file << " is valid\n";
    } catch (const config::ConfigError& e) {
      err << "Checking " << file << "\n  FAILED: " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}

int CheckRulesCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  return rules::CheckRuleFiles(files, out, err);
}

int TestRulesCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  return rules::RunRuleTests(files, out, err);
}

}  // namespace codebot::app
