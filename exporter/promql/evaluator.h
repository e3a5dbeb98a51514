// Internal to the engine: evaluates one parsed expression at one instant. An Evaluator lives for
// one EvalInstant call (plus the inner steps of subqueries); it holds no state between calls and
// never throws: a failure is reported once through error() and makes every caller return false.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "exporter/core/series.h"
#include "exporter/promql/ast.h"
#include "exporter/promql/engine.h"

namespace codebot::promql::detail {

using Vector = std::vector<InstantSample>;
using Matrix = std::vector<SeriesData>;  // points ascending, stale markers removed

class Evaluator {
 public:
  Evaluator(const Queryable& storage, const EvalOptions& options)
      : storage_(storage),
        options_(options),
        deadline_(options.timeout_ms > 0 ? std::chrono::steady_clock::now() +
                                               std::chrono::milliseconds(options.timeout_ms)
                                         : std::chrono::steady_clock::time_point::max()) {}

  // `out` receives a value of expr's type (ResultType).
  bool Eval(const Expr& expr, int64_t t, Value* out);
  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string message);
  // The limits of EvalOptions: `n` more samples now held (fails past max_samples), and the
  // deadline (fails once timeout_ms has passed).
  bool HoldSamples(int64_t n);
  bool CheckDeadline();

  bool EvalScalar(const Expr& expr, int64_t t, double* out);
  bool EvalVector(const Expr& expr, int64_t t, Vector* out);
  // A range-vector argument: a matrix selector or a subquery, possibly in parentheses.
  bool EvalRange(const Expr& expr, int64_t t, Matrix* out, int64_t* range_ms, int64_t* offset_ms);

  // Instant selection with lookback; with `timestamps`, values are the samples' timestamps in
  // seconds (what timestamp() reports for a plain selector).
  bool SelectInstant(const VectorSelector& vs, int64_t t, bool timestamps, Vector* out);
  bool SelectRange(const MatrixSelector& ms, int64_t t, Matrix* out);
  bool EvalSubquery(const SubqueryExpr& sq, int64_t t, Matrix* out);

  bool EvalUnary(const UnaryExpr& u, int64_t t, Value* out);
  bool EvalBinary(const BinaryExpr& top, int64_t t, Value* out);
  // One operator applied to its evaluated operands (which it may consume).
  bool BinaryOperation(const BinaryExpr& b, Value* lhs, Value* rhs, Value* out);
  bool VectorScalarBinop(const BinaryExpr& b, Vector* vec, double scalar, bool scalar_left,
                         Vector* out);
  bool VectorBinop(const BinaryExpr& b, Vector* lhs, Vector* rhs, Vector* out);
  void SetOperation(const BinaryExpr& b, Vector* lhs, Vector* rhs, Vector* out);
  bool EvalAggregate(const AggregateExpr& a, int64_t t, Vector* out);

  bool EvalCall(const CallExpr& c, int64_t t, Value* out);
  bool EvalRangeFunction(const CallExpr& c, int64_t t, Vector* out);
  bool EvalHistogramQuantile(double q, Vector* in, Vector* out);
  bool EvalLabelReplace(const CallExpr& c, Vector* vec);
  bool EvalLabelJoin(const CallExpr& c, Vector* vec);

  // Fails with Prometheus' message when two samples share a label set.
  bool CheckNoDuplicates(const Vector& vec);

  const Queryable& storage_;
  const EvalOptions& options_;
  std::string error_;
  int64_t held_samples_ = 0;
  const std::chrono::steady_clock::time_point deadline_;
};

// Drops __name__ from every sample. True when that may have made two label sets equal, i.e.
// when the samples did not all carry the same name (then a duplicate check is due).
bool DropMetricNames(Vector* vec);

// Orders series by label set, as Prometheus' storage returns them (results such as topk ties
// and sort() depend on it). Cheap when already sorted.
void SortByLabels(std::vector<SeriesData>* series);

}  // namespace codebot::promql::detail
