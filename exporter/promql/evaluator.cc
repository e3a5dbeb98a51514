#include "exporter/promql/evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "exporter/core/labels.h"
#include "exporter/go/math.h"
#include "exporter/go/strconv.h"
#include "exporter/promql/hash_index.h"
#include "exporter/promql/label_string.h"
#include "exporter/promql/sorting.h"

namespace codebot::promql {
namespace detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Like Prometheus' engine, a zero (unset) lookback delta means the default 5 minutes.
int64_t LookbackDelta(const EvalOptions& options) {
  return options.lookback_delta_ms > 0 ? options.lookback_delta_ms : int64_t{5} * 60 * 1000;
}

bool DropsMetricName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kPow:
    case BinaryOp::kMod:
      return true;
    default:
      return false;
  }
}

// Prometheus' vectorElemBinop: arithmetic always keeps the element; a comparison keeps the
// left-hand value when it holds.
double ElemBinop(BinaryOp op, double l, double r, bool* keep) {
  *keep = true;
  switch (op) {
    case BinaryOp::kAdd:
      return l + r;
    case BinaryOp::kSub:
      return l - r;
    case BinaryOp::kMul:
      return l * r;
    case BinaryOp::kDiv:
      return l / r;
    case BinaryOp::kPow:
      return go::Pow(l, r);
    case BinaryOp::kMod:
      return std::fmod(l, r);
    case BinaryOp::kAtan2:
      return go::Atan2(l, r);
    case BinaryOp::kEql:
      *keep = l == r;
      return l;
    case BinaryOp::kNeq:
      *keep = l != r;
      return l;
    case BinaryOp::kGtr:
      *keep = l > r;
      return l;
    case BinaryOp::kLss:
      *keep = l < r;
      return l;
    case BinaryOp::kGte:
      *keep = l >= r;
      return l;
    case BinaryOp::kLte:
      *keep = l <= r;
      return l;
    default:
      return l;
  }
}

double ScalarBinop(BinaryOp op, double l, double r) {
  bool keep = true;
  double v = ElemBinop(op, l, r, &keep);
  if (IsComparison(op)) return keep ? 1 : 0;
  return v;
}

bool LabelsLess(const Labels& a, const Labels& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

// Prometheus' Labels.MatchLabels: the labels a match group is made of, for error messages.
Labels MatchGroupLabels(const Labels& labels, bool on, const std::vector<std::string>& names) {
  Labels out;
  for (const auto& l : labels) {
    bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
    if (on == listed && (on || l.name != kMetricNameLabel)) out.push_back(l);
  }
  return out;
}

// Go's float64 -> int64 bounds check (convertibleToInt64).
bool ConvertibleToInt64(double v) {
  return v <= 9223372036854774784.0 && v >= -9223372036854775808.0;
}

struct Group {
  Labels labels;
  double value = 0;
  double mean = 0;
  int64_t count = 0;
  std::vector<uint32_t> heap;  // topk/bottomk/quantile: positions in the input vector
};

}  // namespace

bool DropMetricNames(Vector* vec) {
  bool named = false;
  bool nameless = false;
  bool distinct = false;
  std::string first;
  for (auto& s : *vec) {
    auto it = std::lower_bound(s.labels.begin(), s.labels.end(), kMetricNameLabel,
                               [](const Label& l, std::string_view n) { return l.name < n; });
    if (it == s.labels.end() || it->name != kMetricNameLabel) {
      nameless = true;
      continue;
    }
    if (!named) {
      named = true;
      first = std::move(it->value);
    } else if (!distinct && it->value != first) {
      distinct = true;
    }
    s.labels.erase(it);
  }
  return distinct || (named && nameless);
}

void SortByLabels(std::vector<SeriesData>* series) {
  auto less = [](const SeriesData& a, const SeriesData& b) {
    return LabelsLess(a.labels, b.labels);
  };
  if (!std::is_sorted(series->begin(), series->end(), less)) {
    std::sort(series->begin(), series->end(), less);
  }
}

