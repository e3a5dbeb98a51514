// What a flush of an alert group hands to delivery: Alertmanager's notification data (receiver,
// group key and labels, common labels and annotations, the alerts, firing and resolved) with
// every alert enriched by its playbook, resolved to text and links so that a notification in the
// outbox renders the same after a restart. Plain data; depends on core only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exporter/alerts/alert.h"

namespace codebot::alerts {

// A playbook applied to one alert: dashboard links are complete URLs around the alert's start.
struct Enrichment {
  std::string summary;
  std::vector<std::string> actions;
  std::string runbook_url;  // the playbook's, else the alert's runbook_url annotation
  std::vector<std::string> affected_services;
  struct Link {
    std::string title;
    std::string url;
    friend bool operator==(const Link&, const Link&) = default;
  };
  std::vector<Link> dashboards;
  bool from_default = false;  // no playbook matched: the default one was used
  friend bool operator==(const Enrichment&, const Enrichment&) = default;
};

struct NotifiedAlert {
  Alert alert;
  Status status = Status::kFiring;  // as of the flush
  Enrichment enrichment;
};

struct Notification {
  std::string id;  // unique and stable: the outbox key and the alert_id of log lines about it
  std::string receiver;
  std::string group_key;  // Alertmanager's form: {}/{route matchers}:{group labels}
  Labels group_labels;
  Labels common_labels;
  Labels common_annotations;
  std::string external_url;  // where the sender is reached (the sidecar or the Alertmanager)
  int64_t created_ms = 0;
  std::vector<NotifiedAlert> alerts;  // firing first, then resolved; each in fingerprint order
  int truncated_alerts = 0;

  Status GroupStatus() const;  // firing when any alert fires
  size_t Firing() const;
  size_t Resolved() const;
};

// Where flushed groups go (the outbox). Returns true once the notification is durably queued;
// false (disk full, say) means nothing was queued and the caller must try again later.
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  virtual bool Enqueue(const Notification& notification) = 0;
};

}  // namespace codebot::alerts
