// The delivery layer's metrics, Alertmanager's notifier metrics under our prefix (label
// `integration` is the integration's name: telegram, slack, pagerduty, webhook; `reason` one of
// the bounded kReason* values), plus the outbox's own. Every reason of an integration exists at 0
// from its first configuration on, so that increase() sees the first failure.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace codebot::notify::delivery {

// The reasons a notification is given up for: the integrations' kReason* values and expired.
// Anything else an integration reports is counted as "other", so the label stays bounded.
std::string_view BoundedReason(std::string_view reason, bool allow_expired);

class DeliveryMetrics {
 public:
  explicit DeliveryMetrics(prometheus::Registry& registry);

  struct Integration {
    prometheus::Counter* notifications = nullptr;
    prometheus::Counter* requests = nullptr;
    prometheus::Histogram* latency = nullptr;
    prometheus::Gauge* queue_length = nullptr;
    prometheus::Gauge* oldest_age = nullptr;
    std::map<std::string, prometheus::Counter*, std::less<>> failed;
    std::map<std::string, prometheus::Counter*, std::less<>> requests_failed;

    void Failed(std::string_view reason) const;
    void RequestFailed(std::string_view reason) const;
  };

  // The series of one integration, created (every reason at 0) on first use. Thread-safe; the
  // reference stays valid for the life of this object.
  const Integration& For(const std::string& name);

  prometheus::Gauge& outbox_bytes() { return outbox_bytes_; }
  prometheus::Counter& write_failures() { return write_failures_; }

 private:
  prometheus::Family<prometheus::Counter>& notifications_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& requests_failed_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Gauge>& queue_length_;
  prometheus::Family<prometheus::Gauge>& oldest_age_;
  prometheus::Gauge& outbox_bytes_;
  prometheus::Counter& write_failures_;
  std::mutex mutex_;
  std::map<std::string, Integration, std::less<>> integrations_;
};

}  // namespace codebot::notify::delivery
