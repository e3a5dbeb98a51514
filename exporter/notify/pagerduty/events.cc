// The events of a notification: see pagerduty.h.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "exporter/alerts/alert.h"
#include "exporter/core/sanitize.h"
#include "exporter/core/sha256.h"
#include "exporter/core/time.h"
#include "exporter/core/utf8.h"
#include "exporter/notify/pagerduty/pagerduty.h"

namespace codebot::notify::pagerduty {
namespace {

using Json = nlohmann::ordered_json;

// Never the raw value: a token pasted into an annotation must not reach PagerDuty.
std::string Clean(std::string_view text) { return sanitize::Redact(text); }

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json LabelsObject(const Labels& labels) {
  Json out = Json::object();
  for (const auto& label : labels) out[Clean(label.name)] = Clean(label.value);
  return out;
}

std::string NumberedList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += "\n";
    out += std::to_string(i + 1) + ". " + Clean(items[i]);
  }
  return out;
}

std::string CommaList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i > 0 ? ", " : "") + Clean(items[i]);
  return out;
}

// The alert's own line: its summary annotation, else its name with the labels that tell it
// apart from its group.
std::string AlertSummary(const MessageAlert& alert) {
  std::string text = alert.title;
  if (alert.source != nullptr && alert.source->alert.Annotation("summary").empty() &&
      !alert.details.empty()) {
    text += " (";
    for (size_t i = 0; i < alert.details.size(); ++i) {
      if (i > 0) text += ", ";
      text += alert.details[i].name + "=" + alert.details[i].value;
    }
    text += ")";
  }
  return text;
}

// The playbook part of custom_details: what to do first, for the person paged.
void AddPlaybook(Json& details, const MessageAlert& alert) {
  if (alert.source == nullptr) return;
  const alerts::Enrichment& enrichment = alert.source->enrichment;
  if (!enrichment.summary.empty()) details["summary"] = Clean(enrichment.summary);
  if (!alert.actions.empty()) details["actions"] = NumberedList(alert.actions);
  if (!alert.affected_services.empty()) {
    details["affected_services"] = CommaList(alert.affected_services);
  }
  if (!alert.runbook_url.empty()) details["runbook_url"] = Clean(alert.runbook_url);
  if (enrichment.from_default) details["playbook"] = "default (no playbook matches this alert)";
}

void AddTiming(Json& details, const MessageAlert& alert) {
  if (alert.resolved && !alert.fired_for.empty()) {
    details["fired_for"] = alert.fired_for;
  } else if (!alert.resolved && alert.starts_at_ms != kNoTime) {
    details["firing_since"] = Rfc3339(alert.starts_at_ms);
  }
}

void AddLinks(Json& links, std::set<std::string>& seen, const MessageAlert& alert) {
  auto add = [&](const std::string& href, const std::string& text) {
    const std::string clean = Clean(href);
    if (clean.empty() || !seen.insert(clean).second) return;
    links.push_back(Json{{"href", clean}, {"text", Clean(text)}});
  };
  if (!alert.runbook_url.empty()) add(alert.runbook_url, "Runbook");
  for (const auto& dashboard : alert.dashboards) add(dashboard.url, dashboard.title);
  if (alert.source != nullptr && !alert.source->alert.generator_url.empty()) {
    add(alert.source->alert.generator_url, "Alert source");
  }
}

// PagerDuty's four levels: a page is its critical.
std::string EventSeverityName(Severity severity) { return std::string(SeverityName(severity)); }

Json ResolveEvent(std::string_view routing_key, const std::string& dedup_key) {
  return Json{{"routing_key", routing_key}, {"dedup_key", dedup_key}, {"event_action", "resolve"}};
}

