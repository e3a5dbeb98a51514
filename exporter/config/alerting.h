// The `alerting` section, in Prometheus' syntax so that it can be pasted from a prometheus.yml:
// `alerting.alertmanagers` lists the Alertmanagers the sidecar pushes its own alerts to (an HA
// cluster that deduplicates across replicas). The subset we support: static_configs.targets,
// scheme, path_prefix, api_version (v2 only: v1 is gone since Alertmanager 0.27), timeout,
// basic_auth and authorization (each with its *_file form). Plain data, compared by value on
// reload; read by ReadAlerting (alerting.cc).
#pragma once

#include <string>
#include <vector>

#include "exporter/config/secret.h"
#include "exporter/core/duration.h"

namespace codebot::config {

// One entry of alerting.alertmanagers: a set of Alertmanagers sharing the same settings.
struct AlertmanagerSet {
  std::vector<std::string> targets;  // "host:port", from every static_configs entry
  std::string scheme = "http";       // http or https
  std::string path_prefix;           // "" or "/prefix" (no trailing slash)
  Duration timeout = std::chrono::seconds(10);
  std::string basic_auth_username;  // basic_auth.username; "" : no basic auth
  Secret basic_auth_password;       // basic_auth.password or password_file
  std::string authorization_type;   // "" : no Authorization header; else e.g. "Bearer"
  Secret authorization_credentials;

  // <scheme>://<target><path_prefix>/api/v2/alerts
  std::string AlertsUrl(const std::string& target) const;
  friend bool operator==(const AlertmanagerSet&, const AlertmanagerSet&) = default;
};

struct AlertingConfig {
  std::vector<AlertmanagerSet> alertmanagers;
  bool Enabled() const { return !alertmanagers.empty(); }
  friend bool operator==(const AlertingConfig&, const AlertingConfig&) = default;
};

class Node;
class SectionReader;
// Reads the `alerting` mapping; fails with file:line:col.
AlertingConfig ReadAlerting(const Node& node, const SectionReader& reader);

}  // namespace codebot::config
