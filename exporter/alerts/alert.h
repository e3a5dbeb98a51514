// The neutral alert model that every stage after the rules speaks: an alert as Alertmanager
// sees it (labels, annotations, startsAt, endsAt, generatorURL), whether it came from our own rule
// engine or from an Alertmanager's webhook. Depends on core only: nothing here knows PromQL, rule
// files or any notifier.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"
#include "exporter/core/time.h"

namespace codebot::alerts {

enum class Status { kFiring, kResolved };
std::string_view StatusName(Status status);  // "firing", "resolved"

struct Alert {
  Labels labels;       // sorted by name, alertname included
  Labels annotations;  // sorted by name
  int64_t starts_at_ms = kNoTime;
  // The resolution time of a resolved alert; for a firing one, how long it stays valid without
  // being sent again (Prometheus sends 4 resend intervals ahead), or kNoTime when unknown.
  int64_t ends_at_ms = kNoTime;
  std::string generator_url;

  bool Resolved(int64_t now_ms) const { return ends_at_ms != kNoTime && ends_at_ms <= now_ms; }
  Status StatusAt(int64_t now_ms) const {
    return Resolved(now_ms) ? Status::kResolved : Status::kFiring;
  }
  std::string_view Name() const { return LabelValue(labels, "alertname"); }
  std::string_view Label(std::string_view name) const { return LabelValue(labels, name); }
  std::string_view Annotation(std::string_view name) const { return LabelValue(annotations, name); }
  // Identity of the alert: the one label-set hash of the program over its labels, so the same
  // labels give the same fingerprint in every process and across restarts.
  uint64_t Fingerprint() const;
};

// A fingerprint as text: 16 lower-case hex digits, as Alertmanager prints fingerprints.
std::string FingerprintHex(uint64_t fingerprint);

}  // namespace codebot::alerts
