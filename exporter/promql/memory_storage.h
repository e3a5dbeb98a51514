// A plain in-memory Queryable: series appended by hand, all samples kept until Clear(). Used by
// the PromQL conformance runner and by `codebot-exporter test rules` (promtool's input_series);
// the live sidecar reads the bounded sample store instead, never this.
#pragma once

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporter/core/metric.h"
#include "exporter/core/series.h"

namespace codebot::promql {

class MemoryStorage final : public Queryable {
 public:
  // Adds one sample to the series named by `labels` (any order; __name__ included; labels with
  // an empty value are dropped, as Prometheus does). Like Prometheus' TSDB it refuses (returns
  // false) a sample older than the series' newest one, or at the same time with another value.
  bool Append(const Labels& labels, int64_t t, double v);
  void Clear();
  size_t SeriesCount() const;

  void Select(const std::vector<Matcher>& matchers, int64_t mint, int64_t maxt,
              std::vector<SeriesData>* out) const override;

 private:
  struct Series {
    Labels labels;
    std::vector<Point> points;
  };

  mutable std::shared_mutex mu_;
  std::vector<Series> series_;
  std::map<Labels, size_t> by_labels_;
  std::unordered_map<std::string, std::vector<size_t>> by_name_;
};

}  // namespace codebot::promql
