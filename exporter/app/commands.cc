#include "exporter/app/commands.h"

#include "exporter/config/config.h"
#include "exporter/config/yaml.h"

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
  (void)files;
  (void)out;
  err << "check rules: the rule engine is not built yet\n";
  return 1;
}

int TestRulesCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  (void)files;
  (void)out;
  err << "test rules: the rule engine is not built yet\n";
  return 1;
}

}  // namespace codebot::app
