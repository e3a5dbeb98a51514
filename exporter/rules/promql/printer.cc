// Expr -> text in Prometheus' canonical form (the String() methods of its AST), which is what
// its rules API reports as a rule's "query".
#include <algorithm>
#include <chrono>

#include "exporter/core/duration.h"
#include "exporter/rules/go/strconv.h"
#include "exporter/rules/promql/ast.h"
#include "exporter/rules/promql/go_compat.h"
#include "exporter/rules/promql/labels_util.h"

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
    parts.push_back(m.name() + MatchOp(m.type()) + rules::go::Quote(m.value()));
  }
  std::string out = vs.name;
  if (!parts.empty()) {
    std::sort(parts.begin(), parts.end());
    out += "{" + Join(parts, ",") + "}";
  }
  if (with_offset) out += OffsetSuffix(vs.offset_ms);
  return out;
}

void Print(const Expr& e, std::string* out) {
  switch (e.kind) {
    case Expr::Kind::kNumber:
      *out += rules::go::FormatFloat(static_cast<const NumberLiteral&>(e).value, 'g', -1);
      return;
    case Expr::Kind::kString:
      *out += rules::go::Quote(static_cast<const StringLiteral&>(e).value);
      return;
    case Expr::Kind::kVectorSelector:
      *out += SelectorText(static_cast<const VectorSelector&>(e), true);
      return;
    case Expr::Kind::kMatrixSelector: {
      const auto& ms = static_cast<const MatrixSelector&>(e);
      *out += SelectorText(*ms.selector, false);
      *out += "[" + Dur(ms.range_ms) + "]";
      *out += OffsetSuffix(ms.selector->offset_ms);
      return;
    }
    case Expr::Kind::kSubquery: {
      const auto& sq = static_cast<const SubqueryExpr&>(e);
      Print(*sq.expr, out);
      *out += "[" + Dur(sq.range_ms) + ":" + (sq.step_ms > 0 ? Dur(sq.step_ms) : "") + "]";
      *out += OffsetSuffix(sq.offset_ms);
      return;
    }
    case Expr::Kind::kParen:
      *out += "(";
      Print(*static_cast<const ParenExpr&>(e).expr, out);
      *out += ")";
      return;
    case Expr::Kind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(e);
      *out += u.negate ? "-" : "+";
      Print(*u.expr, out);
      return;
    }
    case Expr::Kind::kBinary: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      Print(*b.lhs, out);
      *out += " ";
      *out += BinaryOpName(b.op);
      if (b.return_bool) *out += " bool";
      if (b.has_matching && (!b.matching.empty() || b.on)) {
        *out += b.on ? " on (" : " ignoring (";
        *out += Join(b.matching, ", ") + ")";
        if (b.card == Cardinality::kManyToOne || b.card == Cardinality::kOneToMany) {
          *out += b.card == Cardinality::kManyToOne ? " group_left (" : " group_right (";
          *out += Join(b.include, ", ") + ")";
        }
      }
      *out += " ";
      Print(*b.rhs, out);
      return;
    }
    case Expr::Kind::kAggregate: {
      const auto& a = static_cast<const AggregateExpr&>(e);
      *out += AggregateOpName(a.op);
      if (a.without) {
        *out += " without (" + Join(a.grouping, ", ") + ") ";
      } else if (!a.grouping.empty()) {
        *out += " by (" + Join(a.grouping, ", ") + ") ";
      }
      *out += "(";
      if (a.param) {
        Print(*a.param, out);
        *out += ", ";
      }
      Print(*a.expr, out);
      *out += ")";
      return;
    }
    case Expr::Kind::kCall: {
      const auto& c = static_cast<const CallExpr&>(e);
      *out += c.func->name;
      *out += "(";
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) *out += ", ";
        Print(*c.args[i], out);
      }
      *out += ")";
      return;
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
