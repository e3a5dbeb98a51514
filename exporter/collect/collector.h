// What every source implements: collect once, before a deadline, into metric families. The
// scheduler owns timing, self metrics and logging for all of them, so a collector does only I/O
// and mapping. A collector never throws: every failure is a result with a bounded reason.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exporter/core/metric.h"
#include "exporter/core/time.h"

namespace codebot::collect {

struct CollectResult {
  bool ok = true;
  // On failure: one of the collector's ErrorReasons() ("timeout", "http_status", ...) and a
  // message for the log line (sanitised by the logger, but don't put secrets in it anyway).
  std::string error_reason;
  std::string error_message;
  // On success: everything collected. On failure: only what must still be shown (pg_up 0, say);
  // a failed scrape makes the source's other series disappear, as a failed target does in
  // Prometheus.
  std::vector<Family> families;

  static CollectResult Failure(std::string reason, std::string message) {
    CollectResult result;
    result.ok = false;
    result.error_reason = std::move(reason);
    result.error_message = std::move(message);
    return result;
  }
};

class Collector {
 public:
  virtual ~Collector() = default;
  // One collection; must return by the deadline (give or take a few milliseconds).
  // Called from one thread at a time.
  virtual CollectResult Collect(Deadline deadline) = 0;
  // Every reason Collect() can report, so error counters exist at 0 before the first failure.
  virtual std::vector<std::string> ErrorReasons() const = 0;
  // The instance label of this source's series in the sample store ("host:port").
  virtual std::string Instance() const = 0;
};

}  // namespace codebot::collect
