// The parsed form of a PromQL expression: built once by Parse(), then only read by the evaluator,
// the printer and MaxLookbackMs, so one tree can serve concurrent evaluations. Nothing here
// touches storage or evaluates anything.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/series.h"
#include "exporter/rules/go/regexp.h"
#include "exporter/rules/promql/engine.h"

namespace codebot::promql {

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  kAnd,
  kOr,
  kUnless,
};

enum class AggregateOp {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile,
};

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

// Every function Prometheus 2.42 knows, so that rule files written for it load unchanged.
enum class FunctionId {
  kAbs,
  kAbsent,
  kAbsentOverTime,
  kAcos,
  kAcosh,
  kAsin,
  kAsinh,
  kAtan,
  kAtanh,
  kAvgOverTime,
  kCeil,
  kChanges,
  kClamp,
  kClampMax,
  kClampMin,
  kCos,
  kCosh,
  kCountOverTime,
  kDaysInMonth,
  kDayOfMonth,
  kDayOfWeek,
  kDeg,
  kDelta,
  kDeriv,
  kExp,
  kFloor,
  kHistogramCount,
  kHistogramFraction,
  kHistogramQuantile,
  kHistogramSum,
  kHoltWinters,
  kHour,
  kIdelta,
  kIncrease,
  kIrate,
  kLabelJoin,
  kLabelReplace,
  kLastOverTime,
  kLn,
  kLog10,
  kLog2,
  kMaxOverTime,
  kMinOverTime,
  kMinute,
  kMonth,
  kPi,
  kPredictLinear,
  kPresentOverTime,
  kQuantileOverTime,
  kRad,
  kRate,
  kResets,
  kRound,
  kScalar,
  kSgn,
  kSin,
  kSinh,
  kSort,
  kSortDesc,
  kSqrt,
  kStddevOverTime,
  kStdvarOverTime,
  kSumOverTime,
  kTan,
  kTanh,
  kTime,
  kTimestamp,
  kVector,
  kYear,
};

struct Function {
  const char* name;
  FunctionId id;
  std::vector<ValueType> arg_types;
  // As in Prometheus: 0 means exactly arg_types; otherwise the last declared argument is optional
  // and may be given up to `variadic` times (-1: any number of times).
  int variadic;
  ValueType return_type;
};

// Null when the name is not a function.
const Function* FindFunction(std::string_view name);

class Expr {
 public:
  enum class Kind {
    kNumber,
    kString,
    kVectorSelector,
    kMatrixSelector,
    kSubquery,
    kParen,
    kUnary,
    kBinary,
    kAggregate,
    kCall,
  };

  Expr(Kind k, size_t p) : kind(k), pos(p) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  const Kind kind;
  size_t pos;  // byte offset where the expression starts, for error messages
  ValueType type = ValueType::kScalar;
};

using ExprPtr = std::unique_ptr<Expr>;

struct NumberLiteral : Expr {
  explicit NumberLiteral(size_t p) : Expr(Kind::kNumber, p) {}
  double value = 0;
};

struct StringLiteral : Expr {
  explicit StringLiteral(size_t p) : Expr(Kind::kString, p) {}
  std::string value;
};

struct VectorSelector : Expr {
  explicit VectorSelector(size_t p) : Expr(Kind::kVectorSelector, p) {}
  std::string name;               // written before the braces; may be empty
  std::vector<Matcher> matchers;  // in source order, the name matcher (if any) last
  int64_t offset_ms = 0;
  bool has_offset = false;
};

struct MatrixSelector : Expr {
  explicit MatrixSelector(size_t p) : Expr(Kind::kMatrixSelector, p) {}
  std::unique_ptr<VectorSelector> selector;
  int64_t range_ms = 0;
};

struct SubqueryExpr : Expr {
  explicit SubqueryExpr(size_t p) : Expr(Kind::kSubquery, p) {}
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: the evaluation interval from EvalOptions
  int64_t offset_ms = 0;
  bool has_offset = false;
};

struct ParenExpr : Expr {
  explicit ParenExpr(size_t p) : Expr(Kind::kParen, p) {}
  ExprPtr expr;
};

struct UnaryExpr : Expr {
  explicit UnaryExpr(size_t p) : Expr(Kind::kUnary, p) {}
  bool negate = false;  // '-' (true) or '+'
  ExprPtr expr;
};

struct BinaryExpr : Expr {
  explicit BinaryExpr(size_t p) : Expr(Kind::kBinary, p) {}
  BinaryOp op = BinaryOp::kAdd;
  size_t op_pos = 0;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;
  // Vector matching, meaningful only when both sides are instant vectors.
  Cardinality card = Cardinality::kOneToOne;
  bool on = false;
  bool has_matching = false;                 // on(...) or ignoring(...) was written
  std::vector<std::string> matching;         // as written
  std::vector<std::string> include;          // group_left/group_right labels, as written
  std::vector<std::string> sorted_matching;  // `matching` sorted
  std::vector<std::string> signature_names;  // what a match signature hashes (on) or skips
                                             // (ignoring, plus __name__)
};

struct AggregateExpr : Expr {
  explicit AggregateExpr(size_t p) : Expr(Kind::kAggregate, p) {}
  AggregateOp op = AggregateOp::kSum;
  ExprPtr param;  // topk/bottomk/quantile/count_values
  ExprPtr expr;
  bool without = false;
  bool has_grouping = false;          // by(...)/without(...) was written
  std::vector<std::string> grouping;  // as written
  std::vector<std::string> sorted_grouping;
};

struct CallExpr : Expr {
  explicit CallExpr(size_t p) : Expr(Kind::kCall, p) {}
  const Function* func = nullptr;
  std::vector<ExprPtr> args;
  // label_replace: the regex compiled once at parse time; an invalid one is reported when the
  // call is evaluated, as Prometheus does.
  std::shared_ptr<const rules::go::Regexp> regex;
  std::string regex_error;
};

// Strips any number of parentheses.
const Expr& Unparen(const Expr& e);

bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);
std::string_view BinaryOpName(BinaryOp op);
std::string_view AggregateOpName(AggregateOp op);
bool AggregateHasParam(AggregateOp op);
std::string_view ValueTypeName(ValueType type);  // "scalar", "instant vector", ...

}  // namespace codebot::promql
