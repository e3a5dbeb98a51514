// Recursive-descent parser with precedence climbing, equivalent to Prometheus' yacc grammar for
// the supported language, followed by the same type checks Prometheus runs (checkAST), with its
// error messages.

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "exporter/core/duration.h"
#include "exporter/core/labels.h"
#include "exporter/go/strconv.h"
#include "exporter/promql/ast.h"
#include "exporter/promql/engine.h"
#include "exporter/promql/lexer.h"

namespace codebot::promql {
namespace {

// Binary operator precedence, lowest first; '^' is the only right-associative one.
constexpr int kPrecOr = 1;
constexpr int kPrecAnd = 2;
constexpr int kPrecCompare = 3;
constexpr int kPrecAdd = 4;
constexpr int kPrecMul = 5;
constexpr int kPrecPow = 6;

bool BinaryOpFor(TokenType t, BinaryOp* op, int* prec) {
  switch (t) {
    case TokenType::kLor:
      *op = BinaryOp::kOr, *prec = kPrecOr;
      return true;
    case TokenType::kLand:
      *op = BinaryOp::kAnd, *prec = kPrecAnd;
      return true;
    case TokenType::kLunless:
      *op = BinaryOp::kUnless, *prec = kPrecAnd;
      return true;
    case TokenType::kEqlc:
      *op = BinaryOp::kEql, *prec = kPrecCompare;
      return true;
    case TokenType::kNeq:
      *op = BinaryOp::kNeq, *prec = kPrecCompare;
      return true;
    case TokenType::kGtr:
      *op = BinaryOp::kGtr, *prec = kPrecCompare;
      return true;
    case TokenType::kLss:
      *op = BinaryOp::kLss, *prec = kPrecCompare;
      return true;
    case TokenType::kGte:
      *op = BinaryOp::kGte, *prec = kPrecCompare;
      return true;
    case TokenType::kLte:
      *op = BinaryOp::kLte, *prec = kPrecCompare;
      return true;
    case TokenType::kAdd:
      *op = BinaryOp::kAdd, *prec = kPrecAdd;
      return true;
    case TokenType::kSub:
      *op = BinaryOp::kSub, *prec = kPrecAdd;
      return true;
    case TokenType::kMul:
      *op = BinaryOp::kMul, *prec = kPrecMul;
      return true;
    case TokenType::kDiv:
      *op = BinaryOp::kDiv, *prec = kPrecMul;
      return true;
    case TokenType::kMod:
      *op = BinaryOp::kMod, *prec = kPrecMul;
      return true;
    case TokenType::kAtan2:
      *op = BinaryOp::kAtan2, *prec = kPrecMul;
      return true;
    case TokenType::kPow:
      *op = BinaryOp::kPow, *prec = kPrecPow;
      return true;
    default:
      return false;
  }
}

bool AggregateOpFor(TokenType t, AggregateOp* op) {
  switch (t) {
    case TokenType::kSum:
      *op = AggregateOp::kSum;
      return true;
    case TokenType::kAvg:
      *op = AggregateOp::kAvg;
      return true;
    case TokenType::kCount:
      *op = AggregateOp::kCount;
      return true;
    case TokenType::kMin:
      *op = AggregateOp::kMin;
      return true;
    case TokenType::kMax:
      *op = AggregateOp::kMax;
      return true;
    case TokenType::kGroup:
      *op = AggregateOp::kGroup;
      return true;
    case TokenType::kStddev:
      *op = AggregateOp::kStddev;
      return true;
    case TokenType::kStdvar:
      *op = AggregateOp::kStdvar;
      return true;
    case TokenType::kTopk:
      *op = AggregateOp::kTopk;
      return true;
    case TokenType::kBottomk:
      *op = AggregateOp::kBottomk;
      return true;
    case TokenType::kCountValues:
      *op = AggregateOp::kCountValues;
      return true;
    case TokenType::kQuantile:
      *op = AggregateOp::kQuantile;
      return true;
    default:
      return false;
  }
}

// Keywords Prometheus' grammar also accepts as a metric name (metric_identifier).
bool CanBeMetricName(TokenType t) {
  return t == TokenType::kIdentifier || t == TokenType::kMetricIdentifier || IsAggregatorToken(t) ||
         t == TokenType::kLand || t == TokenType::kLor || t == TokenType::kLunless ||
         t == TokenType::kBy || t == TokenType::kWithout || t == TokenType::kOffset;
}

// ... and as a label name inside by(...), on(...), group_left(...) (maybe_label).
bool CanBeLabelName(TokenType t) {
  return t == TokenType::kIdentifier || t == TokenType::kMetricIdentifier || IsAggregatorToken(t) ||
         IsKeywordToken(t) || t == TokenType::kLand || t == TokenType::kLor ||
         t == TokenType::kLunless || t == TokenType::kAtan2;
}

// What Go's strconv says about a number it cannot parse.
std::string NumberError(std::string_view text) {
  double ignored = 0;
  std::string error;
  go::ParseFloat(text, &ignored, &error);
  return "error parsing number: " + error;
}

// Go's regexp error text for a pattern that does not compile, anchored as Prometheus anchors
// matchers.
std::string RegexpError(const std::string& pattern) {
  std::string error;
  go::Regexp::Compile("^(?:" + pattern + ")$", &error);
  return error;
}

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), tokens_(Lex(input)) {}

