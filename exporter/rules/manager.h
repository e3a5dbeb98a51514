// Runs the loaded rule groups, each on its own thread and schedule (the group's interval or the
// global evaluation_interval, slots aligned like Prometheus'), never on the /metrics path.
// Replacing the rules on reload keeps unchanged groups running and carries alert state over to
// changed ones; the caller validates everything before calling Update, so Update cannot fail.
// Self metrics follow Prometheus' prometheus_rule_* families under codebot_exporter_.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "exporter/alerts/sink.h"
#include "exporter/collect/result_sink.h"
#include "exporter/core/series.h"
#include "exporter/rules/group.h"
#include "exporter/rules/rule.h"
#include "exporter/store/series_store.h"

namespace codebot::rules {

struct ManagerOptions {
  const Queryable* storage = nullptr;  // what the rules read (the sample store)
  ResultWriter* writer = nullptr;      // where ALERTS and recorded series go (the same store)
  alerts::AlertSink* sink = nullptr;   // optional
  // Optional: receives ALERTS / ALERTS_FOR_STATE as the exposed source "rules" for /metrics.
  collect::ResultSink* exposition = nullptr;
  prometheus::Registry* registry = nullptr;  // required
  Duration resend_delay = std::chrono::minutes(1);
  // Replace the PromQL engine / template engine (tests); defaults use storage and rules/template.
  QueryFunc query;
  ExpandFunc expand;
};

// The settings of the config that the rules depend on.
struct RuleSettings {
  Duration evaluation_interval = std::chrono::seconds(15);
  Labels external_labels;  // sorted
  std::string external_url;
};

class Manager {
 public:
  explicit Manager(ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Replaces the groups (already validated). Groups equal to a running one keep running as they
  // are; changed groups take over the alert state of rules with the same name and labels; the
  // series of rules that are gone become stale. Starts the threads unless the manager is in
  // manual mode (see EvaluateAll).
  void Update(std::vector<GroupSpec> groups, const RuleSettings& settings);
  // Stops every group thread (for shutdown; no stale markers).
  void Stop();

  // Runs no threads; every call evaluates all groups once at t, in load order (tests).
  void SetManualEvaluation();
  void EvaluateAll(int64_t t_ms);

  // Current groups in file order, for the API. The pointers stay valid after a reload.
  std::vector<std::shared_ptr<const Group>> Groups() const;
  // How far back the loaded rules read: the longest any series must be kept.
  int64_t RetentionMs() const;
  // What the sample store must keep, per selector: every selector of the loaded rules (and of
  // the literal `query` calls in their templates) with how far back it reads; series none of
  // them matches are kept for the 5-minute lookback. Hand it to SeriesStore::SetRetention after
  // every Update.
  store::RetentionPolicy Retention() const;
  // Sets codebot_exporter_rules_last_reload_successful and its timestamp.
  void ReportReload(bool ok);

 private:
  class Runner;
  struct Metrics;
  struct GroupMetrics;

  std::shared_ptr<const EvalContext> Context() const;
  void EvaluateGroup(Group& group, GroupMetrics& metrics, int64_t t_ms);
  void PublishAlertSeries();
  std::unique_ptr<GroupMetrics> AddGroupMetrics(const Group& group);

  ManagerOptions options_;
  std::unique_ptr<Metrics> metrics_;
  bool manual_ = false;

  std::mutex update_mutex_;   // one Update at a time
  mutable std::mutex mutex_;  // guards the members below (never held while joining threads)
  std::vector<std::shared_ptr<Runner>> runners_;  // load order
  std::shared_ptr<const EvalContext> context_;
  int64_t retention_ms_ = 0;
  store::RetentionPolicy retention_;

  std::mutex publish_mutex_;
};

}  // namespace codebot::rules
