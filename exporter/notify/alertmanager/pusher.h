// Pushes the sidecar's own alerts to Alertmanagers (alerting.alertmanagers), the way Prometheus'
// notifier does: the rule manager hands alerts over (firing ones every resend delay, resolved
// ones with their endsAt for 15 minutes), they wait in a bounded queue (the oldest dropped when
// it is full), and one thread sends them in batches of at most 64 to every Alertmanager at once,
// each request bounded by its timeout. An Alertmanager cluster then groups, deduplicates across
// the sidecar's replicas and notifies (usually through the sidecar's own webhook receiver).
// Never links the rules: it takes alerts::Alert. Send never blocks on the network.
//
// Metrics (Prometheus' prometheus_notifications_* under our prefix):
//   codebot_exporter_notifications_alertmanager_sent_total{alertmanager}     alerts delivered
//   codebot_exporter_notifications_alertmanager_errors_total{alertmanager}   alerts whose request
//       failed (transport error, timeout, non-2xx answer)
//   codebot_exporter_notifications_alertmanager_dropped_total   alerts dropped: queue full, or no
//       Alertmanager took their batch
//   codebot_exporter_notifications_alertmanager_queue_length / _queue_capacity
//   codebot_exporter_notifications_alertmanager_latency_seconds{alertmanager}  (histogram)
//   codebot_exporter_notifications_alertmanagers_discovered
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exporter/alerts/alert.h"
#include "exporter/alerts/sink.h"
#include "exporter/config/alerting.h"
#include "exporter/core/metric.h"

namespace codebot::http {
class Client;
}

namespace codebot::notify::alertmanager {

struct PusherOptions {
  prometheus::Registry* registry = nullptr;  // required
  size_t capacity = 10000;  // Prometheus' --alertmanager.notification-queue-capacity
  size_t max_batch = 64;    // Prometheus' maxBatchSize
  // On Stop, how long the queue may still be sent before what is left is dropped.
  std::chrono::milliseconds drain_timeout = std::chrono::seconds(5);
};

// The request body Alertmanager's POST /api/v2/alerts takes: a JSON array of
// {labels, annotations, startsAt, endsAt, generatorURL}; endsAt left out when unknown.
std::string EncodeAlerts(const std::vector<alerts::Alert>& alerts);

class Pusher final : public alerts::AlertSink {
 public:
  explicit Pusher(PusherOptions options);
  ~Pusher() override;
  Pusher(const Pusher&) = delete;
  Pusher& operator=(const Pusher&) = delete;

  // Sets the Alertmanagers and the external labels added to every alert (unless it has the label
  // already). What is queued stays queued. The sending thread starts once both a call here and
  // an alert have come.
  void Apply(const config::AlertingConfig& config, Labels external_labels);

  // Sends what is queued for at most drain_timeout, then stops the thread. Idempotent.
  void Stop();

  // From the rule manager: queues the alerts (external labels added) and returns.
  void Send(std::vector<alerts::Alert> alerts) override;

  size_t QueueLength() const;

 private:
  struct Target {
    std::string url;  // <scheme>://<host:port><prefix>/api/v2/alerts, the metrics' label
    std::shared_ptr<const config::AlertmanagerSet> settings;
    prometheus::Counter* sent = nullptr;
    prometheus::Counter* errors = nullptr;
    prometheus::Histogram* latency = nullptr;
  };
  using Targets = std::vector<Target>;

  // Starts the sending thread if it has something to send and somewhere to send it.
  void StartLocked();
  void Loop();
  // Sends one batch to every target at once; true when at least one took it.
  bool SendAll(const Targets& targets, const std::string& body, size_t count);
  bool SendOne(const Target& target, http::Client& client, const std::string& body, size_t count);

  const PusherOptions options_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Counter& dropped_;
  prometheus::Gauge& queue_length_;
  prometheus::Gauge& queue_capacity_;
  prometheus::Gauge& discovered_;

  mutable std::mutex mutex_;  // guards the members below
  std::condition_variable cv_;
  std::deque<alerts::Alert> queue_;
  std::shared_ptr<const Targets> targets_;
  Labels external_labels_;
  std::map<std::string, Target> metrics_by_url_;  // every URL ever configured keeps its series
  bool applied_ = false;
  bool started_ = false;
  bool stop_ = false;
  std::thread thread_;

  // Only the sending thread touches these: one connection-reusing client per Alertmanager.
  std::map<std::string, std::unique_ptr<http::Client>> clients_;
};

}  // namespace codebot::notify::alertmanager
