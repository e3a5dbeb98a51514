// Prometheus 2.42's template functions (humanize, query, reReplaceAll, ...) and its alert-rule
// template convention, so that labels and annotations expand here to exactly the text
// Prometheus and `promtool test rules` produce. The query function is supplied by the caller
// (this module never evaluates PromQL itself); without one, `query` fails with
// "query function not available". Runs on the rule-evaluation path, never on /metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"
#include "exporter/template/template.h"
#include "exporter/template/value.h"

namespace codebot::tmpl {

// One element of an instant vector, as a PromQL query returns it to a template. Labels
// include __name__ when the series kept it.
struct QuerySample {
  Labels labels;
  double value = 0;
};

// Evaluates `query` at the time of the template's evaluation. Returns false and sets *error on
// failure; the error text reaches the template's output as Prometheus' would.
using QueryFunc =
    std::function<bool(std::string_view query, std::vector<QuerySample>* out, std::string* error)>;

struct PrometheusContext {
  QueryFunc query;  // null: `query` errors with "query function not available"
  // Prometheus' --web.external-url. Unset, externalURL and pathPrefix fail the way they do in
  // `promtool test rules`, which runs without one.
  std::optional<std::string> external_url;
  // What $externalURL (.ExternalURL) holds when it differs from external_url: promtool fills it
  // from a test's external_url while its functions still run without a URL. Empty: external_url.
  std::string external_url_value;
};

// The functions Prometheus 2.42 gives templates, bound to ctx. The returned map also serves
// Template::Parse (only the names matter there).
FuncMap PrometheusFunctions(const PrometheusContext& ctx);
// The same functions without a query callback or external URL, shared; for parsing, and for
// executions that need no context (Template::Execute's overrides can add it).
std::shared_ptr<const FuncMap> DefaultPrometheusFunctions();

// Builds the value Prometheus' `query` returns: a template.queryResult of *template.sample.
Value MakeQueryResult(const std::vector<QuerySample>& samples);

// Alerting rules: Prometheus prepends
//   {{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
//   {{$externalURL := .ExternalURL}}{{$value := .Value}}
// (on the same line, so error columns count them) to every label and annotation template,
// names it "__alert_<alertname>", executes it with missingkey=zero over {Labels,
// ExternalLabels, ExternalURL, Value}, and on failure puts "<error expanding template: ...>" in
// place of the text. Parsed templates are cached per (alert, text), as rule texts do not change
// between evaluations. One expander serves one alert at one evaluation; it is immutable.
class AlertTemplateExpander {
 public:
  AlertTemplateExpander(std::string_view alert_name, const Labels& labels, double value,
                        const Labels& external_labels, const PrometheusContext& ctx);

  // The expanded text, or the error text Prometheus would put there instead. Each failure is
  // counted (see ExpansionStats) and logged once at warn level.
  std::string Expand(std::string_view text) const;
  // As Expand, but reports failure: returns false with *out set to the error text.
  bool TryExpand(std::string_view text, std::string* out) const;

 private:
  std::string name_;
  std::string alert_name_;
  Value data_;
  FuncMap funcs_;
};

// One-shot form of AlertTemplateExpander::Expand.
std::string ExpandAlertTemplate(std::string_view text, std::string_view alert_name,
                                const Labels& labels, double value, const Labels& external_labels,
                                const PrometheusContext& ctx);

// What `promtool check rules` reports for a label or annotation template of the alert, e.g.
// `template: __alert_X:1: function "nope" not defined`; empty when it parses.
std::string CheckAlertTemplate(std::string_view alert_name, std::string_view text);

// Totals since start, for the sidecar's own metrics.
struct ExpansionStats {
  uint64_t expansions = 0;
  uint64_t parse_failures = 0;
  uint64_t execution_failures = 0;
};
ExpansionStats GetExpansionStats();

}  // namespace codebot::tmpl