bool Evaluator::Fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return false;
}

bool Evaluator::HoldSamples(int64_t n) {
  held_samples_ += n;
  if (options_.max_samples > 0 && held_samples_ > options_.max_samples) {
    return Fail("query processing would load too many samples into memory in query execution");
  }
  return true;
}

bool Evaluator::CheckDeadline() {
  if (deadline_ != std::chrono::steady_clock::time_point::max() &&
      std::chrono::steady_clock::now() > deadline_) {
    return Fail("query timed out in expression evaluation");
  }
  return true;
}

bool Evaluator::CheckNoDuplicates(const Vector& vec) {
  if (vec.size() < 2) return true;
  HashIndex index(vec.size());
  for (uint32_t i = 0; i < vec.size(); ++i) {
    uint64_t h = HashLabels(vec[i].labels);
    if (index.Find(h, [&](uint32_t j) { return vec[j].labels == vec[i].labels; }) !=
        HashIndex::kNone) {
      return Fail("vector cannot contain metrics with the same labelset");
    }
    index.Insert(h, i);
  }
  return true;
}

bool Evaluator::EvalScalar(const Expr& expr, int64_t t, double* out) {
  Value v;
  if (!Eval(expr, t, &v)) return false;
  *out = v.scalar;
  return true;
}

bool Evaluator::EvalVector(const Expr& expr, int64_t t, Vector* out) {
  Value v;
  if (!Eval(expr, t, &v)) return false;
  *out = std::move(v.vector);
  return true;
}

bool Evaluator::Eval(const Expr& expr, int64_t t, Value* out) {
  out->type = expr.type;
  switch (expr.kind) {
    case Expr::Kind::kNumber:
      out->scalar = static_cast<const NumberLiteral&>(expr).value;
      return true;
    case Expr::Kind::kString:
      out->string = static_cast<const StringLiteral&>(expr).value;
      return true;
    case Expr::Kind::kParen:
      return Eval(*static_cast<const ParenExpr&>(expr).expr, t, out);
    case Expr::Kind::kVectorSelector:
      return SelectInstant(static_cast<const VectorSelector&>(expr), t, false, &out->vector);
    case Expr::Kind::kMatrixSelector:
    case Expr::Kind::kSubquery: {
      Matrix m;
      int64_t range = 0;
      int64_t offset = 0;
      if (!EvalRange(expr, t, &m, &range, &offset)) return false;
      out->matrix.reserve(m.size());
      for (auto& s : m)
        out->matrix.push_back(RangeSeries{std::move(s.labels), std::move(s.points)});
      return true;
    }
    case Expr::Kind::kUnary:
      return EvalUnary(static_cast<const UnaryExpr&>(expr), t, out);
    case Expr::Kind::kBinary:
      return EvalBinary(static_cast<const BinaryExpr&>(expr), t, out);
    case Expr::Kind::kAggregate:
      return EvalAggregate(static_cast<const AggregateExpr&>(expr), t, &out->vector);
    case Expr::Kind::kCall:
      return EvalCall(static_cast<const CallExpr&>(expr), t, out);
  }
  return Fail("unhandled expression");
}

bool Evaluator::SelectInstant(const VectorSelector& vs, int64_t t, bool timestamps, Vector* out) {
  const int64_t ref = t - vs.offset_ms;
  const int64_t mint = ref - LookbackDelta(options_);
  std::vector<SeriesData> series;
  storage_.Select(vs.matchers, mint, ref, &series);
  int64_t loaded = 0;
  for (const auto& s : series) loaded += static_cast<int64_t>(s.points.size());
  if (!HoldSamples(loaded)) return false;
  SortByLabels(&series);
  out->clear();
  out->reserve(series.size());
  for (auto& s : series) {
    // The newest sample at or before ref, if it is within the lookback window. A sample exactly
    // lookback_delta old still counts (Prometheus 2.x).
    const Point* p = nullptr;
    for (auto it = s.points.rbegin(); it != s.points.rend(); ++it) {
      if (it->t <= ref) {
        p = &*it;
        break;
      }
    }
    if (p == nullptr || p->t < mint || IsStaleNaN(p->v)) continue;
    out->push_back(
        InstantSample{std::move(s.labels), timestamps ? static_cast<double>(p->t) / 1000 : p->v});
  }
  return true;
}

