// Expr -> text in Prometheus' canonical form (the String() methods of its AST), which is what
// its rules API reports as a rule's "query".
#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "exporter/core/duration.h"
#include "exporter/core/labels.h"
#include "exporter/go/strconv.h"
#include "exporter/promql/ast.h"

namespace codebot::promql {
namespace {

std::string Dur(int64_t ms) { return FormatDuration(std::chrono::milliseconds(ms)); }

std::string OffsetSuffix(int64_t offset_ms) {
  if (offset_ms > 0) return " offset " + Dur(offset_ms);
  if (offset_ms < 0) return " offset -" + Dur(-offset_ms);
  return "";
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string MatchOp(MatchType type) {
  switch (type) {
    case MatchType::kEqual:
      return "=";
    case MatchType::kNotEqual:
      return "!=";
    case MatchType::kRegexMatch:
      return "=~";
    case MatchType::kRegexNoMatch:
      return "!~";
  }
  return "=";
}

std::string SelectorText(const VectorSelector& vs, bool with_offset) {
  std::vector<std::string> parts;
  for (const auto& m : vs.matchers) {
    // The name written before the braces is printed there, not as a matcher.
    if (m.name() == kMetricNameLabel && m.type() == MatchType::kEqual && m.value() == vs.name) {
      continue;
    }
    parts.push_back(m.name() + MatchOp(m.type()) + go::Quote(m.value()));
  }
  std::string out = vs.name;
  if (!parts.empty()) {
    std::sort(parts.begin(), parts.end());
    out += "{" + Join(parts, ",") + "}";
  }
  if (with_offset) out += OffsetSuffix(vs.offset_ms);
  return out;
}

// What is left to print, last first: an expression, or text as it is.
struct Piece {
  const Expr* expr = nullptr;
  std::string text;
};

// Prints with an explicit stack rather than recursion: trees nest up to the parser's limits
// and /api/v1/rules prints them on an HTTP worker's small stack.
void Print(const Expr& root, std::string* out) {
  std::vector<Piece> todo;
  todo.push_back({&root, {}});
  // Pushes pieces so that they print in the order given.
  auto then = [&todo](std::initializer_list<Piece> pieces) {
    for (auto it = std::rbegin(pieces); it != std::rend(pieces); ++it) todo.push_back(*it);
  };
  while (!todo.empty()) {
    Piece piece = std::move(todo.back());
    todo.pop_back();
    if (piece.expr == nullptr) {
      *out += piece.text;
      continue;
    }
    const Expr& e = *piece.expr;
    switch (e.kind) {
      case Expr::Kind::kNumber:
        *out += go::FormatFloat(static_cast<const NumberLiteral&>(e).value, 'g', -1);
        break;
      case Expr::Kind::kString:
        *out += go::Quote(static_cast<const StringLiteral&>(e).value);
        break;
      case Expr::Kind::kVectorSelector:
        *out += SelectorText(static_cast<const VectorSelector&>(e), true);
        break;
      case Expr::Kind::kMatrixSelector: {
        const auto& ms = static_cast<const MatrixSelector&>(e);
        *out += SelectorText(*ms.selector, false);
        *out += "[" + Dur(ms.range_ms) + "]";
        *out += OffsetSuffix(ms.selector->offset_ms);
        break;
      }
      case Expr::Kind::kSubquery: {
        const auto& sq = static_cast<const SubqueryExpr&>(e);
        then({{sq.expr.get(), {}},
              {nullptr, "[" + Dur(sq.range_ms) + ":" + (sq.step_ms > 0 ? Dur(sq.step_ms) : "") +
                            "]" + OffsetSuffix(sq.offset_ms)}});
        break;
      }
      case Expr::Kind::kParen:
        then({{nullptr, "("}, {static_cast<const ParenExpr&>(e).expr.get(), {}}, {nullptr, ")"}});
        break;
      case Expr::Kind::kUnary: {
        const auto& u = static_cast<const UnaryExpr&>(e);
        then({{nullptr, u.negate ? "-" : "+"}, {u.expr.get(), {}}});
        break;
      }
      case Expr::Kind::kBinary: {
        // The chain's first operand, then " op rhs" for each operator from the bottom up.
        const std::vector<const BinaryExpr*> spine = LeftSpine(static_cast<const BinaryExpr&>(e));
        for (const BinaryExpr* b : spine) {  // top first: it prints last
          std::string op = " ";
          op += BinaryOpName(b->op);
          if (b->return_bool) op += " bool";
          if (b->has_matching && (!b->matching.empty() || b->on)) {
            op += b->on ? " on (" : " ignoring (";
            op += Join(b->matching, ", ") + ")";
            if (b->card == Cardinality::kManyToOne || b->card == Cardinality::kOneToMany) {
              op += b->card == Cardinality::kManyToOne ? " group_left (" : " group_right (";
              op += Join(b->include, ", ") + ")";
            }
          }
          op += " ";
          then({{nullptr, std::move(op)}, {b->rhs.get(), {}}});
        }
        todo.push_back({spine.back()->lhs.get(), {}});
        break;
      }
      case Expr::Kind::kAggregate: {
        const auto& a = static_cast<const AggregateExpr&>(e);
        std::string head(AggregateOpName(a.op));
        if (a.without) {
          head += " without (" + Join(a.grouping, ", ") + ") ";
        } else if (!a.grouping.empty()) {
          head += " by (" + Join(a.grouping, ", ") + ") ";
        }
        head += "(";
        if (a.param) {
          then({{nullptr, std::move(head)},
                {a.param.get(), {}},
                {nullptr, ", "},
                {a.expr.get(), {}},
                {nullptr, ")"}});
        } else {
          then({{nullptr, std::move(head)}, {a.expr.get(), {}}, {nullptr, ")"}});
        }
        break;
      }
      case Expr::Kind::kCall: {
        const auto& c = static_cast<const CallExpr&>(e);
        todo.push_back({nullptr, ")"});
        for (size_t i = c.args.size(); i-- > 0;) {
          todo.push_back({c.args[i].get(), {}});
          if (i > 0) todo.push_back({nullptr, ", "});
        }
        todo.push_back({nullptr, std::string(c.func->name) + "("});
        break;
      }
    }
  }
}

}  // namespace

std::string Format(const Expr& expr) {
  std::string out;
  Print(expr, &out);
  return out;
}

}  // namespace codebot::promql
