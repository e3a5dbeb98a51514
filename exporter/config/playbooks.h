// Playbooks: what the on-call person should do about an alert, keyed by Alertmanager matchers on
// its labels (rules/playbooks.yml, loaded from notifications.playbook_files). Loaded and checked
// whole, like rule files: a bad file at start-up stops the sidecar with file:line:col, a bad one
// on reload keeps the previous playbooks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exporter/core/duration.h"
#include "exporter/core/series.h"

namespace codebot::config {

struct DashboardLink {
  std::string title;
  std::string uid;                          // Grafana dashboard uid
  Duration window = std::chrono::hours(1);  // how far before the alert's start the link begins
  friend bool operator==(const DashboardLink&, const DashboardLink&) = default;
};

struct Playbook {
  std::vector<Matcher> matchers;  // all must match; empty for the default playbook
  std::string summary;
  std::vector<std::string> actions;  // in the order to try them
  std::string runbook_url;
  std::vector<std::string> affected_services;
  std::vector<DashboardLink> dashboards;
  std::string source;  // "file:line" of the entry, for logs and `check config`
  friend bool operator==(const Playbook&, const Playbook&) = default;
};

struct Playbooks {
  std::vector<Playbook> playbooks;   // in file order; the first that matches wins
  std::optional<Playbook> fallback;  // `default:`
  friend bool operator==(const Playbooks&, const Playbooks&) = default;
};

// Reads and merges the files in order (one `default:` across them). Throws ConfigError.
Playbooks LoadPlaybookFiles(const std::vector<std::string>& files);

}  // namespace codebot::config
