// Rule results into the live sample store: each rule is one store writer, so the store's
// per-writer staleness gives Prometheus' per-rule stale markers.
#pragma once

#include "exporter/rules/rule.h"
#include "exporter/store/series_store.h"

namespace codebot::rules {

class StoreWriter : public ResultWriter {
 public:
  explicit StoreWriter(store::SeriesStore& store) : store_(store) {}
  void Write(const std::string& writer, int64_t t_ms,
             const std::vector<OutputSample>& samples) override;
  void Forget(const std::string& writer) override;

 private:
  store::SeriesStore& store_;
};

}  // namespace codebot::rules