bool Evaluator::SelectRange(const MatrixSelector& ms, int64_t t, Matrix* out) {
  const int64_t maxt = t - ms.selector->offset_ms;
  const int64_t mint = maxt - ms.range_ms;
  out->clear();
  storage_.Select(ms.selector->matchers, mint, maxt, out);
  SortByLabels(out);
  // Both ends of the range are inclusive (Prometheus 2.x); stale markers are not samples.
  size_t kept = 0;
  for (auto& s : *out) {
    auto& pts = s.points;
    pts.erase(
        std::remove_if(pts.begin(), pts.end(),
                       [&](const Point& p) { return p.t < mint || p.t > maxt || IsStaleNaN(p.v); }),
        pts.end());
    if (pts.empty()) continue;
    if (!HoldSamples(static_cast<int64_t>(pts.size()))) return false;
    if (&s != &(*out)[kept]) (*out)[kept] = std::move(s);
    ++kept;
  }
  out->resize(kept);
  return true;
}

bool Evaluator::EvalSubquery(const SubqueryExpr& sq, int64_t t, Matrix* out) {
  const int64_t step = sq.step_ms > 0 ? sq.step_ms : options_.default_subquery_step_ms;
  if (step <= 0) return Fail("subquery step must be positive");
  const int64_t end = t - sq.offset_ms;
  const int64_t from = end - sq.range_ms;
  // The first step-aligned timestamp at or after `from` (C++ division truncates like Go's).
  int64_t start = step * (from / step);
  if (start < from) start += step;
  out->clear();
  HashIndex index;
  // What each step selects is released after the step; the points gathered so far stay held.
  const int64_t held_before = held_samples_;
  int64_t gathered = 0;
  for (int64_t ts = start; ts <= end; ts += step) {
    if (!CheckDeadline()) return false;
    held_samples_ = held_before + gathered;
    Vector vec;
    if (!EvalVector(*sq.expr, ts, &vec)) return false;
    held_samples_ = held_before + gathered;
    gathered += static_cast<int64_t>(vec.size());
    if (!HoldSamples(static_cast<int64_t>(vec.size()))) return false;
    for (auto& s : vec) {
      uint64_t h = HashLabels(s.labels);
      uint32_t i = index.Find(h, [&](uint32_t j) { return (*out)[j].labels == s.labels; });
      if (i == HashIndex::kNone) {
        i = static_cast<uint32_t>(out->size());
        index.Insert(h, i);
        out->push_back(SeriesData{std::move(s.labels), {}});
      }
      (*out)[i].points.push_back(Point{ts, s.v});
    }
  }
  return true;
}

bool Evaluator::EvalRange(const Expr& expr, int64_t t, Matrix* out, int64_t* range_ms,
                          int64_t* offset_ms) {
  const Expr& e = Unparen(expr);
  if (e.kind == Expr::Kind::kMatrixSelector) {
    const auto& ms = static_cast<const MatrixSelector&>(e);
    *range_ms = ms.range_ms;
    *offset_ms = ms.selector->offset_ms;
    return SelectRange(ms, t, out);
  }
  if (e.kind == Expr::Kind::kSubquery) {
    const auto& sq = static_cast<const SubqueryExpr&>(e);
    *range_ms = sq.range_ms;
    *offset_ms = sq.offset_ms;
    return EvalSubquery(sq, t, out);
  }
  return Fail("expected a range vector");
}

