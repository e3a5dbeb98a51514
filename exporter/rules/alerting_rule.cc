#include "exporter/rules/alerting_rule.h"

#include <algorithm>

#include "exporter/core/labels.h"
#include "exporter/core/url_escape.h"

namespace codebot::rules {
namespace {

constexpr std::string_view kAlertsMetric = "ALERTS";
constexpr std::string_view kForStateMetric = "ALERTS_FOR_STATE";

int64_t FloorSeconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

std::string_view Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kInactive:
      break;
  }
  return "inactive";
}

bool ActiveAlert::NeedsSending(int64_t t_ms, int64_t resend_delay_ms) const {
  if (state == AlertState::kPending) return false;
  // A resolution not yet sent goes out at once.
  if (resolved_at_ms > last_sent_at_ms) return true;
  return last_sent_at_ms == kNoTime || last_sent_at_ms + resend_delay_ms < t_ms;
}

std::string GeneratorUrl(const std::string& external_url, const std::string& expr) {
  std::string base = external_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/graph?g0.expr=" + QueryEscape(Trim(expr)) + "&g0.tab=1";
}

EvalOutput AlertingRule::Eval(int64_t t_ms, const EvalContext& context, int64_t limit) {
  EvalOutput out;
  QueryResult result = context.query(spec_.query.get(), spec_.expr, t_ms);
  if (!result.ok) {
    out.ok = false;
    out.error = std::move(result.error);
    out.reason = kReasonQuery;
    return out;
  }

  // Build this evaluation's alerts without the lock: templates may be slow.
  std::map<Labels, ActiveAlert> fresh;
  for (const auto& sample : result.vector) {
    const TemplateData data{
        sample.labels,         sample.v, context.external_labels, context.external_url,
        context.url_functions, t_ms,     &context.query};
    // Labels first, then annotations, expanded together with one template context.
    std::vector<std::string> texts;
    texts.reserve(spec_.labels.size() + spec_.annotations.size());
    for (const auto& label : spec_.labels) texts.push_back(label.value);
    for (const auto& annotation : spec_.annotations) texts.push_back(annotation.value);
    if (context.expand && !texts.empty()) {
      context.expand(spec_.name, data, &texts, &out.template_errors);
    }
    Labels labels = sample.labels;
    DeleteLabel(&labels, "__name__");
    size_t next = 0;
    for (const auto& label : spec_.labels) SetLabel(&labels, label.name, texts[next++]);
    SetLabel(&labels, "alertname", spec_.name);
    Labels annotations;
    annotations.reserve(spec_.annotations.size());
    for (const auto& annotation : spec_.annotations) {
      annotations.push_back({annotation.name, std::move(texts[next++])});
    }
    ActiveAlert alert;
    alert.labels = labels;
    alert.annotations = std::move(annotations);
    alert.value = sample.v;
    alert.active_at_ms = t_ms;
    if (!fresh.emplace(std::move(labels), std::move(alert)).second) {
      out.ok = false;
      out.error = "vector contains metrics with the same labelset after applying alert labels";
      out.reason = kReasonDuplicate;
      return out;
    }
  }

  std::lock_guard lock(alerts_mutex_);
  for (auto& [labels, alert] : fresh) {
    auto it = active_.find(labels);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = alert.value;
      it->second.annotations = std::move(alert.annotations);
      continue;
    }
    active_[labels] = std::move(alert);
  }

  const int64_t hold_ms = spec_.hold.count();
  const int64_t keep_ms = spec_.keep_firing_for.count();
  int64_t active_count = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    ActiveAlert& alert = it->second;
    if (!fresh.contains(it->first)) {
      bool keep_firing = false;
      if (alert.state == AlertState::kFiring && keep_ms > 0) {
        if (alert.keep_firing_since_ms == kNoTime) alert.keep_firing_since_ms = t_ms;
        keep_firing = t_ms - alert.keep_firing_since_ms < keep_ms;
      }
      const bool expired =
          alert.state == AlertState::kPending ||
          (alert.resolved_at_ms != kNoTime && t_ms - alert.resolved_at_ms > kResolvedRetentionMs);
      if (alert.state != AlertState::kInactive && !keep_firing) {
        alert.state = AlertState::kInactive;
        alert.resolved_at_ms = t_ms;
      }
      if (expired) {
        it = active_.erase(it);
        continue;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      alert.keep_firing_since_ms = kNoTime;
    }
    ++active_count;
    if (alert.state == AlertState::kPending && t_ms - alert.active_at_ms >= hold_ms) {
      alert.state = AlertState::kFiring;
      alert.fired_at_ms = t_ms;
    }
    // ALERTS starts from the rule's labels as written, then the alert's own: a label whose
    // template expanded to nothing shows its template text there, as in Prometheus.
    Labels series = spec_.labels;
    for (const auto& label : alert.labels) SetLabel(&series, label.name, label.value);
    SetLabel(&series, "alertname", spec_.name);
    Labels for_state = series;
    SetLabel(&series, "__name__", kAlertsMetric);
    SetLabel(&series, "alertstate", AlertStateName(alert.state));
    SetLabel(&for_state, "__name__", kForStateMetric);
    out.samples.push_back({std::move(series), t_ms, 1});
    out.samples.push_back(
        {std::move(for_state), t_ms, static_cast<double>(FloorSeconds(alert.active_at_ms))});
    ++it;
  }

  if (limit > 0 && active_count > limit) {
    active_.clear();
    out.ok = false;
    out.samples.clear();
    out.error = "exceeded limit of " + std::to_string(limit) + " with " +
                std::to_string(active_count) + " alerts";
    out.reason = kReasonLimit;
  }
  return out;
}