  ParseResult Run() {
    ParseResult result;
    ExprPtr expr;
    if (Peek().type == TokenType::kEOF) {
      Fail(0, "no expression found in input");
    } else {
      expr = ParseExpr(0);
      if (!failed_ && Peek().type != TokenType::kEOF) Unexpected(Peek(), "", "");
    }
    if (!failed_) Check(*expr);
    if (failed_) {
      result.error = error_;
      // Line and column as Prometheus counts them: bytes since the last newline, 1-based.
      size_t pos = std::min(error_.position, input_.size());
      result.error.line = 1;
      size_t line_start = 0;
      for (size_t i = 0; i < pos; ++i) {
        if (input_[i] == '\n') {
          ++result.error.line;
          line_start = i + 1;
        }
      }
      result.error.column = pos - line_start + 1;
      return result;
    }
    result.expr = std::shared_ptr<const Expr>(expr.release());
    return result;
  }

 private:
  // ---- token access and errors ----

  const Token& Peek(size_t ahead = 0) const {
    size_t i = std::min(next_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& Next() {
    const Token& t = tokens_[std::min(next_, tokens_.size() - 1)];
    if (next_ < tokens_.size() - 1) ++next_;
    return t;
  }

  std::nullptr_t Fail(size_t pos, std::string message) {
    if (!failed_) {
      failed_ = true;
      error_.position = pos;
      error_.message = std::move(message);
    }
    return nullptr;
  }

  std::nullptr_t TooDeep(size_t pos) {
    return Fail(pos, "expression nests too deeply (limit " + std::to_string(kMaxNesting) + ")");
  }

  std::nullptr_t Unexpected(const Token& t, std::string_view context, std::string_view expected) {
    if (t.type == TokenType::kError) return Fail(t.pos, t.error);
    std::string msg = "unexpected " + DescribeToken(t);
    if (!context.empty()) {
      msg += " in ";
      msg += context;
    }
    if (!expected.empty()) {
      msg += ", expected ";
      msg += expected;
    }
    return Fail(t.pos, std::move(msg));
  }

  bool ParseDurationToken(const Token& t, int64_t* ms) {
    DurationError error = DurationError::kNone;
    auto d = ParseDuration(t.text, &error);
    if (!d) {
      // Past Go's time.Duration (~292y) Prometheus refuses the duration as out of range; ranges
      // and offsets stay small enough for int64 millisecond arithmetic.
      Fail(t.pos, error == DurationError::kOutOfRange
                      ? std::string("duration out of range")
                      : "not a valid duration string: " + go::Quote(t.text));
      return false;
    }
    if (d->count() == 0) {
      Fail(t.pos, "duration must be greater than 0");
      return false;
    }
    *ms = d->count();
    return true;
  }

  // ---- expressions ----

  ExprPtr ParseExpr(int min_prec) {
    // Nesting is bounded so that a pathological rule cannot exhaust the stack of the parser or,
    // later, of the checks, the printer and the evaluator, which recurse the same way. (The
    // loop below builds left-nested binary chains without recursing; those walk iteratively.)
    struct Depth {
      explicit Depth(int* d) : d_(d) { ++*d_; }
      ~Depth() { --*d_; }
      int* d_;
    } depth(&depth_);
    if (depth_ - 1 > kMaxNesting) return TooDeep(Peek().pos);  // the outermost is no nesting
    ExprPtr lhs = ParseUnary();
    while (lhs) {
      const Token& op_tok = Peek();
      BinaryOp op;
      int prec;
      if (!BinaryOpFor(op_tok.type, &op, &prec) || prec < min_prec) break;
      Next();
      auto bin = std::make_unique<BinaryExpr>(lhs->pos);
      bin->op = op;
      bin->op_pos = op_tok.pos;
      if (!ParseBinaryModifiers(bin.get())) return nullptr;
      // '^' is right-associative, everything else left-associative.
      ExprPtr rhs = ParseExpr(op == BinaryOp::kPow ? prec : prec + 1);
      if (!rhs) return nullptr;
      bin->lhs = std::move(lhs);
      bin->rhs = std::move(rhs);
      lhs = std::move(bin);
    }
    return lhs;
  }

  bool ParseBinaryModifiers(BinaryExpr* bin) {
    if (Peek().type == TokenType::kBool) {
      Next();
      bin->return_bool = true;
    }
    if (Peek().type == TokenType::kOn || Peek().type == TokenType::kIgnoring) {
      bin->on = Next().type == TokenType::kOn;
      bin->has_matching = true;
      if (!ParseGroupingLabels(&bin->matching)) return false;
      if (Peek().type == TokenType::kGroupLeft || Peek().type == TokenType::kGroupRight) {
        bin->card = Next().type == TokenType::kGroupLeft ? Cardinality::kManyToOne
                                                         : Cardinality::kOneToMany;
        if (Peek().type == TokenType::kLeftParen && !ParseGroupingLabels(&bin->include)) {
          return false;
        }
      }
    }
    return true;
  }

  // Unary plus/minus bind like '*' in Prometheus: only '^' binds tighter.
  ExprPtr ParseUnary() {
    const Token& t = Peek();
    if (t.type != TokenType::kAdd && t.type != TokenType::kSub) return ParsePostfix();
    Next();
    ExprPtr operand = ParseExpr(kPrecPow);
    if (!operand) return nullptr;
    if (operand->kind == Expr::Kind::kNumber) {
      auto* number = static_cast<NumberLiteral*>(operand.get());
      if (t.type == TokenType::kSub) number->value = -number->value;
      number->pos = t.pos;
      return operand;
    }
    auto unary = std::make_unique<UnaryExpr>(t.pos);
    unary->negate = t.type == TokenType::kSub;
    unary->expr = std::move(operand);
    return unary;
  }

  // A primary followed by any number of [range], [range:step] and offset modifiers.
  ExprPtr ParsePostfix() {
    ExprPtr e = ParsePrimary();
    int wrapped = 0;  // each subquery nests the expression one level deeper
    while (e) {
      const Token& t = Peek();
      if (t.type == TokenType::kLeftBracket) {
        if (depth_ - 1 + ++wrapped > kMaxNesting) return TooDeep(t.pos);
        e = ParseRangeOrSubquery(std::move(e));
      } else if (t.type == TokenType::kOffset) {
        e = ParseOffset(std::move(e));
      } else if (t.type == TokenType::kAt) {
        return Fail(t.pos, "the @ modifier is not supported");
      } else {
        break;
      }
    }
    return e;
  }

  ExprPtr ParseRangeOrSubquery(ExprPtr e) {
    const Token& open = Next();  // '['
    const Token& range_tok = Next();
    if (range_tok.type != TokenType::kDuration) {
      return Unexpected(range_tok, "subquery selector", "duration");
    }
    int64_t range_ms = 0;
    if (!ParseDurationToken(range_tok, &range_ms)) return nullptr;
    const Token& t = Next();
    if (t.type == TokenType::kRightBracket) {
      if (e->kind != Expr::Kind::kVectorSelector) {
        return Fail(open.pos, "ranges only allowed for vector selectors");
      }
      auto* vs = static_cast<VectorSelector*>(e.get());
      if (vs->has_offset) return Fail(open.pos, "no offset modifiers allowed before range");
      auto ms = std::make_unique<MatrixSelector>(e->pos);
      ms->range_ms = range_ms;
      ms->selector.reset(static_cast<VectorSelector*>(e.release()));
      return ms;
    }
    if (t.type != TokenType::kColon) return Unexpected(t, "subquery or range", "\":\" or \"]\"");
    auto sq = std::make_unique<SubqueryExpr>(e->pos);
    sq->range_ms = range_ms;
    const Token& step_tok = Next();
    if (step_tok.type == TokenType::kDuration) {
      if (!ParseDurationToken(step_tok, &sq->step_ms)) return nullptr;
      const Token& close = Next();
      if (close.type != TokenType::kRightBracket) {
        return Unexpected(close, "subquery selector", "\"]\"");
      }
    } else if (step_tok.type != TokenType::kRightBracket) {
      return Unexpected(step_tok, "subquery selector", "duration or \"]\"");
    }
    sq->expr = std::move(e);
    return sq;
  }

  ExprPtr ParseOffset(ExprPtr e) {
    Next();  // 'offset'
    bool negative = false;
    if (Peek().type == TokenType::kSub) {
      Next();
      negative = true;
    }
    const Token& d = Next();
    if (d.type != TokenType::kDuration) return Unexpected(d, "offset", "duration");
    int64_t ms = 0;
    if (!ParseDurationToken(d, &ms)) return nullptr;
    if (negative) ms = -ms;
    bool* has_offset = nullptr;
    int64_t* offset = nullptr;
    switch (e->kind) {
      case Expr::Kind::kVectorSelector: {
        auto* vs = static_cast<VectorSelector*>(e.get());
        has_offset = &vs->has_offset;
        offset = &vs->offset_ms;
        break;
      }
      case Expr::Kind::kMatrixSelector: {
        auto* vs = static_cast<MatrixSelector*>(e.get())->selector.get();
        has_offset = &vs->has_offset;
        offset = &vs->offset_ms;
        break;
      }
      case Expr::Kind::kSubquery: {
        auto* sq = static_cast<SubqueryExpr*>(e.get());
        has_offset = &sq->has_offset;
        offset = &sq->offset_ms;
        break;
      }
      default:
        return Fail(e->pos,
                    "offset modifier must be preceded by an instant vector selector or range "
                    "vector selector or a subquery");
    }
    if (*has_offset) return Fail(e->pos, "offset may not be set multiple times");
    *has_offset = true;
    *offset = ms;
    return e;
  }

  ExprPtr ParsePrimary() {
    const Token& t = Peek();
    switch (t.type) {
      case TokenType::kNumber: {
        Next();
        auto n = std::make_unique<NumberLiteral>(t.pos);
        auto v = ParseNumberLiteral(t.text);
        if (!v) return Fail(t.pos, NumberError(t.text));
        n->value = *v;
        return n;
      }
      case TokenType::kString: {
        Next();
        auto s = std::make_unique<StringLiteral>(t.pos);
        if (!go::Unquote(t.text, &s->value, go::Literal::kPromQL)) {
          return Fail(t.pos, "error unquoting string " + go::Quote(t.text) + ": invalid syntax");
        }
        return s;
      }
      case TokenType::kLeftParen: {
        Next();
        auto p = std::make_unique<ParenExpr>(t.pos);
        p->expr = ParseExpr(0);
        if (!p->expr) return nullptr;
        const Token& close = Next();
        if (close.type != TokenType::kRightParen) return Unexpected(close, "", "\")\"");
        return p;
      }
      case TokenType::kLeftBrace:
        return ParseVectorSelector();
      case TokenType::kIdentifier:
        if (Peek(1).type == TokenType::kLeftParen) return ParseCall();
        return ParseVectorSelector();
      default:
        break;
    }
    if (IsAggregatorToken(t.type)) {
      TokenType after = Peek(1).type;
      if (after == TokenType::kLeftParen || after == TokenType::kBy ||
          after == TokenType::kWithout) {
        return ParseAggregate();
      }
    }
    if (CanBeMetricName(t.type)) return ParseVectorSelector();
    return Unexpected(t, "", "");
  }

  // "(" [expr {"," expr}] ")"
  bool ParseCallBody(std::vector<ExprPtr>* args, std::string_view context) {
    const Token& open = Next();
    if (open.type != TokenType::kLeftParen) {
      Unexpected(open, context, "\"(\"");
      return false;
    }
    if (Peek().type == TokenType::kRightParen) {
      Next();
      return true;
    }
    while (true) {
      ExprPtr arg = ParseExpr(0);
      if (!arg) return false;
      args->push_back(std::move(arg));
      const Token& t = Next();
      if (t.type == TokenType::kRightParen) return true;
      if (t.type != TokenType::kComma) {
        Unexpected(t, context, "\",\" or \")\"");
        return false;
      }
      if (Peek().type == TokenType::kRightParen) {
        Fail(t.pos, "trailing commas not allowed in function call args");
        return false;
      }
    }
  }

  ExprPtr ParseCall() {
    const Token& name = Next();
    auto call = std::make_unique<CallExpr>(name.pos);
    call->func = FindFunction(name.text);
    if (!call->func) {
      return Fail(name.pos, "unknown function with name " + go::Quote(name.text));
    }
    if (!ParseCallBody(&call->args, "function call")) return nullptr;
    return call;
  }

  bool ParseAggregateModifier(AggregateExpr* agg) {
    agg->without = Next().type == TokenType::kWithout;
    agg->has_grouping = true;
    return ParseGroupingLabels(&agg->grouping);
  }

  ExprPtr ParseAggregate() {
    const Token& op_tok = Next();
    auto agg = std::make_unique<AggregateExpr>(op_tok.pos);
    AggregateOpFor(op_tok.type, &agg->op);
    bool modifier_first = Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout;
    if (modifier_first && !ParseAggregateModifier(agg.get())) return nullptr;
    std::vector<ExprPtr> args;
    if (!ParseCallBody(&args, "aggregation")) return nullptr;
    if (!modifier_first && (Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout) &&
        !ParseAggregateModifier(agg.get())) {
      return nullptr;
    }
    if (args.empty()) return Fail(op_tok.pos, "no arguments for aggregate expression provided");
    size_t desired = AggregateHasParam(agg->op) ? 2 : 1;
    if (args.size() != desired) {
      return Fail(op_tok.pos,
                  "wrong number of arguments for aggregate expression provided, "
                  "expected " +
                      std::to_string(desired) + ", got " + std::to_string(args.size()));
    }
    if (desired == 2) agg->param = std::move(args[0]);
    agg->expr = std::move(args[desired - 1]);
    agg->sorted_grouping = SortedUnique(agg->grouping);
    return agg;
  }

  bool ParseGroupingLabels(std::vector<std::string>* out) {
    const Token& open = Next();
    if (open.type != TokenType::kLeftParen) {
      Unexpected(open, "grouping opts", "\"(\"");
      return false;
    }
    if (Peek().type == TokenType::kRightParen) {
      Next();
      return true;
    }
    while (true) {
      const Token& label = Next();
      if (!CanBeLabelName(label.type) || !IsValidLabelName(label.text)) {
        Unexpected(label, "grouping opts", "label");
        return false;
      }
      out->emplace_back(label.text);
      const Token& t = Next();
      if (t.type == TokenType::kRightParen) return true;
      if (t.type != TokenType::kComma) {
        Unexpected(t, "grouping opts", "\",\" or \")\"");
        return false;
      }
      if (Peek().type == TokenType::kRightParen) {
        Next();
        return true;
      }
    }
  }

  ExprPtr ParseVectorSelector() {
    const Token& first = Peek();
    auto vs = std::make_unique<VectorSelector>(first.pos);
    if (first.type != TokenType::kLeftBrace) {
      Next();
      vs->name = std::string(first.text);
    }
    if (Peek().type == TokenType::kLeftBrace && !ParseLabelMatchers(vs.get())) return nullptr;
    if (!vs->name.empty()) {
      // The name becomes the last matcher, as in Prometheus.
      vs->matchers.emplace_back(MatchType::kEqual, std::string(kMetricNameLabel), vs->name);
    }
    return vs;
  }

  bool ParseLabelMatchers(VectorSelector* vs) {
    Next();  // '{'
    if (Peek().type == TokenType::kRightBrace) {
      Next();
      return true;
    }
    while (true) {
      const Token& name = Next();
      if (name.type != TokenType::kIdentifier) {
        Unexpected(name, "label matching", "identifier or \"}\"");
        return false;
      }
      const Token& op = Next();
      MatchType type;
      switch (op.type) {
        case TokenType::kEql:
          type = MatchType::kEqual;
          break;
        case TokenType::kNeq:
          type = MatchType::kNotEqual;
          break;
        case TokenType::kEqlRegex:
          type = MatchType::kRegexMatch;
          break;
        case TokenType::kNeqRegex:
          type = MatchType::kRegexNoMatch;
          break;
        default:
          Unexpected(op, "label matching", "label matching operator");
          return false;
      }
      const Token& value = Next();
      if (value.type != TokenType::kString) {
        Unexpected(value, "label matching", "string");
        return false;
      }
      std::string unquoted;
      if (!go::Unquote(value.text, &unquoted, go::Literal::kPromQL)) {
        Fail(value.pos, "error unquoting string " + go::Quote(value.text) + ": invalid syntax");
        return false;
      }
      try {
        vs->matchers.emplace_back(type, std::string(name.text), unquoted);
      } catch (const std::invalid_argument&) {
        // Parsing happens at rule-load time; a bad regex is a load error, not a crash.
        Fail(name.pos, RegexpError(unquoted));
        return false;
      }
      const Token& t = Next();
      if (t.type == TokenType::kRightBrace) return true;
      if (t.type != TokenType::kComma) {
        Unexpected(t, "label matching", "\",\" or \"}\"");
        return false;
      }
      if (Peek().type == TokenType::kRightBrace) {
        Next();
        return true;
      }
    }
  }

  // ---- type checks (Prometheus' checkAST) ----

  bool ExpectType(Expr& e, ValueType want, const std::string& context) {
    if (!Check(e)) return false;
    if (e.type != want) {
      Fail(e.pos, "expected type " + std::string(ValueTypeName(want)) + " in " + context +
                      ", got " + std::string(ValueTypeName(e.type)));
      return false;
    }
    return true;
  }

  bool Check(Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kNumber:
        e.type = ValueType::kScalar;
        return true;
      case Expr::Kind::kString:
        e.type = ValueType::kString;
        return true;
      case Expr::Kind::kVectorSelector:
        e.type = ValueType::kVector;
        return CheckSelector(static_cast<VectorSelector&>(e));
      case Expr::Kind::kMatrixSelector:
        e.type = ValueType::kMatrix;
        return Check(*static_cast<MatrixSelector&>(e).selector);
      case Expr::Kind::kSubquery: {
        auto& sq = static_cast<SubqueryExpr&>(e);
        e.type = ValueType::kMatrix;
        if (!Check(*sq.expr)) return false;
        if (sq.expr->type != ValueType::kVector) {
          static const char* const kGoNames[] = {"scalar", "vector", "matrix", "string"};
          Fail(e.pos, std::string("subquery is only allowed on instant vector, got ") +
                          kGoNames[static_cast<int>(sq.expr->type)] + " instead");
          return false;
        }
        return true;
      }
      case Expr::Kind::kParen: {
        auto& p = static_cast<ParenExpr&>(e);
        if (!Check(*p.expr)) return false;
        e.type = p.expr->type;
        return true;
      }
      case Expr::Kind::kUnary: {
        auto& u = static_cast<UnaryExpr&>(e);
        if (!Check(*u.expr)) return false;
        if (u.expr->type != ValueType::kScalar && u.expr->type != ValueType::kVector) {
          Fail(e.pos,
               "unary expression only allowed on expressions of type scalar or instant "
               "vector, got " +
                   go::Quote(ValueTypeName(u.expr->type)));
          return false;
        }
        e.type = u.expr->type;
        return true;
      }
      case Expr::Kind::kBinary:
        return CheckBinary(static_cast<BinaryExpr&>(e));
      case Expr::Kind::kAggregate: {
        auto& a = static_cast<AggregateExpr&>(e);
        e.type = ValueType::kVector;
        if (!ExpectType(*a.expr, ValueType::kVector, "aggregation expression")) return false;
        if (a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk ||
            a.op == AggregateOp::kQuantile) {
          return ExpectType(*a.param, ValueType::kScalar, "aggregation parameter");
        }
        if (a.op == AggregateOp::kCountValues) {
          return ExpectType(*a.param, ValueType::kString, "aggregation parameter");
        }
        return true;
      }
      case Expr::Kind::kCall:
        return CheckCall(static_cast<CallExpr&>(e));
    }
    return true;
  }

  bool CheckSelector(VectorSelector& vs) {
    if (!vs.name.empty()) {
      for (size_t i = 0; i + 1 < vs.matchers.size(); ++i) {
        if (vs.matchers[i].name() == kMetricNameLabel) {
          Fail(vs.pos, "metric name must not be set twice: " + go::Quote(vs.name) + " or " +
                           go::Quote(vs.matchers[i].value()));
          return false;
        }
      }
      return true;
    }
    for (const auto& m : vs.matchers) {
      if (!m.Matches("")) return true;
    }
    Fail(vs.pos, "vector selector must contain at least one non-empty matcher");
    return false;
  }

  // Checks a binary chain from its first operand up, in the order recursion would (each node's
  // lhs, then its rhs, then the node), with a loop along the left spine (see BinaryExpr).
  bool CheckBinary(BinaryExpr& top) {
    std::vector<BinaryExpr*> spine{&top};
    while (spine.back()->lhs->kind == Expr::Kind::kBinary) {
      spine.push_back(static_cast<BinaryExpr*>(spine.back()->lhs.get()));
    }
    if (!Check(*spine.back()->lhs)) return false;
    for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
      if (!Check(*(*it)->rhs) || !CheckBinaryNode(**it)) return false;
    }
    return true;
  }

