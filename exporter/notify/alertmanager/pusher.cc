#include "exporter/notify/alertmanager/pusher.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "exporter/core/build_info.h"
#include "exporter/core/labels.h"
#include "exporter/core/log.h"
#include "exporter/core/sanitize.h"
#include "exporter/core/time.h"
#include "exporter/http/auth.h"
#include "exporter/http/client.h"

namespace codebot::notify::alertmanager {
namespace {

// Alertmanager answers within milliseconds on a LAN; the top buckets are a struggling one.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

nlohmann::json LabelObject(const Labels& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& label : labels) out[label.name] = label.value;
  return out;
}

// The Authorization header of a request, resolved now so that a rotated secret file applies at
// once; "" when none is configured, nullopt when a secret file can't be read.
std::optional<std::string> Authorization(const config::AlertmanagerSet& settings,
                                         std::string* error) {
  if (!settings.basic_auth_username.empty()) {
    auto password = settings.basic_auth_password.Resolve(error);
    if (!password) return std::nullopt;
    return "Basic " + http::Base64Encode(settings.basic_auth_username + ":" + *password);
  }
  if (!settings.authorization_type.empty()) {
    auto credentials = settings.authorization_credentials.Resolve(error);
    if (!credentials) return std::nullopt;
    return settings.authorization_type + " " + *credentials;
  }
  return std::string();
}

}  // namespace

std::string EncodeAlerts(const std::vector<alerts::Alert>& alerts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& alert : alerts) {
    nlohmann::json a = {{"labels", LabelObject(alert.labels)},
                        {"annotations", LabelObject(alert.annotations)}};
    if (alert.starts_at_ms != kNoTime) a["startsAt"] = Rfc3339(alert.starts_at_ms);
    if (alert.ends_at_ms != kNoTime) a["endsAt"] = Rfc3339(alert.ends_at_ms);
    if (!alert.generator_url.empty()) a["generatorURL"] = alert.generator_url;
    out.push_back(std::move(a));
  }
  // Labels and annotations may hold invalid UTF-8 from a bot's metrics: replaced, not thrown.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Pusher::Pusher(PusherOptions options)
    : options_(options),
      sent_(prometheus::BuildCounter()
                .Name("codebot_exporter_notifications_alertmanager_sent_total")
                .Help("Alerts an Alertmanager accepted (2xx answer to POST /api/v2/alerts).")
                .Register(*options_.registry)),
      errors_(prometheus::BuildCounter()
                  .Name("codebot_exporter_notifications_alertmanager_errors_total")
                  .Help("Alerts whose request to an Alertmanager failed: transport error, "
                        "timeout or a non-2xx answer.")
                  .Register(*options_.registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("codebot_exporter_notifications_alertmanager_latency_seconds")
                   .Help("Duration of POST /api/v2/alerts requests to an Alertmanager.")
                   .Register(*options_.registry)),
      dropped_(prometheus::BuildCounter()
                   .Name("codebot_exporter_notifications_alertmanager_dropped_total")
                   .Help("Alerts dropped before reaching any Alertmanager: the queue was full, "
                         "every Alertmanager failed their batch, or none is configured.")
                   .Register(*options_.registry)
                   .Add({})),
      queue_length_(prometheus::BuildGauge()
                        .Name("codebot_exporter_notifications_alertmanager_queue_length")
                        .Help("Alerts waiting to be sent to the Alertmanagers.")
                        .Register(*options_.registry)
                        .Add({})),
      queue_capacity_(prometheus::BuildGauge()
                          .Name("codebot_exporter_notifications_alertmanager_queue_capacity")
                          .Help("Capacity of the queue of alerts for the Alertmanagers.")
                          .Register(*options_.registry)
                          .Add({})),
      discovered_(prometheus::BuildGauge()
                      .Name("codebot_exporter_notifications_alertmanagers_discovered")
                      .Help("Alertmanagers the alerts are sent to (alerting.alertmanagers).")
                      .Register(*options_.registry)
                      .Add({})),
      targets_(std::make_shared<const Targets>()) {
  queue_capacity_.Set(static_cast<double>(options_.capacity));
}

Pusher::~Pusher() { Stop(); }

void Pusher::Apply(const config::AlertingConfig& config, Labels external_labels) {
  auto targets = std::make_shared<Targets>();
  std::lock_guard lock(mutex_);
  for (const auto& set : config.alertmanagers) {
    auto settings = std::make_shared<const config::AlertmanagerSet>(set);
    for (const auto& host : set.targets) {
      const std::string url = set.AlertsUrl(host);
      auto known = metrics_by_url_.find(url);
      if (known == metrics_by_url_.end()) {
        Target metrics;
        metrics.url = url;
        const prometheus::Labels labels = {{"alertmanager", url}};
        metrics.sent = &sent_.Add(labels);
        metrics.errors = &errors_.Add(labels);
        metrics.latency = &latency_.Add(labels, kLatencyBuckets);
        known = metrics_by_url_.emplace(url, metrics).first;
      }
      // The same Alertmanager listed twice gets each batch once.
      if (std::any_of(targets->begin(), targets->end(),
                      [&](const Target& t) { return t.url == url; })) {
        continue;
      }
      Target target = known->second;
      target.settings = settings;
      targets->push_back(std::move(target));
    }
  }
  discovered_.Set(static_cast<double>(targets->size()));
  targets_ = std::move(targets);
  external_labels_ = std::move(external_labels);
  applied_ = true;
  StartLocked();
  cv_.notify_all();
}

void Pusher::StartLocked() {
  // Without alerts to send the thread would only wait: a sidecar whose alerts go to its local
  // route never starts it.
  if (started_ || stop_ || !applied_ || queue_.empty()) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void Pusher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Pusher::Send(std::vector<alerts::Alert> alerts) {
  if (alerts.empty()) return;
  std::lock_guard lock(mutex_);
  for (auto& alert : alerts) {
    for (const auto& external : external_labels_) {
      if (LabelValue(alert.labels, external.name).empty()) {
        SetLabel(&alert.labels, external.name, external.value);
      }
    }
  }
  // More than the queue holds: only the newest fit.
  size_t first = 0;
  if (alerts.size() > options_.capacity) {
    first = alerts.size() - options_.capacity;
    dropped_.Increment(static_cast<double>(first));
  }
  // A full queue gives up its oldest alerts for the newer ones.
  const size_t incoming = alerts.size() - first;
  if (queue_.size() + incoming > options_.capacity) {
    const size_t excess = queue_.size() + incoming - options_.capacity;
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(excess));
    dropped_.Increment(static_cast<double>(excess));
  }
  for (size_t i = first; i < alerts.size(); ++i) queue_.push_back(std::move(alerts[i]));
  queue_length_.Set(static_cast<double>(queue_.size()));
  StartLocked();
  cv_.notify_all();
}

size_t Pusher::QueueLength() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Pusher::Loop() {
  std::optional<SteadyClock::time_point> drain_until;
  for (;;) {
    std::vector<alerts::Alert> batch;
    std::shared_ptr<const Targets> targets;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_ && !drain_until) drain_until = SteadyClock::now() + options_.drain_timeout;
      if (stop_ && (queue_.empty() || SteadyClock::now() >= *drain_until)) {
        if (!queue_.empty()) {
          dropped_.Increment(static_cast<double>(queue_.size()));
          log::Warn("stopping: alerts not sent to the Alertmanagers were dropped",
                    {{"count", queue_.size()}});
          queue_.clear();
          queue_length_.Set(0);
        }
        return;
      }
      const size_t n = std::min(options_.max_batch, queue_.size());
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queue_length_.Set(static_cast<double>(queue_.size()));
      targets = targets_;
    }
    if (targets->empty()) {
      dropped_.Increment(static_cast<double>(batch.size()));
      continue;
    }
    if (!SendAll(*targets, EncodeAlerts(batch), batch.size())) {
      dropped_.Increment(static_cast<double>(batch.size()));
    }
  }
}