std::vector<ActiveAlert> AlertingRule::Alerts() const {
  std::lock_guard lock(alerts_mutex_);
  std::vector<ActiveAlert> alerts;
  alerts.reserve(active_.size());
  for (const auto& [labels, alert] : active_) alerts.push_back(alert);
  return alerts;
}

std::vector<ActiveAlert> AlertingRule::ActiveAlerts() const {
  std::lock_guard lock(alerts_mutex_);
  std::vector<ActiveAlert> alerts;
  for (const auto& [labels, alert] : active_) {
    if (alert.resolved_at_ms == kNoTime) alerts.push_back(alert);
  }
  return alerts;
}

AlertState AlertingRule::State() const {
  std::lock_guard lock(alerts_mutex_);
  AlertState state = AlertState::kInactive;
  for (const auto& [labels, alert] : active_) {
    if (static_cast<int>(alert.state) > static_cast<int>(state)) state = alert.state;
  }
  return state;
}

std::vector<alerts::Alert> AlertingRule::TakeAlertsToSend(int64_t t_ms, int64_t resend_delay_ms,
                                                          int64_t interval_ms,
                                                          const EvalContext& context) {
  std::vector<alerts::Alert> out;
  std::lock_guard lock(alerts_mutex_);
  for (auto& [labels, alert] : active_) {
    if (!alert.NeedsSending(t_ms, resend_delay_ms)) continue;
    alert.last_sent_at_ms = t_ms;
    // Valid long enough to survive two missed evaluations or sends.
    alert.valid_until_ms = t_ms + 4 * std::max(interval_ms, resend_delay_ms);
    alerts::Alert sent;
    sent.labels = alert.labels;
    for (const auto& external : context.external_labels) {
      if (LabelValue(sent.labels, external.name).empty()) {
        SetLabel(&sent.labels, external.name, external.value);
      }
    }
    sent.annotations = alert.annotations;
    sent.starts_at_ms = alert.fired_at_ms;
    sent.ends_at_ms = alert.resolved_at_ms != kNoTime ? alert.resolved_at_ms : alert.valid_until_ms;
    sent.generator_url = GeneratorUrl(context.external_url, spec_.expr);
    out.push_back(std::move(sent));
  }
  return out;
}

void AlertingRule::CopyAlertsFrom(const AlertingRule& from) {
  if (&from == this) return;
  std::scoped_lock lock(alerts_mutex_, from.alerts_mutex_);
  for (const auto& [labels, alert] : from.active_) active_[labels] = alert;
}

}  // namespace codebot::rules
