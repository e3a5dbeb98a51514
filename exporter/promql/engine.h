// PromQL: parse an expression once, evaluate it at instants against a Queryable. The semantics
// are Prometheus 2.42's for the subset alert rules use (see docs/promql.md for what is left out).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"
#include "exporter/core/series.h"

namespace codebot::promql {

class Expr;  // the parsed AST; immutable and shareable across threads

struct ParseError {
  size_t position = 0;           // 0-based byte offset into the expression
  size_t line = 1;               // 1-based line of `position`
  size_t column = 1;             // 1-based byte column of `position` within its line
  std::string message;           // what was found and what was expected
  std::string ToString() const;  // e.g. "1:14: parse error: unexpected ..."
};

struct ParseResult {
  std::shared_ptr<const Expr> expr;  // null on error
  ParseError error;
  bool ok() const { return expr != nullptr; }
};

ParseResult Parse(std::string_view text);

// The expression in Prometheus' canonical form (what its rules API shows as "query"), e.g.
// `sum by (job) (rate(x[5m])) > 0.5`.
std::string Format(const Expr& expr);

enum class ValueType { kScalar, kVector, kMatrix, kString };

struct InstantSample {
  Labels labels;  // sorted, __name__ included when kept
  double v = 0;
};

struct RangeSeries {
  Labels labels;
  std::vector<Point> points;
};

struct Value {
  ValueType type = ValueType::kVector;
  double scalar = 0;                  // kScalar
  std::string string;                 // kString
  std::vector<InstantSample> vector;  // kVector
  std::vector<RangeSeries> matrix;    // kMatrix
};

struct EvalOptions {
  int64_t lookback_delta_ms = int64_t{5} * 60 * 1000;
  // Step of a subquery written without one (`x[1h:]`); Prometheus uses the global
  // evaluation_interval.
  int64_t default_subquery_step_ms = int64_t{60} * 1000;
  // Prometheus' --query.max-samples: at most this many samples held in memory at once by one
  // evaluation (selected points and the points of subqueries being built); beyond it the query
  // fails with "query processing would load too many samples into memory in query execution".
  // 0: no limit.
  int64_t max_samples = 50'000'000;
  // Prometheus' --query.timeout: an evaluation still running after this long fails with "query
  // timed out in expression evaluation" (checked at every subquery step, the only place an
  // evaluation multiplies its work). 0: no limit.
  int64_t timeout_ms = int64_t{2} * 60 * 1000;
};

struct EvalResult {
  bool ok = true;
  std::string error;
  Value value;
};

// What EvalInstant returns for this expression.
ValueType ResultType(const Expr& expr);

// Evaluates expr as an instant query at time t_ms. Never throws; errors come back in the result.
EvalResult EvalInstant(const Expr& expr, const Queryable& storage, int64_t t_ms,
                       const EvalOptions& options = {});

// How far back from the evaluation time the expression reads (longest range + offset +
// lookback delta): the sample store keeps at least this much.
int64_t MaxLookbackMs(const Expr& expr, const EvalOptions& options = {});

// One vector or matrix selector of an expression and how far back from the evaluation time it
// reads: its range (an instant selector: the lookback delta) plus its offset, plus the range and
// offset of every subquery around it; never negative. The sample store keeps each series for
// the longest of these among the selectors that match it.
struct SelectorLookback {
  std::vector<Matcher> matchers;  // as the selector has them, the metric name's included
  int64_t lookback_ms = 0;
};
// Every selector of the expression, in no particular order (one entry per occurrence).
std::vector<SelectorLookback> SelectorLookbacks(const Expr& expr, const EvalOptions& options = {});

}  // namespace codebot::promql
