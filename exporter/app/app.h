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
#include "exporter/rules/alert_sink.h"
#include "exporter/rules/manager.h"
#include "exporter/rules/rule_file.h"
#include "exporter/rules/store_writer.h"
#include "exporter/store/exposition_cache.h"
#include "exporter/store/series_store.h"

namespace codebot::app {

class App {
 public:
  // Throws config::ConfigError for a bad config or rule file and std::runtime_error when it
  // can't listen.
  App(Flags flags, config::Config config);
  ~App();

  void Start();
  void Stop();

  // Re-reads the config file and the rule files; on any error keeps everything as it was and
  // returns false.
  bool Reload(std::string* error);

  int port() const { return server_.port(); }

 private:
  void RegisterRoutes();
  http::Handler RequireAuth(http::Handler handler);
  void ApplySources(const config::Config* before, const config::Config& after);
  void ApplyRules(std::vector<rules::GroupSpec> groups, const config::Config& config);
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
  store::SeriesStore store_;
  rules::StoreWriter rule_writer_;
  rules::LogAlertSink alert_sink_;
  rules::Manager rule_manager_;
  std::vector<rules::GroupSpec> initial_rules_;  // validated at construction, applied by Start
  collect::Scheduler scheduler_;
  http::Server server_;
  mutable std::atomic<bool> started_up_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace codebot::app
