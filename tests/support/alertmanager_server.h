// A real Alertmanager (Debian's prometheus-alertmanager 0.25) for tests: one node or an N-node
// cluster, each in its own temp dir on loopback ports, stopped at the end. Alerts go in and come
// back through its API v2, as Prometheus and amtool use it; amtool checks configs.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporter/core/metric.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {

// Cluster timings short enough for tests (Alertmanager's defaults take a minute to settle).
struct AlertmanagerClusterTimings {
  // How long the node at position i waits (i × this) before notifying, so that the first node's
  // notification log reaches it first: the cluster's deduplication.
  std::chrono::milliseconds peer_timeout{500};
  std::chrono::milliseconds settle_timeout{3000};
  std::chrono::milliseconds gossip_interval{50};
  std::chrono::milliseconds pushpull_interval{1000};
};

class AlertmanagerServer {
 public:
  static constexpr const char* kProgram = "prometheus-alertmanager";
  static bool Available() { return HaveProgram(kProgram); }

  // A single node (clustering off): writes alertmanager.yml (config_yaml), starts it on a free
  // port and waits until /-/ready. Returns false (with its log in *error) when it doesn't come up.
  bool Start(const std::string& config_yaml, std::string* error);
  // A cluster member listening for gossip on cluster_port (take it from FreePort()), joining
  // peers ("127.0.0.1:P"). Waits for /-/ready only; AlertmanagerCluster waits for the cluster.
  bool StartClusterNode(const std::string& config_yaml, int cluster_port,
                        const std::vector<std::string>& peers,
                        const AlertmanagerClusterTimings& timings, std::string* error);
  void Stop() { process_.Stop(); }
  bool Running() { return process_.Running(); }

  std::string Url(const std::string& path = "") const;  // also its --web.external-url
  std::string ClusterAddress() const;                   // "127.0.0.1:P", "" for a single node
  int port() const { return port_; }

  // POST /api/v2/alerts with a JSON array of alerts (see AlertJson); true on 200.
  bool PostAlerts(const nlohmann::json& alerts, std::string* error = nullptr) const;
  // GET /api/v2/alerts (query: e.g. "filter=alertname%3D%22X%22&active=true"); null on
  // transport errors.
  nlohmann::json Alerts(const std::string& query = "") const;
  // GET /api/v2/status: cluster (status "ready"/"settling"/"disabled", peers), config, uptime.
  nlohmann::json Status() const;
  nlohmann::json Get(const std::string& path) const;
  // Writes a new alertmanager.yml and POSTs /-/reload; true when it was accepted.
  bool Reload(const std::string& config_yaml, std::string* error = nullptr);

  std::string Logs() const { return ReadFile(dir_.File("alertmanager.log")); }
  const TempDir& dir() const { return dir_; }

 private:
  bool Launch(const std::string& config_yaml, std::vector<std::string> cluster_flags,
              std::string* error);

  TempDir dir_;
  Process process_;
  int port_ = 0;
  int cluster_port_ = 0;
};

// N Alertmanagers peered with each other (each lists every other as --cluster.peer).
class AlertmanagerCluster {
 public:
  // Starts every node with the same config and waits until each reports cluster status "ready"
  // with all N members.
  bool Start(size_t nodes, const std::string& config_yaml, std::string* error,
             const AlertmanagerClusterTimings& timings = {});
  void Stop();

  size_t size() const { return nodes_.size(); }
  AlertmanagerServer& node(size_t i) { return *nodes_.at(i); }
  std::string Logs() const;  // every node's log, headed by its URL

 private:
  std::vector<std::unique_ptr<AlertmanagerServer>> nodes_;
};

// An alert as Prometheus posts it to /api/v2/alerts. ends_at_ms kNoTime leaves endsAt out
// (Alertmanager then resolves it after resolve_timeout); an endsAt in the past resolves it.
nlohmann::json AlertJson(const Labels& labels, const Labels& annotations, int64_t starts_at_ms,
                         int64_t ends_at_ms, const std::string& generator_url = "");

// `amtool check-config` over config_yaml; its exit code (0: valid), its output in *output.
// -1 when amtool isn't installed.
int AmtoolCheckConfig(const std::string& config_yaml, std::string* output = nullptr);
inline bool AmtoolAvailable() { return HaveProgram("amtool"); }

}  // namespace codebot::testing
