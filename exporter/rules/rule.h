// What a rule evaluation needs from the outside and gives back, as small function types and
// interfaces: the PromQL engine is reached only through QueryFunc and the template engine only
// through ExpandFunc, so tests can drive the alert state machine with scripted results.
// Nothing here blocks on I/O; evaluation never runs on the /metrics path.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"
#include "exporter/core/time.h"
#include "exporter/promql/engine.h"
#include "exporter/rules/rule_file.h"

namespace codebot::rules {

struct QueryResult {
  bool ok = true;
  std::string error;
  std::vector<promql::InstantSample> vector;  // a scalar result is one sample without labels
};

// Evaluates an expression at t. `parsed` may be null (e.g. the `query` template function), then
// `text` is parsed first.
using QueryFunc =
    std::function<QueryResult(const promql::Expr* parsed, std::string_view text, int64_t t_ms)>;

// What an alert's label and annotation templates see.
struct TemplateData {
  const Labels& labels;  // the result sample's labels, __name__ included
  double value;
  const Labels& external_labels;
  const std::string& external_url;
  bool url_functions;  // externalURL/pathPrefix see external_url (false under `test rules`)
  int64_t t_ms;
  const QueryFunc* query;  // for the `query` template function; may be null
};

// Expands, in place, the label and annotation templates of alert `alert_name` for one result
// sample; a template that fails becomes Prometheus' "<error expanding template: ...>" and counts
// in *failures.
using ExpandFunc = std::function<void(const std::string& alert_name, const TemplateData& data,
                                      std::vector<std::string>* texts, int* failures)>;

// A sample a rule writes: ALERTS / ALERTS_FOR_STATE or a recorded series.
struct OutputSample {
  Labels labels;  // sorted, __name__ included
  int64_t t_ms = 0;
  double v = 0;
};

// Where rule results go: the sample store (store::SeriesStore::Write), or the storage of a
// `test rules` run. Every rule writes as its own writer, so staleness works per rule as in
// Prometheus: a series the writer wrote last time and not this time is stale from t on, and a
// rule that failed writes nothing (its series go stale by themselves after the lookback).
class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  virtual void Write(const std::string& writer, int64_t t_ms,
                     const std::vector<OutputSample>& samples) = 0;
  // The rule is gone (reload): what the writer wrote last becomes stale now.
  virtual void Forget(const std::string& writer) = 0;
};

// What every evaluation of a group shares.
struct EvalContext {
  QueryFunc query;
  ExpandFunc expand;
  Labels external_labels;    // sorted
  std::string external_url;  // for $externalURL and generator URLs
  // Whether the externalURL and pathPrefix template functions see external_url too. The
  // sidecar's do; promtool's `test rules` runs them without a URL (they fail) even when a test
  // sets external_url, and `codebot-exporter test rules` must give the same verdicts.
  bool url_functions = true;
};

enum class RuleHealth { kUnknown, kOk, kErr };
std::string_view RuleHealthName(RuleHealth health);  // "unknown", "ok", "err"

// Bounded reasons of a failed rule evaluation (the `reason` label of the failure counter).
inline constexpr std::string_view kReasonQuery = "query";
inline constexpr std::string_view kReasonDuplicate = "duplicate_labelset";
inline constexpr std::string_view kReasonLimit = "limit";
std::vector<std::string_view> FailureReasons();

struct EvalOutput {
  bool ok = true;
  std::string error;
  std::string_view reason;  // one of FailureReasons() when !ok
  std::vector<OutputSample> samples;
  int template_errors = 0;  // templates that failed to expand (the alert still goes out)
};

// Converts an engine answer into a rule's vector the way Prometheus' EngineQueryFunc does.
QueryResult VectorFromValue(promql::EvalResult result);

// A QueryFunc over the PromQL engine and a storage; the storage must outlive the function.
QueryFunc EngineQueryFunc(const Queryable& storage, promql::EvalOptions options = {});

// Common status of a rule, as the rules API shows it.
struct RuleStatus {
  RuleHealth health = RuleHealth::kUnknown;
  std::string last_error;
  double evaluation_seconds = 0;
  int64_t last_evaluation_ms = kNoTime;
};

class Rule {
 public:
  explicit Rule(RuleSpec spec) : spec_(std::move(spec)) {}
  virtual ~Rule() = default;
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;

  const RuleSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  RuleType type() const { return spec_.type; }

  // One evaluation at t. limit > 0 caps the alerts/series the rule may produce.
  virtual EvalOutput Eval(int64_t t_ms, const EvalContext& context, int64_t limit) = 0;

  RuleStatus Status() const;
  void SetStatus(RuleHealth health, std::string last_error);
  void SetTiming(double evaluation_seconds, int64_t evaluated_at_ms);

 protected:
  const RuleSpec spec_;
  mutable std::mutex status_mutex_;
  RuleStatus status_;
};

}  // namespace codebot::rules