bool Evaluator::EvalUnary(const UnaryExpr& u, int64_t t, Value* out) {
  if (!Eval(*u.expr, t, out)) return false;
  out->type = u.type;
  if (!u.negate) return true;
  if (out->type == ValueType::kScalar) {
    out->scalar = -out->scalar;
    return true;
  }
  for (auto& s : out->vector) s.v = -s.v;
  if (DropMetricNames(&out->vector)) return CheckNoDuplicates(out->vector);
  return true;
}

bool Evaluator::EvalBinary(const BinaryExpr& top, int64_t t, Value* out) {
  // A chain `a + b + c + ...` is evaluated from its first operand up with a loop along the left
  // spine (see BinaryExpr), in the order recursion would use: each node's lhs, then its rhs.
  const std::vector<const BinaryExpr*> spine = LeftSpine(top);
  Value lhs;
  if (!Eval(*spine.back()->lhs, t, &lhs)) return false;
  for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
    Value rhs;
    Value result;
    if (!Eval(*(*it)->rhs, t, &rhs) || !BinaryOperation(**it, &lhs, &rhs, &result)) return false;
    lhs = std::move(result);
  }
  *out = std::move(lhs);
  return true;
}

bool Evaluator::BinaryOperation(const BinaryExpr& b, Value* lhs, Value* rhs, Value* out) {
  out->type = b.type;
  const bool lhs_scalar = b.lhs->type == ValueType::kScalar;
  const bool rhs_scalar = b.rhs->type == ValueType::kScalar;
  if (lhs_scalar && rhs_scalar) {
    out->scalar = ScalarBinop(b.op, lhs->scalar, rhs->scalar);
    return true;
  }
  if (lhs_scalar || rhs_scalar) {
    Vector& vec = lhs_scalar ? rhs->vector : lhs->vector;
    const double scalar = lhs_scalar ? lhs->scalar : rhs->scalar;
    return VectorScalarBinop(b, &vec, scalar, lhs_scalar, &out->vector);
  }
  if (IsSetOperator(b.op)) {
    SetOperation(b, &lhs->vector, &rhs->vector, &out->vector);
    return true;
  }
  return VectorBinop(b, &lhs->vector, &rhs->vector, &out->vector);
}

