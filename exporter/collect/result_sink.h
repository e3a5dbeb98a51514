// Where finished collections go: the exposition cache for /metrics and the sample store for the
// rule engine. Sinks are called from the collecting thread and must not block for long.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporter/core/metric.h"

namespace codebot::collect {

struct Collection {
  std::string source;    // "bot", "github", "postgres", "self"
  std::string job;       // job label in the sample store
  std::string instance;  // instance label in the sample store
  int64_t timestamp_ms = 0;
  bool ok = true;
  bool exposed = true;  // false for sources that /metrics renders by other means (self)
  std::shared_ptr<const std::vector<Family>> families;
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void Publish(const Collection& collection) = 0;
  // The source was removed (reload): forget its results.
  virtual void Forget(const std::string& source) = 0;
};

}  // namespace codebot::collect
