#include "exporter/app/delivery.h"

#include "exporter/alerts/webhook/dispatcher_receiver.h"
#include "exporter/config/yaml.h"
#include "exporter/core/log.h"
#include "exporter/notify/pagerduty/pagerduty.h"
#include "exporter/notify/slack/slack.h"
#include "exporter/notify/telegram/telegram.h"
#include "exporter/notify/webhook/webhook.h"

namespace codebot::app {
namespace {

bool HasIntegrations(const config::Delivery& delivery) {
  for (const auto& receiver : delivery.receivers) {
    if (!receiver.telegram_configs.empty() || !receiver.slack_configs.empty() ||
        !receiver.pagerduty_configs.empty() || !receiver.webhook_configs.empty()) {
      return true;
    }
  }
  return false;
}

}  // namespace

DeliveryStage::DeliveryStage(prometheus::Registry& registry) : registry_(registry) {}

DeliveryStage::~DeliveryStage() { Stop(); }

DeliveryStage::Prepared DeliveryStage::Prepare(const config::Config& config) {
  Prepared prepared;
  prepared.delivery = config.delivery;
  prepared.playbooks = config::LoadPlaybookFiles(config.delivery.notifications.playbook_files);
  const std::string& data_dir = config.delivery.notifications.data_dir;
  std::string current;
  {
    std::lock_guard lock(mutex_);
    current = data_dir_;
  }
  if (!current.empty() && data_dir != current && HasIntegrations(config.delivery)) {
    throw config::ConfigError(config.file + ": notifications.data_dir can't change on reload (" +
                              current + " is in use); restart the sidecar to move the outbox");
  }
  if (current.empty() && !data_dir.empty()) {
    notify::delivery::OutboxOptions options =
        notify::delivery::OutboxOptionsFrom(config.delivery.notifications);
    prepared.outbox = std::make_unique<notify::delivery::Outbox>(registry_, std::move(options));
  }
  return prepared;
}

std::vector<notify::delivery::Integration> DeliveryStage::BuildIntegrations(
    const config::Delivery& delivery, const std::string& external_url,
    const std::string& host_name) {
  std::vector<notify::delivery::Integration> out;
  std::map<std::string, std::pair<IntegrationConfig, int>> next;
  auto add = [&](const std::string& receiver, const char* name, size_t index,
                 IntegrationConfig config, bool send_resolved,
                 std::unique_ptr<notify::Notifier> notifier) {
    notify::delivery::Integration integration;
    integration.receiver = receiver;
    integration.name = name;
    integration.index = index;
    integration.send_resolved = send_resolved;
    const std::string key = notify::delivery::LaneKey(receiver, name, index);
    int generation = ++generation_;
    if (auto it = integration_configs_.find(key);
        it != integration_configs_.end() && it->second.first == config) {
      generation = it->second.second;  // unchanged: its lane keeps running
    }
    integration.fingerprint = std::to_string(generation);
    integration.notifier = std::move(notifier);
    next.emplace(key, std::make_pair(std::move(config), generation));
    out.push_back(std::move(integration));
  };
  for (const auto& receiver : delivery.receivers) {
    for (size_t i = 0; i < receiver.telegram_configs.size(); ++i) {
      const auto& c = receiver.telegram_configs[i];
      add(receiver.name, "telegram", i, c, c.send_resolved,
          notify::telegram::NewNotifier(c, external_url));
    }
    for (size_t i = 0; i < receiver.slack_configs.size(); ++i) {
      const auto& c = receiver.slack_configs[i];
      add(receiver.name, "slack", i, c, c.send_resolved, notify::slack::NewNotifier(c));
    }
    for (size_t i = 0; i < receiver.pagerduty_configs.size(); ++i) {
      const auto& c = receiver.pagerduty_configs[i];
      add(receiver.name, "pagerduty", i, c, c.send_resolved,
          notify::pagerduty::NewNotifier(c, external_url, host_name));
    }
    for (size_t i = 0; i < receiver.webhook_configs.size(); ++i) {
      const auto& c = receiver.webhook_configs[i];
      add(receiver.name, "webhook", i, c, c.send_resolved,
          notify::webhook::NewNotifier(c, external_url));
    }
  }
  integration_configs_ = std::move(next);
  return out;
}

void DeliveryStage::Apply(Prepared prepared, const std::string& external_url,
                          const std::string& host_name) {
  auto enricher = std::make_shared<const alerts::Enricher>(
      std::move(prepared.playbooks), prepared.delivery.notifications.grafana_url);
  alerts::EnrichFunc enrich = [enricher](const alerts::Alert& alert) {
    return enricher->Enrich(alert);
  };
  std::shared_ptr<alerts::Dispatcher> dispatcher;
  notify::delivery::Outbox* outbox = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (prepared.outbox) {
      outbox_ = std::move(prepared.outbox);
      data_dir_ = prepared.delivery.notifications.data_dir;
    }
    enricher_ = enricher;
    outbox = outbox_.get();
    dispatcher = dispatcher_;
  }
  if (outbox == nullptr) {
    // No data_dir: no receiver has an integration (the config requires one otherwise), so there
    // is nothing to deliver to; alerts are logged.
    std::lock_guard lock(mutex_);
    applied_ = true;
    return;
  }
  outbox->SetRetryPolicy(
      notify::delivery::OutboxOptionsFrom(prepared.delivery.notifications).retry);
  outbox->Update(BuildIntegrations(prepared.delivery, external_url, host_name));
  if (dispatcher) {
    dispatcher->Update(prepared.delivery, std::move(enrich));
    return;
  }
  alerts::DispatcherOptions options;
  options.sink = outbox;
  options.registry = &registry_;
  options.external_url = external_url;
  options.state_dir = data_dir_;
  dispatcher = std::make_shared<alerts::Dispatcher>(options, prepared.delivery, std::move(enrich));
  dispatcher->Start();
  std::lock_guard lock(mutex_);
  dispatcher_ = std::move(dispatcher);
  applied_ = true;
}

