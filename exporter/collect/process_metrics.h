// The standard process_* metrics (CPU seconds, resident and virtual memory, open and max file
// descriptors, start time) read from /proc/self at collection time, as every Prometheus
// client library exports them.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace codebot::collect {

class ProcessMetrics : public prometheus::Collectable {
 public:
  ProcessMetrics();
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  double start_time_seconds_ = 0;
};

}  // namespace codebot::collect
