// PromQL functions, each computed with the same floating-point operations in the same order as
// Prometheus 2.42 (promql/functions.go), so that results compare equal, not just close:
// promtool's rule tests compare values exactly.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <utility>

#include "exporter/core/labels.h"
#include "exporter/go/math.h"
#include "exporter/go/regexp.h"
#include "exporter/go/strconv.h"
#include "exporter/promql/evaluator.h"
#include "exporter/promql/hash_index.h"
#include "exporter/promql/sorting.h"

namespace codebot::promql::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Neumaier's improved Kahan summation step, as Prometheus uses it.
void KahanAdd(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// rate(), increase(), delta(): the change over the range, extrapolated towards the range ends
// by up to 1.1 average sample intervals (else half an interval), never below zero for counters.
std::optional<double> ExtrapolatedRate(const std::vector<Point>& pts, int64_t range_start,
                                       int64_t range_end, int64_t range_ms, bool counter,
                                       bool rate) {
  if (pts.size() < 2) return std::nullopt;
  double result = pts.back().v - pts.front().v;
  if (counter) {
    double last = 0;
    for (const auto& p : pts) {
      if (p.v < last) result += last;  // a reset: the counter restarted from zero
      last = p.v;
    }
  }
  double to_start = static_cast<double>(pts.front().t - range_start) / 1000;
  const double to_end = static_cast<double>(range_end - pts.back().t) / 1000;
  const double sampled = static_cast<double>(pts.back().t - pts.front().t) / 1000;
  const double average = sampled / static_cast<double>(pts.size() - 1);
  if (counter && result > 0 && pts.front().v >= 0) {
    double to_zero = sampled * (pts.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  const double threshold = average * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : average / 2;
  interval += to_end < threshold ? to_end : average / 2;
  double factor = interval / sampled;
  if (rate) factor /= static_cast<double>(range_ms) / 1000;
  return result * factor;
}

// irate(), idelta(): from the last two samples only.
std::optional<double> InstantValue(const std::vector<Point>& pts, bool rate) {
  if (pts.size() < 2) return std::nullopt;
  const Point& last = pts[pts.size() - 1];
  const Point& prev = pts[pts.size() - 2];
  double result = (rate && last.v < prev.v) ? last.v : last.v - prev.v;
  const int64_t interval = last.t - prev.t;
  if (interval == 0) return std::nullopt;
  if (rate) result /= static_cast<double>(interval) / 1000;
  return result;
}

// Least squares fit of value over time (seconds relative to intercept_time).
void LinearRegression(const std::vector<Point>& pts, int64_t intercept_time, double* slope,
                      double* intercept) {
  double n = 0;
  double sum_x = 0, c_x = 0;
  double sum_y = 0, c_y = 0;
  double sum_xy = 0, c_xy = 0;
  double sum_x2 = 0, c_x2 = 0;
  const double init_y = pts[0].v;
  bool const_y = true;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (const_y && i > 0 && pts[i].v != init_y) const_y = false;
    n += 1.0;
    double x = static_cast<double>(pts[i].t - intercept_time) / 1e3;
    KahanAdd(x, &sum_x, &c_x);
    KahanAdd(pts[i].v, &sum_y, &c_y);
    KahanAdd(x * pts[i].v, &sum_xy, &c_xy);
    KahanAdd(x * x, &sum_x2, &c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = kNaN;
      *intercept = kNaN;
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sum_x = sum_x + c_x;
  sum_y = sum_y + c_y;
  sum_xy = sum_xy + c_xy;
  sum_x2 = sum_x2 + c_x2;
  const double cov_xy = sum_xy - sum_x * sum_y / n;
  const double var_x = sum_x2 - sum_x * sum_x / n;
  *slope = cov_xy / var_x;
  *intercept = sum_y / n - *slope * sum_x / n;
}

double AvgOverTime(const std::vector<Point>& pts) {
  double mean = 0, count = 0, c = 0;
  for (const auto& p : pts) {
    count++;
    if (std::isinf(mean)) {
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    KahanAdd(p.v / count - mean / count, &mean, &c);
  }
  if (std::isinf(mean)) return mean;
  return mean + c;
}

double SumOverTime(const std::vector<Point>& pts) {
  double sum = 0, c = 0;
  for (const auto& p : pts) KahanAdd(p.v, &sum, &c);
  if (std::isinf(sum)) return sum;
  return sum + c;
}

double StdvarOverTime(const std::vector<Point>& pts) {
  double count = 0;
  double mean = 0, c_mean = 0;
  double aux = 0, c_aux = 0;
  for (const auto& p : pts) {
    count++;
    double delta = p.v - (mean + c_mean);
    KahanAdd(delta / count, &mean, &c_mean);
    KahanAdd(delta * (p.v - (mean + c_mean)), &aux, &c_aux);
  }
  return (aux + c_aux) / count;
}

// holt_winters(): double exponential smoothing.
double HoltWinters(const std::vector<Point>& pts, double sf, double tf) {
  double s0 = 0;
  double s1 = pts[0].v;
  double b = pts[1].v - pts[0].v;
  for (size_t i = 1; i < pts.size(); ++i) {
    double x = sf * pts[i].v;
    if (i - 1 > 0) b = tf * (s1 - s0) + (1 - tf) * b;  // the trend at the previous point
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

struct Bucket {
  double upper;
  double count;
};

// Prometheus' bucketQuantile for classic histograms.
double BucketQuantile(double q, std::vector<Bucket>* buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(buckets->begin(), buckets->end(),
            [](const Bucket& a, const Bucket& b) { return a.upper < b.upper; });
  if (!std::isinf(buckets->back().upper) || buckets->back().upper < 0) return kNaN;
  // Merge buckets whose bounds parsed to the same number ("0.2", "2e-1").
  std::vector<Bucket>& bs = *buckets;
  size_t w = 0;
  for (size_t i = 1; i < bs.size(); ++i) {
    if (bs[i].upper == bs[w].upper) {
      bs[w].count += bs[i].count;
    } else {
      bs[++w] = bs[i];
    }
  }
  bs.resize(w + 1);
  // Counts must not decrease; fix them silently, as Prometheus does.
  double max = -kInf;
  for (auto& b : bs) {
    if (b.count > max) {
      max = b.count;
    } else if (b.count < max) {
      b.count = max;
    }
  }
  if (bs.size() < 2) return kNaN;
  const double observations = bs.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t b = 0;
  while (b < bs.size() - 1 && !(bs[b].count >= rank)) ++b;
  if (b == bs.size() - 1) return bs[bs.size() - 2].upper;
  if (b == 0 && bs[0].upper <= 0) return bs[0].upper;
  double bucket_start = 0;
  const double bucket_end = bs[b].upper;
  double count = bs[b].count;
  if (b > 0) {
    bucket_start = bs[b - 1].upper;
    count -= bs[b - 1].count;
    rank -= bs[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

// Labels absent() and absent_over_time() report: the equality matchers of a plain selector.
Labels AbsentLabels(const Expr& arg) {
  const Expr& e = Unparen(arg);
  const VectorSelector* vs = nullptr;
  if (e.kind == Expr::Kind::kVectorSelector) {
    vs = static_cast<const VectorSelector*>(&e);
  } else if (e.kind == Expr::Kind::kMatrixSelector) {
    vs = static_cast<const MatrixSelector&>(e).selector.get();
  }
  Labels out;
  if (vs == nullptr) return out;
  std::vector<std::string> ambiguous;
  for (const auto& m : vs->matchers) {
    if (m.name() == kMetricNameLabel) continue;
    if (m.type() == MatchType::kEqual && FindLabel(out, m.name()) == nullptr) {
      SetLabel(&out, m.name(), m.value());
    } else {
      ambiguous.push_back(m.name());
    }
  }
  for (const auto& name : ambiguous) DeleteLabel(&out, name);
  return out;
}

// The calendar fields of a Unix time in UTC, for the date functions.
struct Civil {
  int year;
  unsigned month;
  unsigned day;
  unsigned weekday;  // 0 = Sunday
  unsigned days_in_month;
  int64_t hour;
  int64_t minute;
};

Civil ToCivil(int64_t unix_seconds) {
  using std::chrono::days;
  using std::chrono::sys_days;
  int64_t day_number = unix_seconds / 86400;
  int64_t second_of_day = unix_seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --day_number;
  }
  sys_days d{days{day_number}};
  std::chrono::year_month_day ymd{d};
  std::chrono::year_month_day_last last{ymd.year(), std::chrono::month_day_last{ymd.month()}};
  Civil c;
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<unsigned>(ymd.month());
  c.day = static_cast<unsigned>(ymd.day());
  c.weekday = std::chrono::weekday{d}.c_encoding();
  c.days_in_month = static_cast<unsigned>(last.day());
  c.hour = second_of_day / 3600;
  c.minute = (second_of_day % 3600) / 60;
  return c;
}

double DateField(FunctionId id, double unix_seconds) {
  // Go converts with int64(v); beyond what a calendar can hold the answer is meaningless.
  if (!std::isfinite(unix_seconds) || std::fabs(unix_seconds) > 1e15) return kNaN;
  Civil c = ToCivil(static_cast<int64_t>(unix_seconds));
  switch (id) {
    case FunctionId::kDaysInMonth:
      return c.days_in_month;
    case FunctionId::kDayOfMonth:
      return c.day;
    case FunctionId::kDayOfWeek:
      return c.weekday;
    case FunctionId::kHour:
      return static_cast<double>(c.hour);
    case FunctionId::kMinute:
      return static_cast<double>(c.minute);
    case FunctionId::kMonth:
      return c.month;
    case FunctionId::kYear:
      return c.year;
    default:
      return kNaN;
  }
}

bool IsDateFunction(FunctionId id) {
  switch (id) {
    case FunctionId::kDaysInMonth:
    case FunctionId::kDayOfMonth:
    case FunctionId::kDayOfWeek:
    case FunctionId::kHour:
    case FunctionId::kMinute:
    case FunctionId::kMonth:
    case FunctionId::kYear:
      return true;
    default:
      return false;
  }
}

// The element-wise functions of one argument.
bool SimpleFunction(FunctionId id, double (**fn)(double)) {
  switch (id) {
    case FunctionId::kAbs:
      *fn = [](double v) { return std::fabs(v); };
      return true;
    case FunctionId::kCeil:
      *fn = [](double v) { return std::ceil(v); };
      return true;
    case FunctionId::kFloor:
      *fn = [](double v) { return std::floor(v); };
      return true;
    case FunctionId::kExp:
      *fn = [](double v) { return go::Exp(v); };
      return true;
    case FunctionId::kSqrt:
      *fn = [](double v) { return std::sqrt(v); };
      return true;
    case FunctionId::kLn:
      *fn = [](double v) { return go::Log(v); };
      return true;
    case FunctionId::kLog2:
      *fn = [](double v) { return go::Log2(v); };
      return true;
    case FunctionId::kLog10:
      *fn = [](double v) { return go::Log10(v); };
      return true;
    case FunctionId::kSin:
      *fn = [](double v) { return go::Sin(v); };
      return true;
    case FunctionId::kCos:
      *fn = [](double v) { return go::Cos(v); };
      return true;
    case FunctionId::kTan:
      *fn = [](double v) { return go::Tan(v); };
      return true;
    case FunctionId::kAsin:
      *fn = [](double v) { return go::Asin(v); };
      return true;
    case FunctionId::kAcos:
      *fn = [](double v) { return go::Acos(v); };
      return true;
    case FunctionId::kAtan:
      *fn = [](double v) { return go::Atan(v); };
      return true;
    case FunctionId::kSinh:
      *fn = [](double v) { return go::Sinh(v); };
      return true;
    case FunctionId::kCosh:
      *fn = [](double v) { return go::Cosh(v); };
      return true;
    case FunctionId::kTanh:
      *fn = [](double v) { return go::Tanh(v); };
      return true;
    case FunctionId::kAsinh:
      *fn = [](double v) { return go::Asinh(v); };
      return true;
    case FunctionId::kAcosh:
      *fn = [](double v) { return go::Acosh(v); };
      return true;
    case FunctionId::kAtanh:
      *fn = [](double v) { return go::Atanh(v); };
      return true;
    case FunctionId::kRad:
      *fn = [](double v) { return v * std::numbers::pi / 180; };
      return true;
    case FunctionId::kDeg:
      *fn = [](double v) { return v * 180 / std::numbers::pi; };
      return true;
    case FunctionId::kSgn:
      *fn = [](double v) { return v < 0 ? -1.0 : v > 0 ? 1.0 : v; };
      return true;
    default:
      return false;
  }
}

const std::string& StringArg(const CallExpr& c, size_t i) {
  return static_cast<const StringLiteral&>(Unparen(*c.args[i])).value;
}

}  // namespace

bool Evaluator::EvalCall(const CallExpr& c, int64_t t, Value* out) {
  out->type = c.type;
  const FunctionId id = c.func->id;
  Vector& result = out->vector;

  // Functions of a range vector.
  for (const auto& arg : c.args) {
    if (arg->type == ValueType::kMatrix) return EvalRangeFunction(c, t, &result);
  }

  switch (id) {
    case FunctionId::kTime:
      out->scalar = static_cast<double>(t) / 1000;
      return true;
    case FunctionId::kPi:
      out->scalar = std::numbers::pi;
      return true;
    case FunctionId::kVector: {
      double v = 0;
      if (!EvalScalar(*c.args[0], t, &v)) return false;
      result.push_back(InstantSample{{}, v});
      return true;
    }
    case FunctionId::kScalar: {
      Vector vec;
      if (!EvalVector(*c.args[0], t, &vec)) return false;
      out->scalar = vec.size() == 1 ? vec[0].v : kNaN;
      return true;
    }
    case FunctionId::kTimestamp: {
      // For a plain selector, the sample's own timestamp; for anything computed, the
      // evaluation time.
      const Expr& arg = Unparen(*c.args[0]);
      if (arg.kind == Expr::Kind::kVectorSelector) {
        if (!SelectInstant(static_cast<const VectorSelector&>(arg), t, true, &result)) {
          return false;
        }
      } else {
        if (!EvalVector(arg, t, &result)) return false;
        for (auto& s : result) s.v = static_cast<double>(t) / 1000;
      }
      return !DropMetricNames(&result) || CheckNoDuplicates(result);
    }
    case FunctionId::kAbsent: {
      Vector vec;
      if (!EvalVector(*c.args[0], t, &vec)) return false;
      if (vec.empty()) result.push_back(InstantSample{AbsentLabels(*c.args[0]), 1});
      return true;
    }
    case FunctionId::kHistogramCount:
    case FunctionId::kHistogramSum:
    case FunctionId::kHistogramFraction: {
      // These read native histograms only; float samples (all this store holds) yield nothing.
      for (const auto& arg : c.args) {
        Value ignored;
        if (!Eval(*arg, t, &ignored)) return false;
      }
      return true;
    }
    case FunctionId::kHistogramQuantile: {
      double q = 0;
      Vector vec;
      if (!EvalScalar(*c.args[0], t, &q) || !EvalVector(*c.args[1], t, &vec)) return false;
      return EvalHistogramQuantile(q, &vec, &result);
    }
    case FunctionId::kLabelReplace:
      if (!EvalVector(*c.args[0], t, &result)) return false;
      return EvalLabelReplace(c, &result);
    case FunctionId::kLabelJoin:
      if (!EvalVector(*c.args[0], t, &result)) return false;
      return EvalLabelJoin(c, &result);
    case FunctionId::kSort:
    case FunctionId::kSortDesc: {
      Vector vec;
      if (!EvalVector(*c.args[0], t, &vec)) return false;
      std::vector<double> values;
      values.reserve(vec.size());
      for (const auto& s : vec) values.push_back(s.v);
      for (size_t i : SortOrder(values, id == FunctionId::kSortDesc)) {
        result.push_back(std::move(vec[i]));
      }
      return true;
    }
    case FunctionId::kRound: {
      double to_nearest = 1;
      if (!EvalVector(*c.args[0], t, &result)) return false;
      if (c.args.size() > 1 && !EvalScalar(*c.args[1], t, &to_nearest)) return false;
      // Prometheus divides by the inverse; it rounds ties up.
      const double inverse = 1.0 / to_nearest;
      for (auto& s : result) s.v = std::floor(s.v * inverse + 0.5) / inverse;
      return !DropMetricNames(&result) || CheckNoDuplicates(result);
    }
    case FunctionId::kClamp:
    case FunctionId::kClampMin:
    case FunctionId::kClampMax: {
      if (!EvalVector(*c.args[0], t, &result)) return false;
      double a = 0;
      double b = 0;
      if (!EvalScalar(*c.args[1], t, &a)) return false;
      if (id == FunctionId::kClamp) {
        if (!EvalScalar(*c.args[2], t, &b)) return false;
        if (b < a) {
          result.clear();
          return true;
        }
      }
      for (auto& s : result) {
        if (id == FunctionId::kClamp) {
          s.v = go::Max(a, go::Min(b, s.v));
        } else if (id == FunctionId::kClampMin) {
          s.v = go::Max(a, s.v);
        } else {
          s.v = go::Min(a, s.v);
        }
      }
      return !DropMetricNames(&result) || CheckNoDuplicates(result);
    }
    default:
      break;
  }

  if (IsDateFunction(id)) {
    if (c.args.empty()) {
      const int64_t whole_seconds = t / 1000;  // Prometheus: time.Unix(t / 1000, 0)
      result.push_back(InstantSample{{}, DateField(id, static_cast<double>(whole_seconds))});
      return true;
    }
    if (!EvalVector(*c.args[0], t, &result)) return false;
    for (auto& s : result) s.v = DateField(id, std::trunc(s.v));
    return !DropMetricNames(&result) || CheckNoDuplicates(result);
  }

  double (*fn)(double) = nullptr;
  if (SimpleFunction(id, &fn)) {
    if (!EvalVector(*c.args[0], t, &result)) return false;
    for (auto& s : result) s.v = fn(s.v);
    return !DropMetricNames(&result) || CheckNoDuplicates(result);
  }
  return Fail(std::string("function not implemented: ") + c.func->name);
}

bool Evaluator::EvalRangeFunction(const CallExpr& c, int64_t t, Vector* out) {
  const FunctionId id = c.func->id;
  // Scalar arguments first, then the range vector, as Prometheus evaluates them.
  size_t matrix_arg = 0;
  double scalars[3] = {0, 0, 0};
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (c.args[i]->type == ValueType::kMatrix) {
      matrix_arg = i;
    } else if (!EvalScalar(*c.args[i], t, &scalars[i])) {
      return false;
    }
  }
  Matrix m;
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  if (!EvalRange(*c.args[matrix_arg], t, &m, &range_ms, &offset_ms)) return false;

  if (id == FunctionId::kAbsentOverTime) {
    if (m.empty()) out->push_back(InstantSample{AbsentLabels(*c.args[0]), 1});
    return true;
  }

  const int64_t range_end = t - offset_ms;
  const int64_t range_start = range_end - range_ms;
  out->reserve(m.size());
  for (auto& series : m) {
    const std::vector<Point>& pts = series.points;
    if (pts.empty()) continue;
    std::optional<double> v;
    switch (id) {
      case FunctionId::kRate:
        v = ExtrapolatedRate(pts, range_start, range_end, range_ms, true, true);
        break;
      case FunctionId::kIncrease:
        v = ExtrapolatedRate(pts, range_start, range_end, range_ms, true, false);
        break;
      case FunctionId::kDelta:
        v = ExtrapolatedRate(pts, range_start, range_end, range_ms, false, false);
        break;
      case FunctionId::kIrate:
        v = InstantValue(pts, true);
        break;
      case FunctionId::kIdelta:
        v = InstantValue(pts, false);
        break;
      case FunctionId::kDeriv:
        if (pts.size() >= 2) {
          double slope = 0;
          double intercept = 0;
          // Relative to the first sample's time, to keep the sums small (Prometheus #2674).
          LinearRegression(pts, pts[0].t, &slope, &intercept);
          v = slope;
        }
        break;
      case FunctionId::kPredictLinear:
        if (pts.size() >= 2) {
          double slope = 0;
          double intercept = 0;
          LinearRegression(pts, t, &slope, &intercept);
          v = slope * scalars[1] + intercept;
        }
        break;
      case FunctionId::kChanges:
      case FunctionId::kResets: {
        int count = 0;
        double prev = pts[0].v;
        for (size_t i = 1; i < pts.size(); ++i) {
          double cur = pts[i].v;
          if (id == FunctionId::kChanges) {
            if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++count;
          } else if (cur < prev) {
            ++count;
          }
          prev = cur;
        }
        v = count;
        break;
      }
      case FunctionId::kAvgOverTime:
        v = AvgOverTime(pts);
        break;
      case FunctionId::kSumOverTime:
        v = SumOverTime(pts);
        break;
      case FunctionId::kCountOverTime:
        v = static_cast<double>(pts.size());
        break;
      case FunctionId::kMinOverTime:
      case FunctionId::kMaxOverTime: {
        double acc = pts[0].v;
        for (const auto& p : pts) {
          bool better = id == FunctionId::kMaxOverTime ? p.v > acc : p.v < acc;
          if (better || std::isnan(acc)) acc = p.v;
        }
        v = acc;
        break;
      }
      case FunctionId::kLastOverTime:
        v = pts.back().v;
        break;
      case FunctionId::kPresentOverTime:
        v = 1;
        break;
      case FunctionId::kQuantileOverTime: {
        std::vector<double> values;
        values.reserve(pts.size());
        for (const auto& p : pts) values.push_back(p.v);
        v = Quantile(scalars[0], &values);
        break;
      }
      case FunctionId::kStddevOverTime:
        v = std::sqrt(StdvarOverTime(pts));
        break;
      case FunctionId::kStdvarOverTime:
        v = StdvarOverTime(pts);
        break;
      case FunctionId::kHoltWinters: {
        const double sf = scalars[1];
        const double tf = scalars[2];
        if (sf <= 0 || sf >= 1) {
          return Fail("invalid smoothing factor. Expected: 0 < sf < 1, got: " + std::to_string(sf));
        }
        if (tf <= 0 || tf >= 1) {
          return Fail("invalid trend factor. Expected: 0 < tf < 1, got: " + std::to_string(tf));
        }
        if (pts.size() >= 2) v = HoltWinters(pts, sf, tf);
        break;
      }
      default:
        return Fail(std::string("function not implemented: ") + c.func->name);
    }
    if (!v) continue;
    out->push_back(InstantSample{std::move(series.labels), *v});
  }
  // last_over_time acts like an offset and keeps the name; every other function drops it.
  if (id == FunctionId::kLastOverTime) return true;
  return !DropMetricNames(out) || CheckNoDuplicates(*out);
}

bool Evaluator::EvalHistogramQuantile(double q, Vector* in, Vector* out) {
  struct Histogram {
    uint32_t first;  // a sample of this histogram, for label comparisons
    Labels labels;
    std::vector<Bucket> buckets;
  };
  static const std::vector<std::string> kBucketLabel = {"le"};
  std::vector<Histogram> histograms;
  HashIndex index;
  for (uint32_t i = 0; i < in->size(); ++i) {
    const InstantSample& s = (*in)[i];
    const std::string* le = FindLabel(s.labels, "le");
    double upper = 0;
    if (!le || !go::ParseFloat(*le, &upper)) continue;  // no or malformed bound: not a bucket
    // One histogram per label set without `le`; the metric name counts, so two histograms that
    // differ only in name stay apart (and then collide in the result, which is an error).
    uint64_t h = HashLabelsIgnoring(s.labels, kBucketLabel);
    uint32_t hi = index.Find(h, [&](uint32_t j) {
      return EqualLabelsIgnoring((*in)[histograms[j].first].labels, s.labels, kBucketLabel);
    });
    if (hi == HashIndex::kNone) {
      hi = static_cast<uint32_t>(histograms.size());
      index.Insert(h, hi);
      Histogram hist{i, s.labels, {}};
      DropMetricName(&hist.labels);
      DeleteLabel(&hist.labels, "le");
      histograms.push_back(std::move(hist));
    }
    histograms[hi].buckets.push_back(Bucket{upper, s.v});
  }
  out->clear();
  for (auto& hist : histograms) {
    out->push_back(InstantSample{std::move(hist.labels), BucketQuantile(q, &hist.buckets)});
  }
  return CheckNoDuplicates(*out);
}

bool Evaluator::EvalLabelReplace(const CallExpr& c, Vector* vec) {
  const std::string& dst = StringArg(c, 1);
  const std::string& repl = StringArg(c, 2);
  const std::string& src = StringArg(c, 3);
  if (!c.regex) return Fail(c.regex_error);
  if (!IsValidLabelName(dst)) {
    return Fail("invalid destination label name in label_replace(): " + dst);
  }
  std::string res;
  for (auto& s : *vec) {
    const std::string* value = FindLabel(s.labels, src);
    res.clear();
    if (!c.regex->ExpandFirstMatch(value ? std::string_view(*value) : std::string_view(), repl,
                                   &res)) {
      continue;  // no match, no change
    }
    SetLabel(&s.labels, dst, res);
  }
  return CheckNoDuplicates(*vec);
}

bool Evaluator::EvalLabelJoin(const CallExpr& c, Vector* vec) {
  const std::string& dst = StringArg(c, 1);
  const std::string& sep = StringArg(c, 2);
  std::vector<const std::string*> sources;
  for (size_t i = 3; i < c.args.size(); ++i) {
    const std::string& src = StringArg(c, i);
    if (!IsValidLabelName(src)) return Fail("invalid source label name in label_join(): " + src);
    sources.push_back(&src);
  }
  if (!IsValidLabelName(dst)) {
    return Fail("invalid destination label name in label_join(): " + dst);
  }
  std::string joined;
  for (auto& s : *vec) {
    joined.clear();
    for (size_t i = 0; i < sources.size(); ++i) {
      if (i > 0) joined += sep;
      const std::string* v = FindLabel(s.labels, *sources[i]);
      if (v) joined += *v;
    }
    SetLabel(&s.labels, dst, joined);
  }
  return CheckNoDuplicates(*vec);
}

}  // namespace codebot::promql::detail
