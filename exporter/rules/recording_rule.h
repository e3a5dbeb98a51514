// A recording rule: evaluates its expression and writes the result under the recorded name with
// the rule's labels, as Prometheus 2.42 does (rules/recording.go).
#pragma once

#include "exporter/rules/rule.h"

namespace codebot::rules {

class RecordingRule : public Rule {
 public:
  explicit RecordingRule(RuleSpec spec) : Rule(std::move(spec)) {}
  EvalOutput Eval(int64_t t_ms, const EvalContext& context, int64_t limit) override;
};

}  // namespace codebot::rules