  // One binary node whose operands are checked.
  bool CheckBinaryNode(BinaryExpr& b) {
    const ValueType lt = b.lhs->type;
    const ValueType rt = b.rhs->type;
    const std::string op_name(BinaryOpName(b.op));
    if (b.return_bool && !IsComparison(b.op)) {
      Fail(b.op_pos, "bool modifier can only be used on comparison operators");
      return false;
    }
    if (IsComparison(b.op) && !b.return_bool && lt == ValueType::kScalar &&
        rt == ValueType::kScalar) {
      Fail(b.op_pos, "comparisons between scalars must use BOOL modifier");
      return false;
    }
    if (IsSetOperator(b.op) && b.card == Cardinality::kOneToOne) b.card = Cardinality::kManyToMany;
    if (b.on) {
      for (const auto& l1 : b.matching) {
        for (const auto& l2 : b.include) {
          if (l1 == l2) {
            Fail(b.op_pos, "label " + go::Quote(l1) +
                               " must not occur in ON and GROUP clause "
                               "at once");
            return false;
          }
        }
      }
    }
    if (lt != ValueType::kScalar && lt != ValueType::kVector) {
      Fail(b.lhs->pos, "binary expression must contain only scalar and instant vector types");
      return false;
    }
    if (rt != ValueType::kScalar && rt != ValueType::kVector) {
      Fail(b.rhs->pos, "binary expression must contain only scalar and instant vector types");
      return false;
    }
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      if (!b.matching.empty()) {
        Fail(b.pos, "vector matching only allowed between instant vectors");
        return false;
      }
      // No vector matching between scalars and vectors.
      b.has_matching = false;
      b.on = false;
      b.include.clear();
      b.card = IsSetOperator(b.op) ? Cardinality::kManyToMany : Cardinality::kOneToOne;
    } else if (IsSetOperator(b.op)) {
      if (b.card == Cardinality::kOneToMany || b.card == Cardinality::kManyToOne) {
        Fail(b.pos, "no grouping allowed for " + go::Quote(op_name) + " operation");
        return false;
      }
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOperator(b.op)) {
      Fail(b.pos, "set operator " + go::Quote(op_name) +
                      " not allowed in binary scalar "
                      "expression");
      return false;
    }
    b.type = (lt == ValueType::kScalar && rt == ValueType::kScalar) ? ValueType::kScalar
                                                                    : ValueType::kVector;
    // Signature label lists, prepared once: on(...) hashes just those labels; ignoring(...)
    // hashes everything else except the metric name.
    b.sorted_matching = SortedUnique(b.matching);
    b.signature_names = b.sorted_matching;
    if (!b.on) b.signature_names.emplace_back(kMetricNameLabel);
    b.signature_names = SortedUnique(std::move(b.signature_names));
    return true;
  }

  bool CheckCall(CallExpr& c) {
    const Function& f = *c.func;
    c.type = f.return_type;
    const size_t nargs = f.arg_types.size();
    const size_t given = c.args.size();
    const std::string quoted = go::Quote(f.name);
    if (f.variadic == 0) {
      if (nargs != given) {
        Fail(c.pos, "expected " + std::to_string(nargs) + " argument(s) in call to " + quoted +
                        ", got " + std::to_string(given));
        return false;
      }
    } else {
      size_t min_args = nargs - 1;
      if (min_args > given) {
        Fail(c.pos, "expected at least " + std::to_string(min_args) + " argument(s) in call to " +
                        quoted + ", got " + std::to_string(given));
        return false;
      }
      if (f.variadic > 0 && min_args + static_cast<size_t>(f.variadic) < given) {
        Fail(c.pos, "expected at most " +
                        std::to_string(min_args + static_cast<size_t>(f.variadic)) +
                        " argument(s) in call to " + quoted + ", got " + std::to_string(given));
        return false;
      }
    }
    const std::string context = "call to function " + quoted;
    for (size_t i = 0; i < given; ++i) {
      size_t t = std::min(i, nargs - 1);
      if (!ExpectType(*c.args[i], f.arg_types[t], context)) return false;
    }
    if (f.id == FunctionId::kLabelReplace) {
      const auto& regex = static_cast<const StringLiteral&>(Unparen(*c.args[4])).value;
      std::string error;
      if (auto re = go::Regexp::Compile("^(?:" + regex + ")$", &error)) {
        c.regex = std::move(re);
      } else {
        c.regex_error = "invalid regular expression in label_replace(): " + regex;
      }
    }
    return true;
  }

  std::string_view input_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  ParseError error_;
};

}  // namespace

std::string ParseError::ToString() const {
  return std::to_string(line) + ":" + std::to_string(column) + ": parse error: " + message;
}

ParseResult Parse(std::string_view text) { return Parser(text).Run(); }

ValueType ResultType(const Expr& expr) { return expr.type; }

}  // namespace codebot::promql
