// A rule group: its rules evaluated in order at one timestamp, each rule's results written to
// storage as its own writer (so a series a rule no longer returns goes stale), and the alerts to
// notify collected, as Prometheus 2.42's Group.Eval does. Scheduling lives in the manager; a Group
// is driven by one thread at a time and only read (status, alerts) by others.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/rules/alerting_rule.h"
#include "exporter/rules/rule.h"
#include "exporter/rules/rule_file.h"

namespace codebot::rules {

struct RuleFailure {
  std::string rule;
  std::string_view reason;  // one of FailureReasons()
  std::string error;
};

struct GroupEvalReport {
  size_t samples = 0;  // samples the rules returned (Prometheus' last_evaluation_samples)
  std::vector<alerts::Alert> to_send;
  std::vector<RuleFailure> failures;
  int template_errors = 0;
  double seconds = 0;
};

class Group {
 public:
  Group(GroupSpec spec, Duration default_interval);
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  const GroupSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  const std::string& file() const { return spec_.file; }
  std::string Key() const { return spec_.Key(); }
  Duration interval() const { return interval_; }
  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }

  // Same file, name, interval, limit and rule definitions: a reload leaves such a group running.
  bool Equals(const Group& other) const;

  // Takes over from the group this one replaces on reload (both stopped): the alert state of
  // rules matched by name and labels (duplicates in order) and the last evaluation's timing.
  void CopyState(const Group& from);

  // Evaluates every rule at t. Rule errors are recorded in the rule's status and the report;
  // the next rule still runs.
  GroupEvalReport Eval(int64_t t_ms, const EvalContext& context, ResultWriter* writer,
                       int64_t resend_delay_ms);

  // The writer name of each rule: group key plus the rule's identity (name and labels, with a
  // counter for duplicates), stable across reloads exactly when Prometheus carries state over.
  const std::vector<std::string>& writers() const { return writers_; }

  // The ALERTS / ALERTS_FOR_STATE series of the last evaluation of each alerting rule.
  std::vector<OutputSample> AlertSeries() const;

  double last_evaluation_seconds() const;
  int64_t last_evaluation_ms() const;  // kNoTime before the first evaluation

 private:
  const GroupSpec spec_;
  const Duration interval_;
  std::vector<std::unique_ptr<Rule>> rules_;
  std::vector<std::string> writers_;
  std::vector<std::vector<OutputSample>> alert_series_;  // guarded by mutex_
  mutable std::mutex mutex_;
  double last_seconds_ = 0;
  int64_t last_evaluation_ms_ = kNoTime;
};

}  // namespace codebot::rules