// A trigger event without its payload's custom details and summary, which the callers fill.
Json TriggerEvent(std::string_view routing_key, const std::string& dedup_key,
                  const config::PagerDutyConfig& config, const Origin& origin,
                  const alerts::Notification& notification) {
  Json event;
  event["routing_key"] = routing_key;
  event["dedup_key"] = dedup_key;
  event["event_action"] = "trigger";
  Json payload;
  payload["summary"] = "";
  payload["source"] = !config.source.empty()      ? config.source
                      : !origin.host_name.empty() ? origin.host_name
                                                  : std::string("codebot-exporter");
  payload["severity"] = "warning";
  event["payload"] = std::move(payload);
  if (!config.client.empty()) event["client"] = config.client;
  const std::string client_url = !config.client_url.empty()           ? config.client_url
                                 : !notification.external_url.empty() ? notification.external_url
                                                                      : origin.external_url;
  if (!client_url.empty()) event["client_url"] = Clean(client_url);
  return event;
}

// Keeps the event under PagerDuty's 512 KB by giving up detail, biggest first, and saying so in
// the event: annotations, then the per-alert list of a group, then all custom details.
std::string Fit(Json& event) {
  std::string body = Dump(event);
  if (body.size() <= kMaxEventBytes) return body;
  Json& details = event["payload"]["custom_details"];
  const std::string note = "left out: the event was over PagerDuty's 512 KB";
  if (details.contains("annotations")) {
    details.erase("annotations");
    details["annotations_note"] = note;
  }
  if (details.contains("alerts")) {
    for (auto& alert : details["alerts"]) alert.erase("annotations");
  }
  body = Dump(event);
  size_t left_out = 0;
  while (body.size() > kMaxEventBytes && details.contains("alerts") && !details["alerts"].empty()) {
    // Drop from the end as many entries as the excess needs (plus room for the count), then
    // measure again: one dump per round, not one per alert.
    Json& list = details["alerts"];
    const size_t excess = body.size() - kMaxEventBytes + 64;
    size_t freed = 0;
    while (!list.empty() && freed < excess) {
      freed += Dump(list.back()).size() + 1;
      list.erase(list.size() - 1);
      ++left_out;
    }
    details["alerts_left_out"] = left_out;
    body = Dump(event);
  }
  if (body.size() > kMaxEventBytes) {
    details = Json{{"note", "details " + note}};
    event.erase("links");
    body = Dump(event);
  }
  return body;
}

}  // namespace

std::string CutSummary(std::string_view text, size_t max_chars) {
  if (utf8::RuneCount(text) <= max_chars) return std::string(text);
  std::string out;
  size_t runes = 0;
  for (size_t pos = 0; pos < text.size() && runes + 1 < max_chars; ++runes) {
    size_t width = 0;
    utf8::DecodeRune(text, pos, &width);
    out.append(text.substr(pos, width));
    pos += width;
  }
  return out + "\u2026";
}

Severity EventSeverity(const config::PagerDutyConfig& config, std::string_view severity_label) {
  return ParseSeverity(!config.severity.empty() ? std::string_view(config.severity)
                                                : severity_label);
}

std::string GroupDedupKey(std::string_view group_key) { return Sha256Hex(group_key); }

