#include "exporter/alerts/log_sink.h"

#include "exporter/core/json_string.h"
#include "exporter/core/log.h"

namespace codebot::alerts {

std::string LabelsJson(const Labels& labels) {
  std::string out = "{";
  for (const auto& label : labels) {
    if (out.size() > 1) out += ',';
    json::AppendString(out, label.name);
    out += ':';
    json::AppendString(out, label.value);
  }
  out += '}';
  return out;
}

void LogSink::Send(std::vector<Alert> alerts) {
  if (!log::Enabled(log::Level::kDebug)) return;
  const int64_t now = NowUnixMs();
  for (const auto& alert : alerts) {
    log::Debug("alert to notify", {{"alertname", alert.Name()},
                                   {"alert_id", FingerprintHex(alert.Fingerprint())},
                                   {"status", StatusName(alert.StatusAt(now))},
                                   {"labels", LabelsJson(alert.labels)},
                                   {"starts_at", Rfc3339(alert.starts_at_ms)},
                                   {"ends_at", Rfc3339(alert.ends_at_ms)}});
  }
}

}  // namespace codebot::alerts
