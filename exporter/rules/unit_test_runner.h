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

#include <ostream>
#include <string>
#include <vector>

namespace codebot::rules {

int RunRuleTests(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

}  // namespace codebot::rules
