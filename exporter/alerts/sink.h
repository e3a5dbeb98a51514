// Where alerts enter the stages after the rules: the rule manager hands over its firing and
// resolved alerts through this interface after each group evaluation (from the group's
// evaluation thread, the way Prometheus' notifier gets them), and the webhook receiver hands over
// what an Alertmanager posted. Send must hand them over quickly and never block on the network.
#pragma once

#include <vector>

#include "exporter/alerts/alert.h"

namespace codebot::alerts {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void Send(std::vector<Alert> alerts) = 0;
};

}  // namespace codebot::alerts