bool Evaluator::VectorScalarBinop(const BinaryExpr& b, Vector* vec, double scalar, bool scalar_left,
                                  Vector* out) {
  const bool comparison = IsComparison(b.op);
  size_t kept = 0;
  for (auto& s : *vec) {
    double l = scalar_left ? scalar : s.v;
    double r = scalar_left ? s.v : scalar;
    bool keep = true;
    double value = ElemBinop(b.op, l, r, &keep);
    // A comparison always yields the vector's value, whichever side it is on.
    if (comparison && scalar_left) value = r;
    if (b.return_bool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    s.v = value;
    if (&s != &(*vec)[kept]) (*vec)[kept] = std::move(s);
    ++kept;
  }
  vec->resize(kept);
  bool may_collide = false;
  if (DropsMetricName(b.op) || b.return_bool) may_collide = DropMetricNames(vec);
  *out = std::move(*vec);
  return !may_collide || CheckNoDuplicates(*out);
}

void Evaluator::SetOperation(const BinaryExpr& b, Vector* lhs, Vector* rhs, Vector* out) {
  const auto& names = b.signature_names;
  auto sig = [&](const Labels& l) {
    return b.on ? HashLabelsOn(l, names) : HashLabelsIgnoring(l, names);
  };
  auto same = [&](const Labels& x, const Labels& y) {
    return b.on ? EqualLabelsOn(x, y, names) : EqualLabelsIgnoring(x, y, names);
  };
  auto index_of = [&](const Vector& v) {
    HashIndex index(v.size());
    for (uint32_t i = 0; i < v.size(); ++i) {
      uint64_t h = sig(v[i].labels);
      if (index.Find(h, [&](uint32_t j) { return same(v[j].labels, v[i].labels); }) ==
          HashIndex::kNone) {
        index.Insert(h, i);
      }
    }
    return index;
  };
  auto contains = [&](const HashIndex& index, const Vector& v, const Labels& l) {
    return index.Find(sig(l), [&](uint32_t j) { return same(v[j].labels, l); }) != HashIndex::kNone;
  };
  out->clear();
  switch (b.op) {
    case BinaryOp::kAnd: {
      if (lhs->empty() || rhs->empty()) return;
      HashIndex right = index_of(*rhs);
      for (auto& s : *lhs) {
        if (contains(right, *rhs, s.labels)) out->push_back(std::move(s));
      }
      return;
    }
    case BinaryOp::kOr: {
      if (lhs->empty()) {
        *out = std::move(*rhs);
        return;
      }
      if (rhs->empty()) {
        *out = std::move(*lhs);
        return;
      }
      HashIndex left = index_of(*lhs);
      std::vector<bool> add(rhs->size());
      for (size_t i = 0; i < rhs->size(); ++i) add[i] = !contains(left, *lhs, (*rhs)[i].labels);
      *out = std::move(*lhs);
      for (size_t i = 0; i < rhs->size(); ++i) {
        if (add[i]) out->push_back(std::move((*rhs)[i]));
      }
      return;
    }
    case BinaryOp::kUnless: {
      if (lhs->empty() || rhs->empty()) {
        *out = std::move(*lhs);
        return;
      }
      HashIndex right = index_of(*rhs);
      for (auto& s : *lhs) {
        if (!contains(right, *rhs, s.labels)) out->push_back(std::move(s));
      }
      return;
    }
    default:
      return;
  }
}

bool Evaluator::VectorBinop(const BinaryExpr& b, Vector* lhs_in, Vector* rhs_in, Vector* out) {
  out->clear();
  if (lhs_in->empty() || rhs_in->empty()) return true;
  const bool one_to_many = b.card == Cardinality::kOneToMany;
  // Handle one-to-many as many-to-one with the sides swapped (values are swapped back below).
  Vector& many = one_to_many ? *rhs_in : *lhs_in;
  Vector& one = one_to_many ? *lhs_in : *rhs_in;
  const auto& names = b.signature_names;
  auto sig = [&](const Labels& l) {
    return b.on ? HashLabelsOn(l, names) : HashLabelsIgnoring(l, names);
  };
  auto same = [&](const Labels& x, const Labels& y) {
    return b.on ? EqualLabelsOn(x, y, names) : EqualLabelsIgnoring(x, y, names);
  };

  // The "one" side must be unique per match group.
  HashIndex one_index(one.size());
  std::vector<uint64_t> one_sigs(one.size());
  for (uint32_t i = 0; i < one.size(); ++i) {
    one_sigs[i] = sig(one[i].labels);
    uint32_t dup =
        one_index.Find(one_sigs[i], [&](uint32_t j) { return same(one[j].labels, one[i].labels); });
    if (dup != HashIndex::kNone) {
      return Fail("found duplicate series for the match group " +
                  LabelsToString(MatchGroupLabels(one[i].labels, b.on, b.matching)) + " on the " +
                  (one_to_many ? "left" : "right") + " hand-side of the operation: [" +
                  LabelsToString(one[i].labels) + ", " + LabelsToString(one[dup].labels) +
                  "];many-to-many matching not allowed: matching labels must be unique on one "
                  "side");
    }
    one_index.Insert(one_sigs[i], i);
  }

  const bool drop_name = DropsMetricName(b.op);
  std::vector<bool> matched;  // one-to-one: which "one" samples already have a partner
  if (b.card == Cardinality::kOneToOne) matched.assign(one.size(), false);
  HashIndex results;  // many-to-one: (match group, result labels) already produced
  std::vector<uint32_t> result_group;

  for (auto& s : many) {
    uint32_t j =
        one_index.Find(sig(s.labels), [&](uint32_t k) { return same(one[k].labels, s.labels); });
    if (j == HashIndex::kNone) continue;
    const InstantSample& partner = one[j];
    double l = s.v;
    double r = partner.v;
    if (one_to_many) std::swap(l, r);
    bool keep = true;
    double value = ElemBinop(b.op, l, r, &keep);
    if (b.return_bool) {
      value = keep ? 1 : 0;
    } else if (!keep) {
      continue;
    }

    // Result labels: the "many" side's, trimmed for one-to-one matching, plus group_x labels
    // taken from the "one" side. Each "many" sample is used once, so its labels can move.
    Labels metric = std::move(s.labels);
    if (drop_name) DropMetricName(&metric);
    if (b.card == Cardinality::kOneToOne) {
      if (b.on) {
        KeepOnly(&metric, b.sorted_matching);
      } else {
        DeleteAll(&metric, b.sorted_matching);
      }
    }
    for (const auto& name : b.include) {
      const std::string* v = FindLabel(partner.labels, name);
      SetLabel(&metric, name, v ? std::string_view(*v) : std::string_view());
    }
    if (b.return_bool) DropMetricName(&metric);

    if (b.card == Cardinality::kOneToOne) {
      if (matched[j]) {
        return Fail(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      }
      matched[j] = true;
    } else {
      uint64_t h = HashLabels(metric) ^ (one_sigs[j] * 0x9e3779b97f4a7c15ull);
      uint32_t prev = results.Find(
          h, [&](uint32_t k) { return result_group[k] == j && (*out)[k].labels == metric; });
      if (prev != HashIndex::kNone) {
        return Fail("multiple matches for labels: grouping labels must ensure unique matches");
      }
      results.Insert(h, static_cast<uint32_t>(out->size()));
      result_group.push_back(j);
    }
    out->push_back(InstantSample{std::move(metric), value});
  }
  return true;
}

bool Evaluator::EvalAggregate(const AggregateExpr& a, int64_t t, Vector* out) {
  out->clear();
  double param = 0;
  std::string value_label;
  if (a.op == AggregateOp::kCountValues) {
    value_label = static_cast<const StringLiteral&>(Unparen(*a.param)).value;
  } else if (a.param && !EvalScalar(*a.param, t, &param)) {
    return false;
  }
  Vector vec;
  if (!EvalVector(*a.expr, t, &vec)) return false;

  int64_t k = 0;
  if (a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk) {
    if (!ConvertibleToInt64(param)) {
      return Fail("Scalar value " + go::FormatFloat(param, 'g', -1) + " overflows int64");
    }
    k = static_cast<int64_t>(param);
    if (k < 1) return true;
  }
  std::vector<std::string> grouping = a.sorted_grouping;
  if (a.op == AggregateOp::kCountValues) {
    if (!IsValidLabelName(value_label)) {
      return Fail("invalid label name " + go::Quote(value_label));
    }
    if (!a.without) {
      grouping.push_back(value_label);
      grouping = SortedUnique(std::move(grouping));
    }
  }
  // `without` also drops the metric name.
  std::vector<std::string> ignored;
  if (a.without) {
    ignored = grouping;
    ignored.emplace_back(kMetricNameLabel);
    ignored = SortedUnique(std::move(ignored));
  }

  std::vector<Group> groups;
  HashIndex index;
  for (uint32_t si = 0; si < vec.size(); ++si) {
    InstantSample& s = vec[si];
    if (a.op == AggregateOp::kCountValues)
      SetLabel(&s.labels, value_label, go::FormatFloat(s.v, 'f', -1));
    const Labels& metric = s.labels;
    uint64_t h = a.without ? HashLabelsIgnoring(metric, ignored) : HashLabelsOn(metric, grouping);
    uint32_t gi = index.Find(h, [&](uint32_t g) {
      return a.without ? EqualLabelsIgnoring(metric, groups[g].labels, ignored)
                       : EqualLabelsOn(metric, groups[g].labels, grouping);
    });
    if (gi == HashIndex::kNone) {
      Group g;
      g.labels = metric;
      if (a.without) {
        DeleteAll(&g.labels, ignored);
      } else {
        KeepOnly(&g.labels, grouping);
      }
      g.value = s.v;
      g.mean = s.v;
      g.count = 1;
      switch (a.op) {
        case AggregateOp::kStddev:
        case AggregateOp::kStdvar:
          g.value = 0;
          break;
        case AggregateOp::kTopk:
        case AggregateOp::kBottomk:
        case AggregateOp::kQuantile:
          g.heap.push_back(si);
          break;
        case AggregateOp::kGroup:
          g.value = 1;
          break;
        default:
          break;
      }
      index.Insert(h, static_cast<uint32_t>(groups.size()));
      groups.push_back(std::move(g));
      continue;
    }
    Group& g = groups[gi];
    const double v = s.v;
    switch (a.op) {
      case AggregateOp::kSum:
        g.value += v;
        break;
      case AggregateOp::kAvg:
        ++g.count;
        if (std::isinf(g.mean)) {
          // An infinite mean stays as it is unless the new value is NaN or the opposite
          // infinity; the incremental formula below would turn it into NaN.
          if (std::isinf(v) && (g.mean > 0) == (v > 0)) break;
          if (!std::isinf(v) && !std::isnan(v)) break;
        }
        // Dividing both terms by the count avoids overflowing float64.
        g.mean += v / static_cast<double>(g.count) - g.mean / static_cast<double>(g.count);
        break;
      case AggregateOp::kGroup:
        break;
      case AggregateOp::kMax:
        if (g.value < v || std::isnan(g.value)) g.value = v;
        break;
      case AggregateOp::kMin:
        if (g.value > v || std::isnan(g.value)) g.value = v;
        break;
      case AggregateOp::kCount:
      case AggregateOp::kCountValues:
        ++g.count;
        break;
      case AggregateOp::kStddev:
      case AggregateOp::kStdvar: {
        ++g.count;
        double delta = v - g.mean;
        g.mean += delta / static_cast<double>(g.count);
        g.value += delta * (v - g.mean);
        break;
      }
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk: {
        // A bounded heap with the weakest kept sample on top, exactly as Prometheus keeps it
        // (its order decides ties in the result).
        const bool top = a.op == AggregateOp::kTopk;
        auto value_of = [&](uint32_t pos) { return vec[pos].v; };
        double head = value_of(g.heap[0]);
        bool better = top ? head < v : head > v;
        if (static_cast<int64_t>(g.heap.size()) < k || better || std::isnan(head)) {
          if (static_cast<int64_t>(g.heap.size()) == k) {
            if (k == 1) {
              g.heap[0] = si;
              break;
            }
            HeapPop(&g.heap, top, value_of);
          }
          HeapPush(&g.heap, si, top, value_of);
        }
        break;
      }
      case AggregateOp::kQuantile:
        g.heap.push_back(si);
        break;
    }
  }

  for (auto& g : groups) {
    switch (a.op) {
      case AggregateOp::kAvg:
        g.value = g.mean;
        break;
      case AggregateOp::kCount:
      case AggregateOp::kCountValues:
        g.value = static_cast<double>(g.count);
        break;
      case AggregateOp::kStdvar:
        g.value = g.value / static_cast<double>(g.count);
        break;
      case AggregateOp::kStddev:
        g.value = std::sqrt(g.value / static_cast<double>(g.count));
        break;
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk: {
        const bool top = a.op == AggregateOp::kTopk;
        std::vector<double> values;
        values.reserve(g.heap.size());
        for (uint32_t pos : g.heap) values.push_back(vec[pos].v);
        // topk lists the highest first, bottomk the lowest first; NaN last in both.
        std::vector<size_t> order = SortOrder(values, /*descending=*/top);
        for (size_t i : order) out->push_back(std::move(vec[g.heap[i]]));
        continue;
      }
      case AggregateOp::kQuantile: {
        std::vector<double> values;
        values.reserve(g.heap.size());
        for (uint32_t pos : g.heap) values.push_back(vec[pos].v);
        g.value = Quantile(param, &values);
        break;
      }
      default:
        break;
    }
    out->push_back(InstantSample{std::move(g.labels), g.value});
  }
  return true;
}

}  // namespace detail

EvalResult EvalInstant(const Expr& expr, const Queryable& storage, int64_t t_ms,
                       const EvalOptions& options) {
  EvalResult result;
  detail::Evaluator evaluator(storage, options);
  if (!evaluator.Eval(expr, t_ms, &result.value)) {
    result.ok = false;
    result.error = evaluator.error();
    result.value = Value{};
  }
  return result;
}

namespace {

// Calls visit(selector, lookback) for every vector selector of the expression (a matrix
// selector's own), with how far back from the evaluation time it reads: its range (an instant
// selector: the lookback delta) plus its offset, plus the range and offset of every subquery
// around it. An explicit stack, not recursion: the rule manager asks on reload, which may run on
// an HTTP worker's small stack. Durations are bounded (kMaxDurationMs) and nesting too, so the
// sums stay far from overflow.
template <typename Visit>
void VisitSelectors(const Expr& expr, const EvalOptions& options, const Visit& visit) {
  std::vector<std::pair<const Expr*, int64_t>> todo{{&expr, 0}};  // (node, lookback around it)
  while (!todo.empty()) {
    const auto [e, outer] = todo.back();
    todo.pop_back();
    switch (e->kind) {
      case Expr::Kind::kVectorSelector: {
        const auto& vs = static_cast<const VectorSelector&>(*e);
        visit(vs, outer + vs.offset_ms + detail::LookbackDelta(options));
        break;
      }
      case Expr::Kind::kMatrixSelector: {
        const auto& ms = static_cast<const MatrixSelector&>(*e);
        visit(*ms.selector, outer + ms.selector->offset_ms + ms.range_ms);
        break;
      }
      case Expr::Kind::kSubquery: {
        const auto& sq = static_cast<const SubqueryExpr&>(*e);
        todo.emplace_back(sq.expr.get(), outer + sq.offset_ms + sq.range_ms);
        break;
      }
      case Expr::Kind::kParen:
        todo.emplace_back(static_cast<const ParenExpr&>(*e).expr.get(), outer);
        break;
      case Expr::Kind::kUnary:
        todo.emplace_back(static_cast<const UnaryExpr&>(*e).expr.get(), outer);
        break;
      case Expr::Kind::kBinary: {
        const auto& b = static_cast<const BinaryExpr&>(*e);
        todo.emplace_back(b.lhs.get(), outer);
        todo.emplace_back(b.rhs.get(), outer);
        break;
      }
      case Expr::Kind::kAggregate: {
        const auto& a = static_cast<const AggregateExpr&>(*e);
        todo.emplace_back(a.expr.get(), outer);
        if (a.param) todo.emplace_back(a.param.get(), outer);
        break;
      }
      case Expr::Kind::kCall:
        for (const auto& arg : static_cast<const CallExpr&>(*e).args) {
          todo.emplace_back(arg.get(), outer);
        }
        break;
      case Expr::Kind::kNumber:
      case Expr::Kind::kString:
        break;
    }
  }
}

}  // namespace

int64_t MaxLookbackMs(const Expr& expr, const EvalOptions& options) {
  int64_t longest = 0;
  VisitSelectors(expr, options, [&longest](const VectorSelector&, int64_t lookback) {
    longest = std::max(longest, lookback);
  });
  return longest;
}

std::vector<SelectorLookback> SelectorLookbacks(const Expr& expr, const EvalOptions& options) {
  std::vector<SelectorLookback> out;
  VisitSelectors(expr, options, [&out](const VectorSelector& selector, int64_t lookback) {
    out.push_back({selector.matchers, std::max<int64_t>(0, lookback)});
  });
  return out;
}

}  // namespace codebot::promql
