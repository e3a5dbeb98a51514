// Runs every source on its own schedule, each in its own thread, so that a slow or hung source
// delays nobody else and never a /metrics request. For every source it records the self metrics
// (duration, success, last success, errors by reason, skipped runs) and one log line per failure.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/collect/collector.h"
#include "exporter/collect/result_sink.h"
#include "exporter/core/duration.h"

namespace codebot::collect {

struct SourceSpec {
  std::string name;  // "bot", "github", "postgres"
  std::string job;
  Duration interval;
  Duration timeout;
  bool exposed = true;
  std::unique_ptr<Collector> collector;
};

class Scheduler {
 public:
  Scheduler(prometheus::Registry& registry, std::vector<ResultSink*> sinks);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts collecting a source at once and then every interval. Replaces a source of that name.
  void Add(SourceSpec spec);
  // Stops a source (waiting for a running collection to end) and drops its results.
  void Remove(const std::string& name);
  void StopAll();

  std::vector<std::string> Names() const;
  // True once every source added so far has finished one collection, failed or not.
  bool AllCollectedOnce() const;

 private:
  class Runner;
  struct Metrics {
    prometheus::Family<prometheus::Gauge>& up;
    prometheus::Family<prometheus::Gauge>& duration;
    prometheus::Family<prometheus::Gauge>& last_success;
    prometheus::Family<prometheus::Gauge>& samples;
    prometheus::Family<prometheus::Counter>& scrapes;
    prometheus::Family<prometheus::Counter>& errors;
    prometheus::Family<prometheus::Counter>& skipped;
  };

  Metrics metrics_;
  std::vector<ResultSink*> sinks_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Runner>> runners_;
};

}  // namespace codebot::collect
