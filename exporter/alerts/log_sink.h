// The sink of a sidecar with no receivers configured: one debug log line per alert handed over,
// so that an operator can still see what would have been notified.
#pragma once

#include "exporter/alerts/sink.h"

namespace codebot::alerts {

class LogSink : public AlertSink {
 public:
  void Send(std::vector<Alert> alerts) override;
};

// A label set as a JSON object ({"alertname":"X","severity":"critical"}), for log fields.
std::string LabelsJson(const Labels& labels);

}  // namespace codebot::alerts
