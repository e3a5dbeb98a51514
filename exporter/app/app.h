// Wires the stages together (collect -> store -> rules -> alerts -> notify) behind one HTTP
// server, and owns reloading: a new config is loaded and checked completely before anything is
// replaced, so a bad reload keeps the last good state.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "exporter/app/cli.h"
#include "exporter/collect/process_metrics.h"
#include "exporter/collect/scheduler.h"
#include "exporter/config/config.h"
#include "exporter/http/server.h"
#include "exporter/store/exposition_cache.h"

namespace codebot::app {

class App {
 public:
  // Throws config::ConfigError for a bad config and std::runtime_error when it can't listen.
  App(Flags flags, config::Config config);
  ~App();

  void Start();
  void Stop();

  // Re-reads the config file; on any error keeps everything as it was and returns false.
  bool Reload(std::string* error);

  int port() const { return server_.port(); }

 private:
  void RegisterRoutes();
  http::Handler RequireAuth(http::Handler handler);
  void ApplySources(const config::Config* before, const config::Config& after);
  http::Response Metrics() const;
  http::Response Readiness(bool startup) const;

  Flags flags_;
  std::mutex reload_mutex_;
  std::shared_ptr<const config::Config> config_;  // replaced whole on reload
  mutable std::mutex config_mutex_;

  std::shared_ptr<prometheus::Registry> registry_;
  collect::ProcessMetrics process_metrics_;
  prometheus::Gauge& reload_success_;
  prometheus::Gauge& reload_timestamp_;
  store::ExpositionCache exposition_;
  collect::Scheduler scheduler_;
  http::Server server_;
  mutable std::atomic<bool> started_up_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace codebot::app