std::vector<Event> BuildEvents(const alerts::Notification& notification,
                               const config::PagerDutyConfig& config, const Origin& origin,
                               std::string_view routing_key) {
  const Message message = BuildMessage(notification);
  std::vector<Event> events;

  if (config.dedup_key == config::DedupKeyMode::kGroup) {
    const std::string dedup_key = GroupDedupKey(notification.group_key);
    if (message.resolved) {
      if (!config.send_resolved) return events;
      events.push_back({"resolve", dedup_key, Dump(ResolveEvent(routing_key, dedup_key))});
      return events;
    }
    Json event = TriggerEvent(routing_key, dedup_key, config, origin, notification);
    Json& payload = event["payload"];
    // The headline without its emoji marker: PagerDuty shows the severity its own way.
    std::string summary = message.headline;
    const std::string marker(SeverityMarker(message.severity, message.resolved));
    if (summary.starts_with(marker + " ")) summary.erase(0, marker.size() + 1);
    payload["summary"] = CutSummary(Clean(summary));
    payload["severity"] = EventSeverityName(EventSeverity(config, SeverityName(message.severity)));
    int64_t first_start = kNoTime;
    for (const auto& alert : message.alerts) {
      if (alert.resolved || alert.starts_at_ms == kNoTime) continue;
      if (first_start == kNoTime || alert.starts_at_ms < first_start)
        first_start = alert.starts_at_ms;
    }
    if (first_start != kNoTime) payload["timestamp"] = Rfc3339(first_start);
    if (!config.component.empty()) payload["component"] = config.component;
    if (!config.group.empty()) payload["group"] = config.group;
    const std::string_view common_name = LabelValue(notification.common_labels, "alertname");
    if (!config.class_.empty()) {
      payload["class"] = config.class_;
    } else if (!common_name.empty()) {
      payload["class"] = Clean(common_name);
    }
    Json details;
    details["num_firing"] = notification.Firing();
    details["num_resolved"] = notification.Resolved();
    if (!message.alerts.empty()) AddPlaybook(details, message.alerts.front());
    details["group_labels"] = LabelsObject(notification.group_labels);
    Json list = Json::array();
    Json links = Json::array();
    std::set<std::string> seen;
    for (const auto& alert : message.alerts) {
      Json item;
      item["status"] = alert.resolved ? "resolved" : "firing";
      item["severity"] = EventSeverityName(alert.severity);
      item["summary"] = Clean(AlertSummary(alert));
      if (!alert.description.empty()) item["description"] = Clean(alert.description);
      AddTiming(item, alert);
      if (alert.source != nullptr) {
        item["labels"] = LabelsObject(alert.source->alert.labels);
        item["annotations"] = LabelsObject(alert.source->alert.annotations);
      }
      list.push_back(std::move(item));
      AddLinks(links, seen, alert);
    }
    details["alerts"] = std::move(list);
    payload["custom_details"] = std::move(details);
    if (!links.empty()) event["links"] = std::move(links);
    events.push_back({"trigger", dedup_key, Fit(event)});
    return events;
  }

  for (const auto& alert : message.alerts) {
    if (alert.source == nullptr) continue;
    const std::string dedup_key = alerts::FingerprintHex(alert.source->alert.Fingerprint());
    if (alert.resolved) {
      if (!config.send_resolved) continue;
      events.push_back({"resolve", dedup_key, Dump(ResolveEvent(routing_key, dedup_key))});
      continue;
    }
    Json event = TriggerEvent(routing_key, dedup_key, config, origin, notification);
    Json& payload = event["payload"];
    payload["summary"] = CutSummary(Clean(AlertSummary(alert)));
    payload["severity"] =
        EventSeverityName(EventSeverity(config, alert.source->alert.Label("severity")));
    if (alert.starts_at_ms != kNoTime) payload["timestamp"] = Rfc3339(alert.starts_at_ms);
    const std::string_view service = alert.source->alert.Label("service");
    if (!config.component.empty()) {
      payload["component"] = config.component;
    } else if (!service.empty()) {
      payload["component"] = Clean(service);
    }
    if (!config.group.empty()) payload["group"] = config.group;
    payload["class"] = !config.class_.empty() ? config.class_ : Clean(alert.name);
    Json details;
    details["alertname"] = Clean(alert.name);
    if (!alert.description.empty()) details["description"] = Clean(alert.description);
    AddPlaybook(details, alert);
    AddTiming(details, alert);
    details["labels"] = LabelsObject(alert.source->alert.labels);
    details["annotations"] = LabelsObject(alert.source->alert.annotations);
    payload["custom_details"] = std::move(details);
    Json links = Json::array();
    std::set<std::string> seen;
    AddLinks(links, seen, alert);
    if (!links.empty()) event["links"] = std::move(links);
    events.push_back({"trigger", dedup_key, Fit(event)});
  }
  return events;
}

}  // namespace codebot::notify::pagerduty
