// `codebot-exporter test rules FILE...`: rule unit tests in promtool's format, unchanged
// (rule_files, evaluation_interval, group_eval_order, tests[] with interval, input_series,
// alert_rule_test, promql_expr_test, external_labels, external_url, name), with the verdicts of
// `promtool test rules` 2.42 and its failure messages. Exit code 0 when every file passes.
//
// As promtool does: the groups are evaluated at every evaluation_interval step from 0 to the
// largest eval_time, input samples appear as time reaches them, alert tests compare the firing
// alerts (pending ones excluded) as sets right after the evaluation at or just before their
// eval_time, and promql_expr_test queries run at the end and compare values exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "exporter/promql/engine.h"
#include "exporter/promql/series_notation.h"

namespace codebot::rules {

// Bounds on one run. The defaults are promtool's (no step limit; the engine's own max-samples
// and timeout for every query); the fuzzer lowers them so that each input stays fast.
struct RuleTestLimits {
  // Evaluation steps of one test group (largest eval_time / evaluation_interval + 1); a group
  // needing more fails with an error saying so. 0: no limit.
  int64_t max_steps = 0;
  // Values one input_series may expand to.
  size_t max_series_values = promql::kMaxSeriesValues;
  // max_samples and timeout_ms apply to every rule evaluation and promql_expr_test.
  promql::EvalOptions query;
};

int RunRuleTests(const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
                 const RuleTestLimits& limits = {});

}  // namespace codebot::rules
