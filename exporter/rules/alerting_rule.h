// The alert state machine of one alerting rule, with the semantics of Prometheus 2.42
// (rules/alerting.go): inactive -> pending -> firing -> resolved, `for` counted from the first
// evaluation that returned the alert (ActiveAt), `keep_firing_for` counted from the first
// evaluation that no longer did, resolved alerts kept 15 minutes so they are delivered, ALERTS and
// ALERTS_FOR_STATE samples for every pending or firing alert. Never blocks on I/O: the query and
// template functions come from the caller.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "exporter/alerts/alert.h"
#include "exporter/rules/rule.h"

namespace codebot::rules {

enum class AlertState { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState state);  // "inactive", "pending", "firing"

// Prometheus keeps a resolved alert this long, so it is sent as resolved more than once.
inline constexpr int64_t kResolvedRetentionMs = int64_t{15} * 60 * 1000;

struct ActiveAlert {
  AlertState state = AlertState::kPending;
  Labels labels;       // sorted, alertname included
  Labels annotations;  // sorted by name
  double value = 0;
  int64_t active_at_ms = kNoTime;
  int64_t fired_at_ms = kNoTime;
  int64_t resolved_at_ms = kNoTime;
  int64_t last_sent_at_ms = kNoTime;
  int64_t valid_until_ms = kNoTime;
  int64_t keep_firing_since_ms = kNoTime;

  // Prometheus' needsSending: firing alerts every resend_delay, a fresh resolution at once.
  bool NeedsSending(int64_t t_ms, int64_t resend_delay_ms) const;
};

class AlertingRule : public Rule {
 public:
  explicit AlertingRule(RuleSpec spec) : Rule(std::move(spec)) {}

  EvalOutput Eval(int64_t t_ms, const EvalContext& context, int64_t limit) override;

  // Copies of the alerts held (pending, firing, and resolved ones still retained).
  std::vector<ActiveAlert> Alerts() const;
  // Pending and firing only, as /api/v1/alerts lists them.
  std::vector<ActiveAlert> ActiveAlerts() const;
  // Highest state among the held alerts.
  AlertState State() const;

  // The alerts to notify after an evaluation at t; marks them sent.
  std::vector<alerts::Alert> TakeAlertsToSend(int64_t t_ms, int64_t resend_delay_ms,
                                              int64_t interval_ms, const EvalContext& context);

  // Takes over the held alerts of the same rule from before a reload.
  void CopyAlertsFrom(const AlertingRule& from);

 private:
  mutable std::mutex alerts_mutex_;
  std::map<Labels, ActiveAlert> active_;  // keyed by the alert's labels
};

// Prometheus' graph link for an expression: <external_url>/graph?g0.expr=...&g0.tab=1.
std::string GeneratorUrl(const std::string& external_url, const std::string& expr);

}  // namespace codebot::rules
