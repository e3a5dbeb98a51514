// Fuzzes `codebot-exporter test rules`: the input is a rule-test file in promtool's format
// (input_series in the series notation, alert_rule_test, promql_expr_test, ...), written to a
// private temporary folder beside a fixed rule file it may name as rules.yml (and copies of
// rules/alerts.yml and the shared bot-alerts.rules.yml, which the seeds name). The run is capped
// (evaluation steps, samples per query, query time) so that each input stays fast.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

#include "exporter/core/log.h"
#include "exporter/rules/unit_test_runner.h"

namespace {

constexpr const char* kRules = R"(groups:
- name: bot
  rules:
  - alert: BotDown
    expr: up{job="bot"} == 0
    for: 2m
    labels:
      severity: page
    annotations:
      summary: '{{ $labels.instance }} down, value {{ $value | humanize }}'
  - record: job:errors:rate1m
    expr: sum by (job) (rate(codebot_errors_total[1m]))
  - alert: ErrorsHigh
    expr: job:errors:rate1m > 0.5
    annotations:
      summary: '{{ with query "up" }}{{ . | first | value }}{{ end }}'
)";

const std::string& Dir() {
  static const std::string dir = [] {
    char pattern[] = "/tmp/codebot-fuzz-rule-tests-XXXXXX";
    const char* made = mkdtemp(pattern);
    if (made == nullptr) std::abort();
    std::ofstream(std::string(made) + "/rules.yml") << kRules;
    // The seeds (fuzz/corpus.py) name these by base name; a missing one only makes the runs
    // that name it end in "no file match pattern".
    const std::string source = CODEBOT_SOURCE_DIR;
    for (const std::string& file : {source + "/rules/alerts.yml",
                                    source + "/../shared/conformance/rules/bot-alerts.rules.yml"}) {
      std::ifstream in(file, std::ios::binary);
      if (!in) continue;
      std::ofstream(std::string(made) + "/" + file.substr(file.rfind('/') + 1)) << in.rdbuf();
    }
    return std::string(made);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    codebot::log::Init(codebot::log::Level::kError, codebot::log::Format::kLogfmt);
    return true;
  }();
  (void)quiet;
  const std::string path = Dir() + "/test.yml";
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::ostringstream out;
  std::ostringstream err;
  codebot::rules::RuleTestLimits limits;
  limits.max_steps = 2'000;
  limits.max_series_values = 10'000;
  limits.query.max_samples = 200'000;
  limits.query.timeout_ms = 2'000;
  (void)codebot::rules::RunRuleTests({path}, out, err, limits);
  return 0;
}
