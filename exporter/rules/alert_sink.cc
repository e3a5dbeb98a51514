#include "exporter/rules/alert_sink.h"

#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "exporter/rules/format.h"
#include "exporter/rules/promql/labels_util.h"

namespace codebot::rules {

void LogAlertSink::Send(std::vector<Alert> alerts) {
  if (!log::Enabled(log::Level::kDebug)) return;
  const int64_t now = NowUnixMs();
  for (const auto& alert : alerts) {
    log::Debug("alert to notify", {{"alertname", LabelValue(alert.labels, "alertname")},
                                   {"status", alert.Resolved(now) ? "resolved" : "firing"},
                                   {"labels", promql::LabelsToString(alert.labels)},
                                   {"starts_at", Rfc3339(alert.starts_at_ms)},
                                   {"ends_at", Rfc3339(alert.ends_at_ms)}});
  }
}

}  // namespace codebot::rules
