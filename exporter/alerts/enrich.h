// Enrichment: the playbook that applies to an alert, turned into text and complete Grafana links
// (Enrichment in notification.h) when a group is flushed, so that the outbox holds exactly what
// will be sent. Immutable once built and safe to share between threads; a reload builds a new
// one. It never reads files (playbooks come loaded by config::LoadPlaybookFiles), never blocks
// and never fails: an alert no playbook matches still gets its own runbook_url annotation.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "exporter/alerts/alert.h"
#include "exporter/alerts/notification.h"
#include "exporter/config/playbooks.h"

namespace codebot::alerts {

class Enricher {
 public:
  using Clock = std::function<int64_t()>;  // milliseconds since the epoch

  // grafana_url "" : no dashboard links. now_ms decides whether an alert is resolved and stands
  // in for an unknown start (tests inject it).
  Enricher(config::Playbooks playbooks, std::string grafana_url, Clock now_ms = NowUnixMs);

  // The first playbook whose matchers all match the alert's labels, else the default one
  // (from_default), else nothing but the alert's runbook_url annotation. A playbook without a
  // runbook_url falls back to the annotation too.
  Enrichment Enrich(const Alert& alert) const;

  // The playbook Enrich would apply; nullptr when none applies (no default either).
  const config::Playbook* Find(const Labels& labels) const;

  const config::Playbooks& playbooks() const { return playbooks_; }

 private:
  config::Playbooks playbooks_;
  std::string grafana_url_;
  Clock now_ms_;
};

// The Grafana link of one playbook dashboard for one alert:
//   {grafana_url}/d/{uid}?from={ms}&to={ms|now}&var-{label}={value}...
// from is the alert's start minus the dashboard's window: what led up to it. to is "now" while
// the alert fires (Grafana's relative time: the link shows the incident up to the moment it is
// opened, however late that is) and the resolution plus half a window once it is resolved (the
// recovery, and that it held). Every label of the alert but alertname, job and instance becomes
// a template variable: the shipped dashboards name their variables after the labels they filter
// (operation, resource, datname) and Grafana ignores the variables a dashboard doesn't define;
// job and instance are left out because the dashboards' variables of those names select the
// sidecar's scrape target, which an alert's job and instance (when it has them) don't name.
// Every value is URL-escaped. An unknown start (kNoTime) counts as now_ms.
std::string DashboardUrl(std::string_view grafana_url, const config::DashboardLink& dashboard,
                         const Alert& alert, int64_t now_ms);

}  // namespace codebot::alerts
