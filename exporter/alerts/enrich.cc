#include "exporter/alerts/enrich.h"

#include <algorithm>

#include "exporter/core/label_matchers.h"
#include "exporter/core/url_escape.h"

namespace codebot::alerts {

Enricher::Enricher(config::Playbooks playbooks, std::string grafana_url, Clock now_ms)
    : playbooks_(std::move(playbooks)),
      grafana_url_(std::move(grafana_url)),
      now_ms_(std::move(now_ms)) {}

const config::Playbook* Enricher::Find(const Labels& labels) const {
  for (const auto& playbook : playbooks_.playbooks) {
    if (MatchesAll(playbook.matchers, labels)) return &playbook;
  }
  return playbooks_.fallback ? &*playbooks_.fallback : nullptr;
}

Enrichment Enricher::Enrich(const Alert& alert) const {
  Enrichment out;
  if (const config::Playbook* playbook = Find(alert.labels)) {
    out.summary = playbook->summary;
    out.actions = playbook->actions;
    out.runbook_url = playbook->runbook_url;
    out.affected_services = playbook->affected_services;
    out.from_default = playbooks_.fallback && playbook == &*playbooks_.fallback;
    if (!grafana_url_.empty() && !playbook->dashboards.empty()) {
      const int64_t now_ms = now_ms_();
      for (const auto& dashboard : playbook->dashboards) {
        out.dashboards.push_back(
            {dashboard.title, DashboardUrl(grafana_url_, dashboard, alert, now_ms)});
      }
    }
  }
  if (out.runbook_url.empty()) out.runbook_url = std::string(alert.Annotation("runbook_url"));
  return out;
}

std::string DashboardUrl(std::string_view grafana_url, const config::DashboardLink& dashboard,
                         const Alert& alert, int64_t now_ms) {
  while (grafana_url.ends_with('/')) grafana_url.remove_suffix(1);
  const int64_t window_ms = dashboard.window.count();
  const int64_t start_ms = alert.starts_at_ms == kNoTime ? now_ms : alert.starts_at_ms;
  const int64_t from_ms = std::max<int64_t>(0, start_ms - window_ms);
  std::string url(grafana_url);
  url += "/d/" + PercentEncode(dashboard.uid) + "?from=" + std::to_string(from_ms) + "&to=";
  if (alert.Resolved(now_ms)) {
    url += std::to_string(std::max(alert.ends_at_ms, start_ms) + window_ms / 2);
  } else {
    url += "now";
  }
  for (const auto& label : alert.labels) {
    if (label.value.empty() || label.name == "alertname" || label.name == "job" ||
        label.name == "instance") {
      continue;
    }
    url += "&var-" + QueryEscape(label.name) + "=" + QueryEscape(label.value);
  }
  return url;
}

}  // namespace codebot::alerts
