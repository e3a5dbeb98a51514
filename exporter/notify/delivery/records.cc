#include "exporter/notify/delivery/records.h"

#include <nlohmann/json.hpp>

namespace codebot::notify::delivery::detail {
namespace {

using nlohmann::json;

// Invalid UTF-8 (a template that cut a character) is replaced rather than thrown on: the
// notification must still be queued.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json LabelsToJson(const Labels& labels) {
  json out = json::array();
  for (const auto& label : labels) out.push_back(json::array({label.name, label.value}));
  return out;
}

Labels LabelsFromJson(const json& in) {
  Labels out;
  out.reserve(in.size());
  for (const auto& pair : in) {
    out.push_back({pair.at(0).get<std::string>(), pair.at(1).get<std::string>()});
  }
  return out;
}

json StringsToJson(const std::vector<std::string>& values) { return json(values); }

json MapToJson(const std::map<std::string, std::string>& values) {
  json out = json::object();
  for (const auto& [key, value] : values) out[key] = value;
  return out;
}

std::map<std::string, std::string> MapFromJson(const json& in) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : in.items()) out.emplace(key, value.get<std::string>());
  return out;
}

json EnrichmentToJson(const alerts::Enrichment& e) {
  json dashboards = json::array();
  for (const auto& link : e.dashboards) {
    dashboards.push_back({{"title", link.title}, {"url", link.url}});
  }
  return {{"summary", e.summary},
          {"actions", StringsToJson(e.actions)},
          {"runbook_url", e.runbook_url},
          {"affected_services", StringsToJson(e.affected_services)},
          {"dashboards", std::move(dashboards)},
          {"from_default", e.from_default}};
}

alerts::Enrichment EnrichmentFromJson(const json& in) {
  alerts::Enrichment e;
  e.summary = in.at("summary").get<std::string>();
  e.actions = in.at("actions").get<std::vector<std::string>>();
  e.runbook_url = in.at("runbook_url").get<std::string>();
  e.affected_services = in.at("affected_services").get<std::vector<std::string>>();
  for (const auto& link : in.at("dashboards")) {
    e.dashboards.push_back(
        {link.at("title").get<std::string>(), link.at("url").get<std::string>()});
  }
  e.from_default = in.at("from_default").get<bool>();
  return e;
}

json NotificationToJson(const alerts::Notification& n) {
  json alerts = json::array();
  for (const auto& a : n.alerts) {
    alerts.push_back({{"labels", LabelsToJson(a.alert.labels)},
                      {"annotations", LabelsToJson(a.alert.annotations)},
                      {"starts_at_ms", a.alert.starts_at_ms},
                      {"ends_at_ms", a.alert.ends_at_ms},
                      {"generator_url", a.alert.generator_url},
                      {"status", alerts::StatusName(a.status)},
                      {"enrichment", EnrichmentToJson(a.enrichment)}});
  }
  return {{"id", n.id},
          {"receiver", n.receiver},
          {"group_key", n.group_key},
          {"group_labels", LabelsToJson(n.group_labels)},
          {"common_labels", LabelsToJson(n.common_labels)},
          {"common_annotations", LabelsToJson(n.common_annotations)},
          {"external_url", n.external_url},
          {"created_ms", n.created_ms},
          {"alerts", std::move(alerts)},
          {"truncated_alerts", n.truncated_alerts}};
}

alerts::Notification NotificationFromJson(const json& in) {
  alerts::Notification n;
  n.id = in.at("id").get<std::string>();
  n.receiver = in.at("receiver").get<std::string>();
  n.group_key = in.at("group_key").get<std::string>();
  n.group_labels = LabelsFromJson(in.at("group_labels"));
  n.common_labels = LabelsFromJson(in.at("common_labels"));
  n.common_annotations = LabelsFromJson(in.at("common_annotations"));
  n.external_url = in.at("external_url").get<std::string>();
  n.created_ms = in.at("created_ms").get<int64_t>();
  for (const auto& a : in.at("alerts")) {
    alerts::NotifiedAlert alert;
    alert.alert.labels = LabelsFromJson(a.at("labels"));
    alert.alert.annotations = LabelsFromJson(a.at("annotations"));
    alert.alert.starts_at_ms = a.at("starts_at_ms").get<int64_t>();
    alert.alert.ends_at_ms = a.at("ends_at_ms").get<int64_t>();
    alert.alert.generator_url = a.at("generator_url").get<std::string>();
    alert.status = a.at("status").get<std::string>() == "resolved" ? alerts::Status::kResolved
                                                                   : alerts::Status::kFiring;
    alert.enrichment = EnrichmentFromJson(a.at("enrichment"));
    n.alerts.push_back(std::move(alert));
  }
  n.truncated_alerts = in.at("truncated_alerts").get<int>();
  return n;
}

}  // namespace