void DeliveryStage::Stop() {
  std::shared_ptr<alerts::Dispatcher> dispatcher;
  notify::delivery::Outbox* outbox = nullptr;
  {
    std::lock_guard lock(mutex_);
    dispatcher = dispatcher_;
    outbox = outbox_.get();
  }
  if (dispatcher) {
    dispatcher->Stop();
    dispatcher->Persist();
  }
  if (outbox != nullptr) outbox->Stop();
}

void DeliveryStage::Send(std::vector<alerts::Alert> alerts) {
  std::shared_ptr<alerts::Dispatcher> dispatcher;
  {
    std::lock_guard lock(mutex_);
    dispatcher = dispatcher_;
  }
  if (dispatcher && dispatcher->HasRoute()) {
    dispatcher->Send(std::move(alerts));
  } else {
    log_sink_.Send(std::move(alerts));
  }
}

alerts::webhook::Handover DeliveryStage::Route(std::vector<alerts::Alert> alerts) {
  std::shared_ptr<alerts::Dispatcher> dispatcher;
  {
    std::lock_guard lock(mutex_);
    if (!applied_) return alerts::webhook::Handover::kUnavailable;
    dispatcher = dispatcher_;
  }
  if (!dispatcher) return alerts::webhook::Handover::kNoRoute;
  return alerts::webhook::DispatcherReceiver(*dispatcher).Route(std::move(alerts));
}

alerts::webhook::Handover DeliveryStage::ToReceiver(alerts::Notification notification) {
  std::shared_ptr<alerts::Dispatcher> dispatcher;
  {
    std::lock_guard lock(mutex_);
    if (!applied_) return alerts::webhook::Handover::kUnavailable;
    dispatcher = dispatcher_;
  }
  if (!dispatcher) return alerts::webhook::Handover::kUnknownReceiver;
  return alerts::webhook::DispatcherReceiver(*dispatcher).ToReceiver(std::move(notification));
}

}  // namespace codebot::app
