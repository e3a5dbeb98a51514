#include "exporter/rules/check.h"

#include "exporter/rules/rule_file.h"

namespace codebot::rules {

int CheckRuleFiles(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  bool failed = false;
  for (const auto& file : files) {
    out << "Checking " << file << "\n";
    const RuleFileResult result = ParseRuleFile(file);
    if (!result.ok()) {
      err << "  FAILED:\n";
      for (const auto& error : result.errors) err << error << "\n";
      failed = true;
    } else if (auto duplicates = FindDuplicateRules(result.groups); !duplicates.empty()) {
      // promtool reports this lint as FAILED but still exits 0.
      err << "  FAILED:\nlint error " << duplicates.size() << " duplicate rule(s) found.\n";
      for (const auto& duplicate : duplicates) {
        err << "Metric: " << duplicate.name << "\nLabel(s):\n";
        for (const auto& label : duplicate.labels) {
          err << "\t" << label.name << ": " << label.value << "\n";
        }
      }
      err << "Might cause inconsistency while recording expressions\n";
    } else {
      out << "  SUCCESS: " << result.RuleCount() << " rules found\n";
    }
    out << "\n";
  }
  return failed ? 1 : 0;
}

}  // namespace codebot::rules
