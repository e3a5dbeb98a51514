#include "exporter/app/commands.h"

#include "exporter/config/config.h"
#include "exporter/config/yaml.h"
#include "exporter/rules/check.h"
#include "exporter/rules/rule_file.h"
#include "exporter/rules/unit_test_runner.h"

namespace codebot::app {

int CheckConfigCommand(const std::vector<std::string>& files, std::ostream& out,
                       std::ostream& err) {
  int status = 0;
  for (const auto& file : files) {
    config::Config config;
    try {
      config = config::LoadFile(file);
    } catch (const config::ConfigError& e) {
      err << "Checking " << file << "\n  FAILED: " << e.what() << "\n";
      status = 1;
      continue;
    }
    // Like promtool check config: the rule files it names are checked too.
    std::vector<std::string> errors;
    const auto rule_files = rules::ExpandRuleFilePatterns(config.rule_files, &errors);
    // promtool's wording: the config itself is fine, and this many rule files are named.
    out << "Checking " << file << "\n  SUCCESS: " << rule_files.size() << " rule files found\n\n";
    for (const auto& error : errors) {
      err << "  FAILED: " << error << "\n";
      status = 1;
    }
    if (!rule_files.empty() && rules::CheckRuleFiles(rule_files, out, err) != 0) status = 1;
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
