// The composition root: builds the stages (collect -> store -> rules -> alerts -> notify), wires
// them together behind one HTTP server, lets each stage register its own routes and metrics, and
// owns reloading: a new config is loaded and checked completely before anything is replaced, so
// a bad reload keeps the last good state.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "exporter/app/cli.h"
#include "exporter/app/delivery.h"
#include "exporter/collect/process_metrics.h"
#include "exporter/collect/scheduler.h"
#include "exporter/config/config.h"
#include "exporter/http/server.h"
#include "exporter/notify/alertmanager/pusher.h"
#include "exporter/rules/manager.h"
#include "exporter/rules/rule_file.h"
#include "exporter/rules/store_writer.h"
#include "exporter/store/exposition_cache.h"
#include "exporter/store/series_store.h"

namespace codebot::app {

struct AppOptions {
  // Receives every alert the rules hand over, in place of the configured delivery (tests).
  alerts::AlertSink* alert_sink = nullptr;
};

// Where the rule manager's alerts go, chosen by the current config and switched on reload: with
// alerting.alertmanagers, to the pusher only (the Alertmanager cluster deduplicates across
// replicas and calls our webhook receiver back, so N replicas never notify N times); without, to
// the local delivery stage.
class SwitchingSink final : public alerts::AlertSink {
 public:
  explicit SwitchingSink(alerts::AlertSink* target) : target_(target) {}
  void Set(alerts::AlertSink* target) { target_.store(target); }
  alerts::AlertSink* Get() const { return target_.load(); }
  void Send(std::vector<alerts::Alert> alerts) override { target_.load()->Send(std::move(alerts)); }

 private:
  std::atomic<alerts::AlertSink*> target_;
};

class App {
 public:
  // Throws config::ConfigError for a bad config or rule file and std::runtime_error when it
  // can't listen.
  App(Flags flags, config::Config config, AppOptions options = {});
  ~App();

  void Start();
  void Stop();

  // Re-reads the config file and the rule files; on any error keeps everything as it was and
  // returns false.
  bool Reload(std::string* error);

  int port() const { return server_.port(); }

 private:
  std::shared_ptr<const config::Config> CurrentConfig() const;
  void RegisterRoutes();
  void ApplyRules(std::vector<rules::GroupSpec> groups, const config::Config& config);
  void ApplyAlerting(const config::Config& config);
  std::string ExternalUrl() const;
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
  DeliveryStage delivery_;
  notify::alertmanager::Pusher pusher_;
  SwitchingSink rule_alerts_{&delivery_};  // delivery_ or pusher_, as the config says
  rules::Manager rule_manager_;
  std::vector<rules::GroupSpec> initial_rules_;  // validated at construction, applied by Start
  DeliveryStage::Prepared initial_delivery_;     // the same
  collect::Scheduler scheduler_;
  http::Server server_;
  // Set once Start() has handed every source to the scheduler: the server answers probes before
  // that, when the scheduler has no sources yet and so nothing it waits for.
  std::atomic<bool> sources_applied_{false};
  mutable std::atomic<bool> started_up_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace codebot::app
