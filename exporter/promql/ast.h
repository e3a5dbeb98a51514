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
#include "exporter/go/regexp.h"
#include "exporter/promql/engine.h"

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

// Every node that owns sub-expressions hands them to this in its destructor instead of letting
// them die inside it: the outermost call on a thread then destroys the whole tree with a loop,
// so freeing an expression takes the same small stack however deep it nests (trees are freed
// wherever their last owner lets go, an HTTP worker's small stack included).
void ReleaseSubtree(ExprPtr child);

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
  ~SubqueryExpr() override;  // through ReleaseSubtree
  SubqueryExpr(const SubqueryExpr&) = delete;
  SubqueryExpr& operator=(const SubqueryExpr&) = delete;
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: the evaluation interval from EvalOptions
  int64_t offset_ms = 0;
  bool has_offset = false;
};

struct ParenExpr : Expr {
  explicit ParenExpr(size_t p) : Expr(Kind::kParen, p) {}
  ~ParenExpr() override;  // through ReleaseSubtree
  ParenExpr(const ParenExpr&) = delete;
  ParenExpr& operator=(const ParenExpr&) = delete;
  ExprPtr expr;
};

struct UnaryExpr : Expr {
  explicit UnaryExpr(size_t p) : Expr(Kind::kUnary, p) {}
  ~UnaryExpr() override;  // through ReleaseSubtree
  UnaryExpr(const UnaryExpr&) = delete;
  UnaryExpr& operator=(const UnaryExpr&) = delete;
  bool negate = false;  // '-' (true) or '+'
  ExprPtr expr;
};

// `a + b + c + ...` nests to the left as deep as the chain is long (Prometheus accepts chains of
// a hundred thousand operators), so everything that walks the tree follows a binary
// expression's left-hand side with a loop, never with recursion: the parser's checks and the
// evaluator; the printer, MaxLookbackMs and destruction walk every tree without recursion.
// Every other kind of nesting is bounded by the parser (kMaxNesting).
struct BinaryExpr : Expr {
  explicit BinaryExpr(size_t p) : Expr(Kind::kBinary, p) {}
  ~BinaryExpr() override;  // through ReleaseSubtree
  BinaryExpr(const BinaryExpr&) = delete;
  BinaryExpr& operator=(const BinaryExpr&) = delete;
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
  ~AggregateExpr() override;  // through ReleaseSubtree
  AggregateExpr(const AggregateExpr&) = delete;
  AggregateExpr& operator=(const AggregateExpr&) = delete;
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
  ~CallExpr() override;  // through ReleaseSubtree
  CallExpr(const CallExpr&) = delete;
  CallExpr& operator=(const CallExpr&) = delete;
  const Function* func = nullptr;
  std::vector<ExprPtr> args;
  // label_replace: the regex compiled once at parse time; an invalid one is reported when the
  // call is evaluated, as Prometheus does.
  std::shared_ptr<const go::Regexp> regex;
  std::string regex_error;
};

// How deep expressions may nest (parentheses, function and aggregation arguments, unary
// operators, '^' chains, subqueries); deeper ones fail to parse with "expression nests too
// deeply (limit 1000)" instead of exhausting the stack of whatever walks the tree. Left-nested
// binary chains do not count (see BinaryExpr). Subqueries written after a parenthesis count
// from where they are written, so a tree is at most twice this deep: about 2 MiB of stack for
// whatever walks it in a release build.
inline constexpr int kMaxNesting = 1000;

// The left-hand spine of a binary chain: `top` first, then its lhs while that is a binary
// expression too; the last element's lhs is the chain's first operand.
std::vector<const BinaryExpr*> LeftSpine(const BinaryExpr& top);

// Strips any number of parentheses.
const Expr& Unparen(const Expr& e);

bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);
std::string_view BinaryOpName(BinaryOp op);
std::string_view AggregateOpName(AggregateOp op);
bool AggregateHasParam(AggregateOp op);
std::string_view ValueTypeName(ValueType type);  // "scalar", "instant vector", ...

}  // namespace codebot::promql
