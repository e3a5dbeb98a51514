#include "exporter/rules/rule.h"

namespace codebot::rules {

std::string_view RuleHealthName(RuleHealth health) {
  switch (health) {
    case RuleHealth::kOk:
      return "ok";
    case RuleHealth::kErr:
      return "err";
    case RuleHealth::kUnknown:
      break;
  }
  return "unknown";
}

std::vector<std::string_view> FailureReasons() {
  return {kReasonQuery, kReasonDuplicate, kReasonLimit};
}

RuleStatus Rule::Status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void Rule::SetStatus(RuleHealth health, std::string last_error) {
  std::lock_guard lock(status_mutex_);
  status_.health = health;
  status_.last_error = std::move(last_error);
}

void Rule::SetTiming(double evaluation_seconds, int64_t evaluated_at_ms) {
  std::lock_guard lock(status_mutex_);
  status_.evaluation_seconds = evaluation_seconds;
  status_.last_evaluation_ms = evaluated_at_ms;
}

}  // namespace codebot::rules
