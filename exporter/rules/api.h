// The Prometheus HTTP API's read side for rules and alerts (GET /api/v1/rules and
// /api/v1/alerts), in Prometheus 2.42's JSON shape so that existing tools and dashboards read the
// sidecar like a Prometheus. Rendering works on snapshots; RegisterApiRoutes puts both on the
// server.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exporter/http/server.h"
#include "exporter/rules/group.h"

namespace codebot::rules {

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON
};

// `type` is the request's type parameter: "" (all), "alert" or "record".
ApiResponse RulesApi(const std::vector<std::shared_ptr<const Group>>& groups,
                     const std::string& type);
ApiResponse AlertsApi(const std::vector<std::shared_ptr<const Group>>& groups);

class Manager;
// GET /api/v1/rules and /api/v1/alerts over the manager's current groups. The manager must
// outlive the server.
void RegisterApiRoutes(http::Server& server, const Manager& manager);

}  // namespace codebot::rules
