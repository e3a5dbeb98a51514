#include "tests/support/alertmanager_server.h"

#include "exporter/core/time.h"

namespace codebot::testing {
namespace {

// Go's duration syntax for Alertmanager's flags ("500ms").
std::string GoDuration(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

}  // namespace

bool AlertmanagerServer::Start(const std::string& config_yaml, std::string* error) {
  // An empty listen address turns clustering off: no gossip port, no settling.
  return Launch(config_yaml, {"--cluster.listen-address="}, error);
}

bool AlertmanagerServer::StartClusterNode(const std::string& config_yaml, int cluster_port,
                                          const std::vector<std::string>& peers,
                                          const AlertmanagerClusterTimings& timings,
                                          std::string* error) {
  cluster_port_ = cluster_port;
  std::vector<std::string> flags = {
      "--cluster.listen-address=" + ClusterAddress(),
      "--cluster.advertise-address=" + ClusterAddress(),
      "--cluster.peer-timeout=" + GoDuration(timings.peer_timeout),
      "--cluster.settle-timeout=" + GoDuration(timings.settle_timeout),
      "--cluster.gossip-interval=" + GoDuration(timings.gossip_interval),
      "--cluster.pushpull-interval=" + GoDuration(timings.pushpull_interval),
      // Fast failure detection and rejoin, so a test that stops a node sees it quickly.
      "--cluster.probe-interval=200ms",
      "--cluster.probe-timeout=100ms",
      "--cluster.reconnect-interval=1s",
  };
  for (const auto& peer : peers) flags.push_back("--cluster.peer=" + peer);
  return Launch(config_yaml, std::move(flags), error);
}

bool AlertmanagerServer::Launch(const std::string& config_yaml,
                                std::vector<std::string> cluster_flags, std::string* error) {
  WriteFile(dir_.File("alertmanager.yml"), config_yaml);
  port_ = FreePort();
  std::vector<std::string> argv = {kProgram,
                                   "--config.file=" + dir_.File("alertmanager.yml"),
                                   "--storage.path=" + dir_.File("data"),
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                   "--web.external-url=" + Url(),
                                   "--log.level=debug"};
  argv.insert(argv.end(), cluster_flags.begin(), cluster_flags.end());
  process_.Start(argv, dir_.File("alertmanager.log"));
  const bool ready = WaitFor(
      [&] {
        if (!process_.Running()) return true;
        auto response = HttpGet(Url("/-/ready"), 1000);
        return response.transport_ok() && response.status == 200;
      },
      std::chrono::seconds(30));
  if (!ready || !process_.Running()) {
    if (error != nullptr) *error = "alertmanager did not become ready:\n" + Logs();
    return false;
  }
  return true;
}

std::string AlertmanagerServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string AlertmanagerServer::ClusterAddress() const {
  return cluster_port_ == 0 ? "" : "127.0.0.1:" + std::to_string(cluster_port_);
}

bool AlertmanagerServer::PostAlerts(const nlohmann::json& alerts, std::string* error) const {
  auto response = HttpPost(Url("/api/v2/alerts"), alerts.dump(), "application/json", 10000);
  if (response.transport_ok() && response.status == 200) return true;
  if (error != nullptr) {
    *error = response.transport_ok()
                 ? "status " + std::to_string(response.status) + ": " + response.body
                 : response.error_message;
  }
  return false;
}

nlohmann::json AlertmanagerServer::Get(const std::string& path) const {
  auto response = HttpGet(Url(path), 10000);
  if (!response.transport_ok()) return nullptr;
  return nlohmann::json::parse(response.body, nullptr, false);
}

nlohmann::json AlertmanagerServer::Alerts(const std::string& query) const {
  return Get("/api/v2/alerts" + (query.empty() ? "" : "?" + query));
}

nlohmann::json AlertmanagerServer::Status() const { return Get("/api/v2/status"); }

bool AlertmanagerServer::Reload(const std::string& config_yaml, std::string* error) {
  WriteFile(dir_.File("alertmanager.yml"), config_yaml);
  auto response = HttpPost(Url("/-/reload"), "", "text/plain", 10000);
  if (response.transport_ok() && response.status == 200) return true;
  if (error != nullptr) {
    *error = response.transport_ok() ? response.body : response.error_message;
  }
  return false;
}

bool AlertmanagerCluster::Start(size_t nodes, const std::string& config_yaml, std::string* error,
                                const AlertmanagerClusterTimings& timings) {
  std::vector<int> ports;
  for (size_t i = 0; i < nodes; ++i) {
    ports.push_back(FreePort());
    nodes_.push_back(std::make_unique<AlertmanagerServer>());
  }
  for (size_t i = 0; i < nodes; ++i) {
    std::vector<std::string> peers;
    for (size_t j = 0; j < nodes; ++j) {
      if (j != i) peers.push_back("127.0.0.1:" + std::to_string(ports[j]));
    }
    if (!nodes_[i]->StartClusterNode(config_yaml, ports[i], peers, timings, error)) return false;
  }
  const bool settled = WaitFor(
      [&] {
        for (auto& node : nodes_) {
          const nlohmann::json status = node->Status();
          if (!status.is_object() || !status.contains("cluster")) return false;
          const auto& cluster = status["cluster"];
          if (cluster.value("status", "") != "ready") return false;
          if (!cluster.contains("peers") || cluster["peers"].size() != nodes) return false;
        }
        return true;
      },
      std::chrono::seconds(30));
  if (!settled && error != nullptr) *error = "the cluster did not settle:\n" + Logs();
  return settled;
}

void AlertmanagerCluster::Stop() {
  for (auto& node : nodes_) node->Stop();
}

std::string AlertmanagerCluster::Logs() const {
  std::string out;
  for (const auto& node : nodes_) out += "== " + node->Url() + "\n" + node->Logs();
  return out;
}

nlohmann::json AlertJson(const Labels& labels, const Labels& annotations, int64_t starts_at_ms,
                         int64_t ends_at_ms, const std::string& generator_url) {
  nlohmann::json alert = {{"labels", nlohmann::json::object()},
                          {"annotations", nlohmann::json::object()}};
  for (const auto& label : labels) alert["labels"][label.name] = label.value;
  for (const auto& annotation : annotations)
    alert["annotations"][annotation.name] = annotation.value;
  if (starts_at_ms != kNoTime) alert["startsAt"] = Rfc3339(starts_at_ms);
  if (ends_at_ms != kNoTime) alert["endsAt"] = Rfc3339(ends_at_ms);
  if (!generator_url.empty()) alert["generatorURL"] = generator_url;
  return alert;
}

int AmtoolCheckConfig(const std::string& config_yaml, std::string* output) {
  if (!AmtoolAvailable()) return -1;
  TempDir dir;
  WriteFile(dir.File("alertmanager.yml"), config_yaml);
  return RunCommand({"amtool", "check-config", dir.File("alertmanager.yml")}, output);
}

}  // namespace codebot::testing
