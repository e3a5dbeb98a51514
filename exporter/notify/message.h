// What every notification says, whatever the integration renders it as: per alert a severity
// marker (see SeverityMarker; ✅ once resolved), a title, the description, the affected
// services, numbered actions, dashboard and runbook links, and for a resolved alert how long it
// fired. Built once from a notification; Telegram, Slack, PagerDuty and the webhook each turn it
// into their own format (and escape it for that format). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/alerts/notification.h"

namespace codebot::notify {

// Ordered: a group's severity is its highest. The bot's guide's four levels, PagerDuty's too.
enum class Severity { kInfo, kWarning, kError, kCritical };

// From the `severity` label: info, warning, error, critical (case-insensitive; "page",
// "emergency", "high" and "fatal" read as critical, "low" as info); anything else, or none, is
// warning.
Severity ParseSeverity(std::string_view label);
// "info", "warning", "error", "critical"
std::string_view SeverityName(Severity severity);
// The bot guide's scale: ℹ️ info, ⚠️ warning, 🚨 error, 🔴 critical; ✅ once resolved.
std::string_view SeverityMarker(Severity severity, bool resolved);

// "45s", "12m 30s", "3h 5m", "2d 4h": how long an alert fired, for people.
std::string HumanDuration(int64_t ms);

struct MessageAlert {
  const alerts::NotifiedAlert* source = nullptr;
  bool resolved = false;
  Severity severity = Severity::kWarning;
  std::string marker;       // SeverityMarker(severity, resolved)
  std::string title;        // the alert's summary annotation, else its name
  std::string name;         // alertname
  std::string description;  // the description annotation, else the playbook's summary
  // Labels worth showing beside the title (not alertname, severity or the group's common ones).
  Labels details;
  std::vector<std::string> affected_services;
  std::vector<std::string> actions;
  std::vector<alerts::Enrichment::Link> dashboards;
  std::string runbook_url;
  std::string
      fired_for;  // resolved: HumanDuration(ends - starts); firing: since when, "" if unknown
  int64_t starts_at_ms = kNoTime;
  int64_t ends_at_ms = kNoTime;
};

struct Message {
  // The highest among the firing alerts (once all are resolved, among those); warning when the
  // notification has no alerts.
  Severity severity = Severity::kWarning;
  bool resolved = false;  // every alert resolved
  // "🔴 FIRING 2 · BotErrorRatioHigh" / "✅ RESOLVED · BotErrorRatioHigh", with the group's
  // labels after the name when they say more than it: "(operation=search)".
  std::string headline;
  std::vector<MessageAlert> alerts;  // firing first, highest severity first, then resolved
  std::string source_url;            // the sender's external URL
};

Message BuildMessage(const alerts::Notification& notification);

}  // namespace codebot::notify