bool Pusher::SendAll(const Targets& targets, const std::string& body, size_t count) {
  // Clients of Alertmanagers no longer configured close their connections.
  std::erase_if(clients_, [&](const auto& entry) {
    return std::none_of(targets.begin(), targets.end(),
                        [&](const Target& t) { return t.url == entry.first; });
  });
  std::vector<http::Client*> clients;
  for (const auto& target : targets) {
    auto& client = clients_[target.url];
    if (!client) client = std::make_unique<http::Client>();
    clients.push_back(client.get());
  }
  // Every Alertmanager at once: a slow one delays the next batch, never another's request.
  std::vector<char> ok(targets.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < targets.size(); ++i) {
    threads.emplace_back([&, i] { ok[i] = SendOne(targets[i], *clients[i], body, count); });
  }
  ok[0] = SendOne(targets[0], *clients[0], body, count);
  for (auto& thread : threads) thread.join();
  return std::any_of(ok.begin(), ok.end(), [](char v) { return v != 0; });
}

bool Pusher::SendOne(const Target& target, http::Client& client, const std::string& body,
                     size_t count) {
  const config::AlertmanagerSet& settings = *target.settings;
  http::ClientRequest request;
  request.method = "POST";
  request.url = target.url;
  request.body = body;
  request.timeout = settings.timeout;
  request.max_body_bytes = 1 << 20;
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back("User-Agent", "codebot-exporter/" + std::string(BuildVersion()));
  std::string error;
  auto authorization = Authorization(settings, &error);
  if (!authorization) {
    target.errors->Increment(static_cast<double>(count));
    log::Error("can't send alerts to an Alertmanager: secret unreadable",
               {{"alertmanager", target.url}, {"err", error}});
    return false;
  }
  if (!authorization->empty()) request.headers.emplace_back("Authorization", *authorization);
  const auto begin = SteadyClock::now();
  const http::ClientResponse response = client.Do(request);
  target.latency->Observe(std::chrono::duration<double>(SteadyClock::now() - begin).count());
  if (response.transport_ok() && response.status / 100 == 2) {
    target.sent->Increment(static_cast<double>(count));
    return true;
  }
  target.errors->Increment(static_cast<double>(count));
  std::string reason;
  if (!response.transport_ok()) {
    reason = std::string(http::ClientErrorName(response.error)) + ": " + response.error_message;
  } else {
    reason = "HTTP " + std::to_string(response.status) + ": " +
             sanitize::Redact(response.body.substr(0, 200));
  }
  log::Error("error sending alerts to an Alertmanager",
             {{"alertmanager", target.url}, {"count", count}, {"err", reason}});
  return false;
}

}  // namespace codebot::notify::alertmanager
