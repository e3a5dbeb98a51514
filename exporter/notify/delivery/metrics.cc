#include "exporter/notify/delivery/metrics.h"

#include <array>

#include "exporter/notify/notifier.h"

namespace codebot::notify::delivery {
namespace {

constexpr std::array<std::string_view, 6> kRequestReasons = {kReasonClientError, kReasonServerError,
                                                             kReasonRateLimited, kReasonTimeout,
                                                             kReasonConnect,     kReasonOther};

// Delivery latency from enqueue: a quick API answers within the first buckets; a notification
// that waited out a 429 or an outage lands in the minutes and hours.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {0.1, 0.25, 0.5, 1,   2.5, 5,
                                                                 10,  30,   60,  300, 3600};

}  // namespace

std::string_view BoundedReason(std::string_view reason, bool allow_expired) {
  for (auto known : kRequestReasons) {
    if (reason == known) return known;
  }
  if (allow_expired && reason == kReasonExpired) return kReasonExpired;
  return kReasonOther;
}

void DeliveryMetrics::Integration::Failed(std::string_view reason) const {
  failed.find(BoundedReason(reason, true))->second->Increment();
}

void DeliveryMetrics::Integration::RequestFailed(std::string_view reason) const {
  requests_failed.find(BoundedReason(reason, false))->second->Increment();
}

DeliveryMetrics::DeliveryMetrics(prometheus::Registry& registry)
    : notifications_(prometheus::BuildCounter()
                         .Name("codebot_exporter_notifications_total")
                         .Help("Notifications handed to an integration (one per integration of "
                               "the receiver a flushed group went to).")
                         .Register(registry)),
      failed_(prometheus::BuildCounter()
                  .Name("codebot_exporter_notifications_failed_total")
                  .Help("Notifications given up: rejected for good by the API (client_error, "
                        "...), retried past notifications.max_age (expired), or left without "
                        "an integration by a reload (other).")
                  .Register(registry)),
      requests_(prometheus::BuildCounter()
                    .Name("codebot_exporter_notification_requests_total")
                    .Help("HTTP requests made to an integration's API, retries included.")
                    .Register(registry)),
      requests_failed_(prometheus::BuildCounter()
                           .Name("codebot_exporter_notification_requests_failed_total")
                           .Help("HTTP requests to an integration's API that failed, by reason.")
                           .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("codebot_exporter_notification_latency_seconds")
                   .Help("Time from a notification's enqueue to its delivery, retries and "
                         "restarts included.")
                   .Register(registry)),
      queue_length_(prometheus::BuildGauge()
                        .Name("codebot_exporter_notification_queue_length")
                        .Help("Notifications waiting in the outbox for an integration.")
                        .Register(registry)),
      oldest_age_(prometheus::BuildGauge()
                      .Name("codebot_exporter_notification_queue_oldest_age_seconds")
                      .Help("Age of the oldest notification waiting in the outbox for an "
                            "integration (0 when none waits).")
                      .Register(registry)),
      outbox_bytes_(prometheus::BuildGauge()
                        .Name("codebot_exporter_outbox_bytes")
                        .Help("Size of the outbox log on disk.")
                        .Register(registry)
                        .Add({})),
      write_failures_(prometheus::BuildCounter()
                          .Name("codebot_exporter_outbox_write_failures_total")
                          .Help("Writes to the outbox log that failed (disk full, I/O error); "
                                "an enqueue that failed is retried by the dispatcher.")
                          .Register(registry)
                          .Add({})) {}

const DeliveryMetrics::Integration& DeliveryMetrics::For(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = integrations_.find(name);
  if (it != integrations_.end()) return it->second;
  Integration m;
  const prometheus::Labels labels = {{"integration", name}};
  m.notifications = &notifications_.Add(labels);
  m.requests = &requests_.Add(labels);
  m.latency = &latency_.Add(labels, kLatencyBuckets);
  m.queue_length = &queue_length_.Add(labels);
  m.oldest_age = &oldest_age_.Add(labels);
  for (auto reason : kRequestReasons) {
    const std::string r(reason);
    m.failed.emplace(r, &failed_.Add({{"integration", name}, {"reason", r}}));
    m.requests_failed.emplace(r, &requests_failed_.Add({{"integration", name}, {"reason", r}}));
  }
  const std::string expired(kReasonExpired);
  m.failed.emplace(expired, &failed_.Add({{"integration", name}, {"reason", expired}}));
  return integrations_.emplace(name, std::move(m)).first->second;
}

}  // namespace codebot::notify::delivery
