// The sidecar's own metrics as a source: whatever its prometheus-cpp registry and the process
// collector hold, turned into Families so that the sample store (and so the alert rules) sees
// them like any other source. Scheduled as source "self" with exposed=false: /metrics already
// renders these from the registry and must not render them twice. It only reads in-process
// state, never does I/O beyond /proc/self, and never fails.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "exporter/collect/collector.h"
#include "exporter/core/metric.h"

namespace codebot::collect {

class SelfCollector : public Collector {
 public:
  // The collectables (typically the app's registry and its ProcessMetrics) are not owned and
  // must outlive the collector. instance is the label the store gives these series.
  SelfCollector(std::vector<const prometheus::Collectable*> collectables, std::string instance);

  CollectResult Collect(Deadline deadline) override;
  std::vector<std::string> ErrorReasons() const override { return {}; }
  std::string Instance() const override { return instance_; }

 private:
  std::vector<const prometheus::Collectable*> collectables_;
  std::string instance_;
};

// One prometheus-cpp family as the text format would show it: counters and gauges as one
// sample per metric, summaries as quantile samples plus _sum and _count, histograms as
// cumulative _bucket samples (ending with le="+Inf") plus _sum and _count.
Family ConvertFamily(const prometheus::MetricFamily& family);

}  // namespace codebot::collect
