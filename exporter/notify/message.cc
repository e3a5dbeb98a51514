#include "exporter/notify/message.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace codebot::notify {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Labels every alert carries that say nothing a reader needs next to the title.
bool IsNoiseLabel(std::string_view name) {
  return name == "alertname" || name == "severity" || name == "__name__";
}

}  // namespace

Severity ParseSeverity(std::string_view label) {
  const std::string s = Lower(label);
  if (s == "critical" || s == "page" || s == "emergency" || s == "high" || s == "fatal") {
    return Severity::kCritical;
  }
  if (s == "error" || s == "err") return Severity::kError;
  if (s == "info" || s == "informational" || s == "low" || s == "none") return Severity::kInfo;
  return Severity::kWarning;
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
    case Severity::kCritical:
      return "critical";
  }
  return "warning";
}

std::string_view SeverityMarker(Severity severity, bool resolved) {
  if (resolved) return "\u2705";  // ✅
  switch (severity) {
    case Severity::kInfo:
      return "\u2139\ufe0f";  // ℹ️
    case Severity::kWarning:
      return "\u26a0\ufe0f";  // ⚠️
    case Severity::kError:
      return "\U0001f6a8";  // 🚨
    case Severity::kCritical:
      return "\U0001f534";  // 🔴
  }
  return "\u26a0\ufe0f";
}

std::string HumanDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  int64_t seconds = ms / 1000;
  const int64_t days = seconds / 86400;
  seconds %= 86400;
  const int64_t hours = seconds / 3600;
  seconds %= 3600;
  const int64_t minutes = seconds / 60;
  seconds %= 60;
  auto part = [](int64_t n, char unit) { return std::to_string(n) + unit; };
  if (days > 0) return part(days, 'd') + (hours > 0 ? " " + part(hours, 'h') : "");
  if (hours > 0) return part(hours, 'h') + (minutes > 0 ? " " + part(minutes, 'm') : "");
  if (minutes > 0) return part(minutes, 'm') + (seconds > 0 ? " " + part(seconds, 's') : "");
  return part(seconds, 's');
}

Message BuildMessage(const alerts::Notification& notification) {
  Message message;
  for (const auto& notified : notification.alerts) {
    const alerts::Alert& alert = notified.alert;
    MessageAlert m;
    m.source = &notified;
    m.resolved = notified.status == alerts::Status::kResolved;
    m.severity = ParseSeverity(alert.Label("severity"));
    m.marker = std::string(SeverityMarker(m.severity, m.resolved));
    m.name = std::string(alert.Name());
    const std::string_view summary = alert.Annotation("summary");
    m.title = !summary.empty() ? std::string(summary) : m.name;
    const std::string_view description = alert.Annotation("description");
    m.description = !description.empty() ? std::string(description) : notified.enrichment.summary;
    for (const auto& label : alert.labels) {
      if (IsNoiseLabel(label.name)) continue;
      if (LabelValue(notification.group_labels, label.name) == label.value &&
          !label.value.empty()) {
        continue;  // the headline shows it already
      }
      m.details.push_back(label);
    }
    m.affected_services = notified.enrichment.affected_services;
    m.actions = notified.enrichment.actions;
    m.dashboards = notified.enrichment.dashboards;
    m.runbook_url = !notified.enrichment.runbook_url.empty()
                        ? notified.enrichment.runbook_url
                        : std::string(alert.Annotation("runbook_url"));
    m.starts_at_ms = alert.starts_at_ms;
    m.ends_at_ms = alert.ends_at_ms;
    if (m.resolved && alert.starts_at_ms != kNoTime && alert.ends_at_ms != kNoTime) {
      m.fired_for = HumanDuration(alert.ends_at_ms - alert.starts_at_ms);
    }
    message.alerts.push_back(std::move(m));
  }
  std::stable_sort(message.alerts.begin(), message.alerts.end(),
                   [](const MessageAlert& a, const MessageAlert& b) {
                     if (a.resolved != b.resolved) return !a.resolved;
                     return a.severity > b.severity;
                   });
  const size_t firing = notification.Firing();
  message.resolved = firing == 0;
  // The highest of the alerts the message is about, from nothing: starting from the default
  // (warning) made a group of info alerts read as warning.
  std::optional<Severity> highest;
  for (const auto& m : message.alerts) {
    if (m.resolved != message.resolved) continue;
    if (!highest || m.severity > *highest) highest = m.severity;
  }
  message.severity = highest.value_or(Severity::kWarning);

  std::string name;
  if (const std::string_view common = LabelValue(notification.common_labels, "alertname");
      !common.empty()) {
    name = std::string(common);
  } else if (!message.alerts.empty()) {
    name = message.alerts.front().name + (message.alerts.size() > 1 ? " and others" : "");
  }
  std::string group;
  for (const auto& label : notification.group_labels) {
    if (label.name == "alertname") continue;
    group += (group.empty() ? "" : ", ") + label.name + "=" + label.value;
  }
  message.headline = std::string(SeverityMarker(message.severity, message.resolved));
  if (message.resolved) {
    message.headline += " RESOLVED";
  } else {
    message.headline += " FIRING";
    if (firing > 1) message.headline += " " + std::to_string(firing);
  }
  if (!name.empty()) message.headline += " \u00b7 " + name;  // ·
  if (!group.empty()) message.headline += " (" + group + ")";
  message.source_url = notification.external_url;
  return message;
}

}  // namespace codebot::notify
