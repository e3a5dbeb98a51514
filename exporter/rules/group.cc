#include "exporter/rules/group.h"

#include <chrono>
#include <map>

#include "exporter/core/time.h"
#include "exporter/rules/recording_rule.h"

namespace codebot::rules {
namespace {

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

Group::Group(GroupSpec spec, Duration default_interval)
    : spec_(std::move(spec)),
      interval_(spec_.interval && spec_.interval->count() > 0 ? *spec_.interval
                                                              : default_interval) {
  std::map<std::string, int> seen;
  for (const auto& rule : spec_.rules) {
    if (rule.type == RuleType::kAlerting) {
      rules_.push_back(std::make_unique<AlertingRule>(rule));
    } else {
      rules_.push_back(std::make_unique<RecordingRule>(rule));
    }
    const std::string identity = rule.IdentityKey();
    writers_.push_back(spec_.Key() + ";" + identity + ";" + std::to_string(seen[identity]++));
  }
  alert_series_.resize(rules_.size());
}

bool Group::Equals(const Group& other) const {
  if (spec_.name != other.spec_.name || spec_.file != other.spec_.file ||
      interval_ != other.interval_ || spec_.limit != other.spec_.limit ||
      spec_.rules.size() != other.spec_.rules.size()) {
    return false;
  }
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    if (!spec_.rules[i].SameDefinition(other.spec_.rules[i])) return false;
  }
  return true;
}

void Group::CopyState(const Group& from) {
  std::scoped_lock lock(mutex_, from.mutex_);
  last_seconds_ = from.last_seconds_;
  last_evaluation_ms_ = from.last_evaluation_ms_;
  // Writer names encode the identity and its duplicate counter, so equal names pair the same
  // rules Prometheus pairs: first duplicate with first.
  std::map<std::string, size_t> old_rules;
  for (size_t i = 0; i < from.writers_.size(); ++i) old_rules.emplace(from.writers_[i], i);
  for (size_t i = 0; i < rules_.size(); ++i) {
    auto it = old_rules.find(writers_[i]);
    if (it == old_rules.end()) continue;
    alert_series_[i] = from.alert_series_[it->second];
    auto* alerting = dynamic_cast<AlertingRule*>(rules_[i].get());
    const auto* old_alerting = dynamic_cast<const AlertingRule*>(from.rules_[it->second].get());
    if (alerting != nullptr && old_alerting != nullptr) alerting->CopyAlertsFrom(*old_alerting);
  }
}

GroupEvalReport Group::Eval(int64_t t_ms, const EvalContext& context, ResultWriter* writer,
                            int64_t resend_delay_ms) {
  GroupEvalReport report;
  const auto group_start = SteadyClock::now();
  const int64_t group_wall_ms = NowUnixMs();
  for (size_t i = 0; i < rules_.size(); ++i) {
    Rule& rule = *rules_[i];
    const auto rule_start = SteadyClock::now();
    const int64_t rule_wall_ms = NowUnixMs();
    EvalOutput output = rule.Eval(t_ms, context, spec_.limit);
    report.template_errors += output.template_errors;
    auto* alerting = dynamic_cast<AlertingRule*>(&rule);
    if (alerting != nullptr && (output.ok || output.reason == kReasonLimit)) {
      std::lock_guard lock(mutex_);
      alert_series_[i] = output.samples;
    }
    if (!output.ok) {
      // Like Prometheus: a failed rule writes nothing, not even stale markers; what it wrote
      // last time goes stale by itself after the lookback delta.
      rule.SetStatus(RuleHealth::kErr, output.error);
      report.failures.push_back({rule.name(), output.reason, output.error});
      rule.SetTiming(SecondsSince(rule_start), rule_wall_ms);
      continue;
    }
    rule.SetStatus(RuleHealth::kOk, "");
    report.samples += output.samples.size();
    if (alerting != nullptr) {
      auto alerts = alerting->TakeAlertsToSend(t_ms, resend_delay_ms, interval_.count(), context);
      for (auto& alert : alerts) report.to_send.push_back(std::move(alert));
    }
    if (writer != nullptr) writer->Write(writers_[i], t_ms, output.samples);
    rule.SetTiming(SecondsSince(rule_start), rule_wall_ms);
  }
  report.seconds = SecondsSince(group_start);
  std::lock_guard lock(mutex_);
  last_seconds_ = report.seconds;
  last_evaluation_ms_ = group_wall_ms;
  return report;
}

std::vector<OutputSample> Group::AlertSeries() const {
  std::lock_guard lock(mutex_);
  std::vector<OutputSample> out;
  for (const auto& series : alert_series_) out.insert(out.end(), series.begin(), series.end());
  return out;
}

double Group::last_evaluation_seconds() const {
  std::lock_guard lock(mutex_);
  return last_seconds_;
}

int64_t Group::last_evaluation_ms() const {
  std::lock_guard lock(mutex_);
  return last_evaluation_ms_;
}

}  // namespace codebot::rules
