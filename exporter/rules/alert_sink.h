// Where firing and resolved alerts leave the rule engine: the notification stages (enrich,
// route, notify) implement this. Send is called after each group evaluation, from the group's
// evaluation thread, with the alerts due for (re)sending the way Prometheus' notifier gets
// them; it must hand them over quickly and never block on the network.
#pragma once

#include <vector>

#include "exporter/rules/alerting_rule.h"

namespace codebot::rules {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void Send(std::vector<Alert> alerts) = 0;
};

// Until the notification stages exist: one debug log line per alert handed over.
class LogAlertSink : public AlertSink {
 public:
  void Send(std::vector<Alert> alerts) override;
};

}  // namespace codebot::rules
