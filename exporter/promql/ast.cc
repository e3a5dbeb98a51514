#include "exporter/promql/ast.h"

#include <array>
#include <utility>

namespace codebot::promql {
namespace {

using VT = ValueType;
constexpr VT kV = VT::kVector;
constexpr VT kM = VT::kMatrix;
constexpr VT kS = VT::kScalar;
constexpr VT kStr = VT::kString;

// Prometheus 2.42's function list (promql/parser/functions.go): argument types, how many extra
// arguments the last one allows, and the result type.
const std::vector<Function>& Functions() {
  static const std::vector<Function> kFunctions = {
      {"abs", FunctionId::kAbs, {kV}, 0, kV},
      {"absent", FunctionId::kAbsent, {kV}, 0, kV},
      {"absent_over_time", FunctionId::kAbsentOverTime, {kM}, 0, kV},
      {"acos", FunctionId::kAcos, {kV}, 0, kV},
      {"acosh", FunctionId::kAcosh, {kV}, 0, kV},
      {"asin", FunctionId::kAsin, {kV}, 0, kV},
      {"asinh", FunctionId::kAsinh, {kV}, 0, kV},
      {"atan", FunctionId::kAtan, {kV}, 0, kV},
      {"atanh", FunctionId::kAtanh, {kV}, 0, kV},
      {"avg_over_time", FunctionId::kAvgOverTime, {kM}, 0, kV},
      {"ceil", FunctionId::kCeil, {kV}, 0, kV},
      {"changes", FunctionId::kChanges, {kM}, 0, kV},
      {"clamp", FunctionId::kClamp, {kV, kS, kS}, 0, kV},
      {"clamp_max", FunctionId::kClampMax, {kV, kS}, 0, kV},
      {"clamp_min", FunctionId::kClampMin, {kV, kS}, 0, kV},
      {"cos", FunctionId::kCos, {kV}, 0, kV},
      {"cosh", FunctionId::kCosh, {kV}, 0, kV},
      {"count_over_time", FunctionId::kCountOverTime, {kM}, 0, kV},
      {"days_in_month", FunctionId::kDaysInMonth, {kV}, 1, kV},
      {"day_of_month", FunctionId::kDayOfMonth, {kV}, 1, kV},
      {"day_of_week", FunctionId::kDayOfWeek, {kV}, 1, kV},
      {"deg", FunctionId::kDeg, {kV}, 0, kV},
      {"delta", FunctionId::kDelta, {kM}, 0, kV},
      {"deriv", FunctionId::kDeriv, {kM}, 0, kV},
      {"exp", FunctionId::kExp, {kV}, 0, kV},
      {"floor", FunctionId::kFloor, {kV}, 0, kV},
      {"histogram_count", FunctionId::kHistogramCount, {kV}, 0, kV},
      {"histogram_fraction", FunctionId::kHistogramFraction, {kS, kS, kV}, 0, kV},
      {"histogram_quantile", FunctionId::kHistogramQuantile, {kS, kV}, 0, kV},
      {"histogram_sum", FunctionId::kHistogramSum, {kV}, 0, kV},
      {"holt_winters", FunctionId::kHoltWinters, {kM, kS, kS}, 0, kV},
      {"hour", FunctionId::kHour, {kV}, 1, kV},
      {"idelta", FunctionId::kIdelta, {kM}, 0, kV},
      {"increase", FunctionId::kIncrease, {kM}, 0, kV},
      {"irate", FunctionId::kIrate, {kM}, 0, kV},
      {"label_replace", FunctionId::kLabelReplace, {kV, kStr, kStr, kStr, kStr}, 0, kV},
      {"label_join", FunctionId::kLabelJoin, {kV, kStr, kStr, kStr}, -1, kV},
      {"last_over_time", FunctionId::kLastOverTime, {kM}, 0, kV},
      {"ln", FunctionId::kLn, {kV}, 0, kV},
      {"log10", FunctionId::kLog10, {kV}, 0, kV},
      {"log2", FunctionId::kLog2, {kV}, 0, kV},
      {"max_over_time", FunctionId::kMaxOverTime, {kM}, 0, kV},
      {"min_over_time", FunctionId::kMinOverTime, {kM}, 0, kV},
      {"minute", FunctionId::kMinute, {kV}, 1, kV},
      {"month", FunctionId::kMonth, {kV}, 1, kV},
      {"pi", FunctionId::kPi, {}, 0, kS},
      {"predict_linear", FunctionId::kPredictLinear, {kM, kS}, 0, kV},
      {"present_over_time", FunctionId::kPresentOverTime, {kM}, 0, kV},
      {"quantile_over_time", FunctionId::kQuantileOverTime, {kS, kM}, 0, kV},
      {"rad", FunctionId::kRad, {kV}, 0, kV},
      {"rate", FunctionId::kRate, {kM}, 0, kV},
      {"resets", FunctionId::kResets, {kM}, 0, kV},
      {"round", FunctionId::kRound, {kV, kS}, 1, kV},
      {"scalar", FunctionId::kScalar, {kV}, 0, kS},
      {"sgn", FunctionId::kSgn, {kV}, 0, kV},
      {"sin", FunctionId::kSin, {kV}, 0, kV},
      {"sinh", FunctionId::kSinh, {kV}, 0, kV},
      {"sort", FunctionId::kSort, {kV}, 0, kV},
      {"sort_desc", FunctionId::kSortDesc, {kV}, 0, kV},
      {"sqrt", FunctionId::kSqrt, {kV}, 0, kV},
      {"stddev_over_time", FunctionId::kStddevOverTime, {kM}, 0, kV},
      {"stdvar_over_time", FunctionId::kStdvarOverTime, {kM}, 0, kV},
      {"sum_over_time", FunctionId::kSumOverTime, {kM}, 0, kV},
      {"tan", FunctionId::kTan, {kV}, 0, kV},
      {"tanh", FunctionId::kTanh, {kV}, 0, kV},
      {"time", FunctionId::kTime, {}, 0, kS},
      {"timestamp", FunctionId::kTimestamp, {kV}, 0, kV},
      {"vector", FunctionId::kVector, {kS}, 0, kV},
      {"year", FunctionId::kYear, {kV}, 1, kV},
  };
  return kFunctions;
}

}  // namespace

void ReleaseSubtree(ExprPtr child) {
  // The nodes still to be destroyed by the outermost call on this thread.
  thread_local std::vector<ExprPtr>* pending = nullptr;
  if (!child) return;
  if (pending != nullptr) {
    pending->push_back(std::move(child));
    return;
  }
  std::vector<ExprPtr> queue;
  pending = &queue;
  queue.push_back(std::move(child));
  while (!queue.empty()) {
    ExprPtr next = std::move(queue.back());
    queue.pop_back();
    next.reset();  // its destructor queues its own children here
  }
  pending = nullptr;
}

SubqueryExpr::~SubqueryExpr() { ReleaseSubtree(std::move(expr)); }
ParenExpr::~ParenExpr() { ReleaseSubtree(std::move(expr)); }
UnaryExpr::~UnaryExpr() { ReleaseSubtree(std::move(expr)); }
BinaryExpr::~BinaryExpr() {
  ReleaseSubtree(std::move(rhs));
  ReleaseSubtree(std::move(lhs));
}
AggregateExpr::~AggregateExpr() {
  ReleaseSubtree(std::move(param));
  ReleaseSubtree(std::move(expr));
}
CallExpr::~CallExpr() {
  for (auto& arg : args) ReleaseSubtree(std::move(arg));
}

std::vector<const BinaryExpr*> LeftSpine(const BinaryExpr& top) {
  std::vector<const BinaryExpr*> spine{&top};
  while (spine.back()->lhs && spine.back()->lhs->kind == Expr::Kind::kBinary) {
    spine.push_back(static_cast<const BinaryExpr*>(spine.back()->lhs.get()));
  }
  return spine;
}

const Function* FindFunction(std::string_view name) {
  for (const auto& f : Functions()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

const Expr& Unparen(const Expr& e) {
  const Expr* cur = &e;
  while (cur->kind == Expr::Kind::kParen) cur = static_cast<const ParenExpr*>(cur)->expr.get();
  return *cur;
}

bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEql && op <= BinaryOp::kLte; }

bool IsSetOperator(BinaryOp op) { return op >= BinaryOp::kAnd; }

std::string_view BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kAtan2:
      return "atan2";
    case BinaryOp::kEql:
      return "==";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kGtr:
      return ">";
    case BinaryOp::kLss:
      return "<";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
  }
  return "?";
}

std::string_view AggregateOpName(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
      return "sum";
    case AggregateOp::kAvg:
      return "avg";
    case AggregateOp::kCount:
      return "count";
    case AggregateOp::kMin:
      return "min";
    case AggregateOp::kMax:
      return "max";
    case AggregateOp::kGroup:
      return "group";
    case AggregateOp::kStddev:
      return "stddev";
    case AggregateOp::kStdvar:
      return "stdvar";
    case AggregateOp::kTopk:
      return "topk";
    case AggregateOp::kBottomk:
      return "bottomk";
    case AggregateOp::kCountValues:
      return "count_values";
    case AggregateOp::kQuantile:
      return "quantile";
  }
  return "?";
}

bool AggregateHasParam(AggregateOp op) {
  return op == AggregateOp::kTopk || op == AggregateOp::kBottomk ||
         op == AggregateOp::kCountValues || op == AggregateOp::kQuantile;
}

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    case ValueType::kString:
      return "string";
  }
  return "?";
}

}  // namespace codebot::promql
