// The delivery stages as the config describes them, wired once and rebuilt in place on reload:
// the playbooks (an enricher), the dispatcher (route tree, grouping, inhibition, dedup) and the
// durable outbox with one lane per integration (Telegram, Slack, PagerDuty, webhook). It is the
// sink the rule manager hands its alerts to and the receiver behind POST /alertmanager[/<name>].
// With no receiver configured, alerts end in one debug log line each (nothing to deliver to).
// Everything that can fail (playbook files, the outbox folder) fails in Prepare, before anything
// is replaced, so a bad reload keeps the running delivery as it was.
#pragma once

#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "exporter/alerts/dispatcher.h"
#include "exporter/alerts/enrich.h"
#include "exporter/alerts/log_sink.h"
#include "exporter/alerts/sink.h"
#include "exporter/alerts/webhook/receiver.h"
#include "exporter/config/config.h"
#include "exporter/config/playbooks.h"
#include "exporter/notify/delivery/outbox.h"

namespace codebot::app {

class DeliveryStage final : public alerts::AlertSink, public alerts::webhook::AlertReceiver {
 public:
  // A checked config, ready to apply without failing.
  struct Prepared {
    config::Delivery delivery;
    config::Playbooks playbooks;
    std::unique_ptr<notify::delivery::Outbox> outbox;  // set when a first outbox is opened
  };

  explicit DeliveryStage(prometheus::Registry& registry);
  ~DeliveryStage() override;
  DeliveryStage(const DeliveryStage&) = delete;
  DeliveryStage& operator=(const DeliveryStage&) = delete;

  // Loads the playbook files and, the first time a data_dir is configured, opens the outbox
  // there (replaying what a previous run left). Throws config::ConfigError or
  // std::runtime_error with what is wrong; changes nothing.
  Prepared Prepare(const config::Config& config);

  // Applies a prepared config: the first call starts the dispatcher's timers and the lanes.
  // external_url is the sidecar's (links in our own notifications), host_name PagerDuty's
  // default source.
  void Apply(Prepared prepared, const std::string& external_url, const std::string& host_name);

  // Stops the timers and the lanes (attempts in flight finish, bounded by their deadline);
  // what is pending stays in the outbox for the next start.
  void Stop();

  // From the rule manager.
  void Send(std::vector<alerts::Alert> alerts) override;

  // From POST /alertmanager and POST /alertmanager/<receiver>. Before the first Apply (the HTTP
  // server answers while the sidecar is still starting) both say kUnavailable: a 503, which
  // Alertmanager retries, where "no route"/"unknown receiver" (404) would make it drop the
  // notification.
  alerts::webhook::Handover Route(std::vector<alerts::Alert> alerts) override;
  alerts::webhook::Handover ToReceiver(alerts::Notification notification) override;

 private:
  std::vector<notify::delivery::Integration> BuildIntegrations(const config::Delivery& delivery,
                                                               const std::string& external_url,
                                                               const std::string& host_name);

  prometheus::Registry& registry_;
  std::mutex mutex_;      // guards the members below; never held while calling into the stages
  bool applied_ = false;  // the first Apply has run
  std::string data_dir_;
  std::shared_ptr<const alerts::Enricher> enricher_;
  std::unique_ptr<notify::delivery::Outbox> outbox_;
  std::shared_ptr<alerts::Dispatcher> dispatcher_;
  // Every integration's config as last applied and its generation: an unchanged one keeps its
  // lane (and its notifier's rate limits and connection).
  using IntegrationConfig = std::variant<config::TelegramConfig, config::SlackConfig,
                                         config::PagerDutyConfig, config::WebhookConfig>;
  std::map<std::string, std::pair<IntegrationConfig, int>> integration_configs_;
  int generation_ = 0;
  alerts::LogSink log_sink_;
};

}  // namespace codebot::app