std::string EncodeAdd(int64_t enqueued_ms, const alerts::Notification& notification,
                      const std::vector<EntryRecord>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    json entry = {{"seq", e.seq},
                  {"lane", e.lane},
                  {"integration", e.integration},
                  {"firing_only", e.firing_only},
                  {"attempts", e.attempts},
                  {"next", e.next_attempt_ms}};
    if (!e.state.empty()) entry["state"] = MapToJson(e.state);
    list.push_back(std::move(entry));
  }
  return Dump({{"k", "add"},
               {"enqueued", enqueued_ms},
               {"notification", NotificationToJson(notification)},
               {"entries", std::move(list)}});
}

std::string EncodeUpdate(const UpdateRecord& update) {
  json out = {{"k", "update"}, {"seq", update.seq}, {"done", update.done}};
  if (!update.done) {
    out["attempts"] = update.attempts;
    out["next"] = update.next_attempt_ms;
    out["state"] = MapToJson(update.state);
  }
  if (!update.shared.empty()) {
    json changes = json::object();
    for (const auto& [key, value] : update.shared) {
      changes[key] = value ? json(*value) : json(nullptr);
    }
    out["lane"] = update.lane;
    out["shared"] = std::move(changes);
  }
  return Dump(out);
}

std::string EncodeShared(const std::string& lane,
                         const std::map<std::string, std::string>& values) {
  return Dump({{"k", "shared"}, {"lane", lane}, {"values", MapToJson(values)}});
}

std::optional<Record> DecodeRecord(std::string_view payload) {
  const json in = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!in.is_object()) return std::nullopt;
  try {
    const std::string kind = in.at("k").get<std::string>();
    if (kind == "add") {
      AddRecord add;
      add.enqueued_ms = in.at("enqueued").get<int64_t>();
      add.notification = NotificationFromJson(in.at("notification"));
      for (const auto& e : in.at("entries")) {
        EntryRecord entry;
        entry.seq = e.at("seq").get<uint64_t>();
        entry.lane = e.at("lane").get<std::string>();
        entry.integration = e.at("integration").get<std::string>();
        entry.firing_only = e.at("firing_only").get<bool>();
        entry.attempts = e.at("attempts").get<int>();
        entry.next_attempt_ms = e.at("next").get<int64_t>();
        if (e.contains("state")) entry.state = MapFromJson(e.at("state"));
        add.entries.push_back(std::move(entry));
      }
      return add;
    }
    if (kind == "update") {
      UpdateRecord update;
      update.seq = in.at("seq").get<uint64_t>();
      update.done = in.at("done").get<bool>();
      if (!update.done) {
        update.attempts = in.at("attempts").get<int>();
        update.next_attempt_ms = in.at("next").get<int64_t>();
        update.state = MapFromJson(in.at("state"));
      }
      if (in.contains("shared")) {
        update.lane = in.at("lane").get<std::string>();
        for (const auto& [key, value] : in.at("shared").items()) {
          update.shared.emplace(
              key, value.is_null() ? std::nullopt : std::optional(value.get<std::string>()));
        }
      }
      return update;
    }
    if (kind == "shared") {
      return SharedRecord{in.at("lane").get<std::string>(), MapFromJson(in.at("values"))};
    }
  } catch (const json::exception&) {
    // A record that passed its checksum but doesn't read: written by another version. Skipped.
  }
  return std::nullopt;
}

std::string EncodeNotification(const alerts::Notification& notification) {
  return Dump(NotificationToJson(notification));
}

std::optional<alerts::Notification> DecodeNotification(std::string_view text) {
  const json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded()) return std::nullopt;
  try {
    return NotificationFromJson(in);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace codebot::notify::delivery::detail
