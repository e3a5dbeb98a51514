// Differential test against the reference: the same data is backfilled into a real Prometheus
// 2.42 (Debian's, via `promtool tsdb create-blocks-from openmetrics`) and loaded into our
// MemoryStorage, then a few hundred expressions covering every operator, aggregation and
// function are evaluated by both at several instants. Results must agree exactly (label sets,
// order where PromQL defines one, and values bit for bit), and so must errors. A second set,
// generated (edge values, subnormals, huge, negative, NaN, +-Inf, random doubles), runs every
// math function, operator and aggregation bit for bit.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/core/labels.h"
#include "exporter/go/strconv.h"
#include "exporter/promql/engine.h"
#include "exporter/promql/label_string.h"
#include "exporter/promql/memory_storage.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_server.h"

namespace codebot::promql {
namespace {

using nlohmann::json;

constexpr int64_t kStart = 1'700'000'000'000;  // 2023-11-14, ms
constexpr int64_t kStep = 15'000;
constexpr int kSteps = 240;  // one hour

// Deterministic data: a fixed PRNG (splitmix64) rather than <random> distributions, whose
// output differs between standard libraries.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int Int(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t s_;
};

struct Series {
  Labels labels;
  std::vector<Point> points;
};

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (const auto& [n, v] : pairs) out.push_back(Label{n, v});
  std::sort(out.begin(), out.end());
  return out;
}

// The generated inputs of the bit-exactness test: edge values (zeros, subnormals, the ends of
// the range, values next to 1 and to integers, halves for rounding, the limits of exp, sinh and
// the inverse trigonometric functions), then random doubles from a fixed seed in a few
// distributions (around 0, log-uniform over many decades, any bit pattern).
std::vector<double> MathInputs() {
  constexpr double kMax = std::numeric_limits<double>::max();
  constexpr double kTiny = std::numeric_limits<double>::denorm_min();
  constexpr double kMinNormal = std::numeric_limits<double>::min();
  std::vector<double> in = {0.0,
                            -0.0,
                            1,
                            -1,
                            kTiny,
                            -kTiny,
                            2.8e-322,
                            -2.8e-322,
                            kMinNormal,
                            std::nextafter(kMinNormal, 0.0),
                            1e-300,
                            -1e-300,
                            1e300,
                            -1e300,
                            kMax,
                            -kMax,
                            INFINITY,
                            -INFINITY,
                            NAN,
                            std::nextafter(1.0, 0.0),
                            std::nextafter(1.0, 2.0),
                            -std::nextafter(1.0, 0.0),
                            -std::nextafter(1.0, 2.0),
                            0.5,
                            -0.5,
                            1.5,
                            -1.5,
                            2.5,
                            -2.5,
                            0.49999999999999994,
                            4503599627370495.5,
                            9007199254740993.0,
                            2,
                            -2,
                            3,
                            10,
                            100,
                            1000,
                            1e22,
                            1e-5,
                            0.1,
                            0.3,
                            -0.7,
                            std::numbers::pi,
                            std::numbers::pi / 2,
                            std::numbers::pi / 4,
                            -std::numbers::pi,
                            std::numbers::e,
                            std::numbers::ln2,
                            709.782712893384,
                            709.79,
                            710.5,
                            -745.1,
                            -746,
                            -708.4,
                            88.7,
                            20,
                            -20,
                            1e-8,
                            1e-16,
                            1e8,
                            1e16,
                            1 << 30,
                            0.9,
                            -0.9,
                            0.999999,
                            1.000001,
                            1e15 + 0.3,
                            123456.789,
                            -98765.4321};
  Rng rng(9007);
  auto unit = [&] { return static_cast<double>(rng.Next() >> 11) / 9007199254740992.0; };
  for (int i = 0; i < 80; ++i) in.push_back(unit() * 2 - 1);
  for (int i = 0; i < 60; ++i) in.push_back((unit() * 2 - 1) * 20);
  for (int i = 0; i < 80; ++i) {
    double v = std::pow(10.0, unit() * 80 - 40);
    in.push_back(rng.Int(2) ? v : -v);
  }
  for (int i = 0; i < 40; ++i) {
    uint64_t bits = rng.Next();
    double v = std::bit_cast<double>(bits);
    if (std::isnan(v)) v = std::bit_cast<double>(bits & 0x3fffffffffffffffull);
    in.push_back(v);
  }
  return in;
}

constexpr int64_t kMathFirst = kStart + 25 * 60'000;  // the generated series' samples
constexpr int64_t kMathAt = kStart + 30 * 60'000;     // where they are queried

// math_input{i, g}: one series per input (g spreads the edge values over groups so that every
// aggregation meets Inf, NaN and subnormals); math_agg{i, g}: groups of ordinary values around
// large offsets, where the order of summation shows in the last digits.
void AddMathInputs(std::vector<Series>* data) {
  auto add = [&](const char* name, int i, int g, const std::function<double()>& value) {
    Series s;
    const std::string index = std::to_string(1000 + i);
    const std::string group = std::to_string(g);
    s.labels = L({{"__name__", name}, {"i", index.c_str()}, {"g", group.c_str()}});
    for (int64_t t = kMathFirst; t <= kMathAt + 60'000; t += kStep)
      s.points.push_back({t, value()});
    data->push_back(std::move(s));
  };
  const std::vector<double> in = MathInputs();
  for (size_t i = 0; i < in.size(); ++i) {
    add("math_input", static_cast<int>(i), i % 13, [&] { return in[i]; });
  }
  // Different at every sample, for the *_over_time functions.
  Rng rng(77);
  for (int i = 0; i < 400; ++i) {
    const int g = i % 20;
    const double offset = std::pow(10.0, g % 10) * (g < 10 ? 1 : -3.7);
    add("math_agg", i, g, [&] {
      const double noise = static_cast<double>(rng.Next() >> 11) / 9007199254740992.0;
      return offset + noise * (g % 4 + 1);
    });
  }
}

std::vector<Series> MakeData() {
  std::vector<Series> data;
  Rng rng(42);
  // Timestamps: mostly 15s apart, some jitter (multiples of 1/8 s, exact in OpenMetrics
  // seconds), some gaps, so extrapolation, lookback and staleness-by-age all get exercised.
  auto times = [&](int first, int last, bool jitter, int gap_every) {
    std::vector<int64_t> ts;
    for (int i = first; i <= last; ++i) {
      if (gap_every > 0 && i % gap_every == gap_every - 1) continue;
      int64_t t = kStart + i * kStep;
      if (jitter) t += static_cast<int64_t>(rng.Int(17) - 8) * 125;
      ts.push_back(t);
    }
    return ts;
  };
  // Counters with resets.
  const char* jobs[] = {"api", "worker"};
  const char* codes[] = {"200", "404", "500"};
  for (int j = 0; j < 2; ++j) {
    for (int inst = 0; inst < 2; ++inst) {
      for (int c = 0; c < 3; ++c) {
        Series s;
        std::string instance = "10.0.0." + std::to_string(inst + 1) + ":8080";
        s.labels = L({{"__name__", "http_requests_total"},
                      {"job", jobs[j]},
                      {"instance", instance.c_str()},
                      {"code", codes[c]},
                      {"method", c == 1 ? "POST" : "GET"}});
        double v = rng.Int(50);
        for (int64_t t : times(0, kSteps, j == 1, j == 1 && c == 2 ? 7 : 0)) {
          if (rng.Int(60) == 0) v = rng.Int(3);  // reset
          v += rng.Int(20) * 0.5;
          s.points.push_back({t, v});
        }
        data.push_back(std::move(s));
      }
    }
  }
  // Gauges, including negative values, one that stops early and one that starts late.
  for (int inst = 0; inst < 3; ++inst) {
    Series s;
    std::string instance = "node" + std::to_string(inst);
    s.labels = L({{"__name__", "node_temperature_celsius"},
                  {"instance", instance.c_str()},
                  {"job", "node"}});
    double v = 40 + inst;
    int first = inst == 2 ? 120 : 0;
    int last = inst == 1 ? 180 : kSteps;
    for (int64_t t : times(first, last, inst == 0, 0)) {
      v += (rng.Int(9) - 4) * 0.25;
      if (inst == 2) v -= 30;
      s.points.push_back({t, v});
    }
    data.push_back(std::move(s));
  }
  // up: 0/1 flapping, with the same label sets as the counters' jobs/instances.
  for (int j = 0; j < 2; ++j) {
    for (int inst = 0; inst < 2; ++inst) {
      Series s;
      std::string instance = "10.0.0." + std::to_string(inst + 1) + ":8080";
      s.labels = L({{"__name__", "up"}, {"job", jobs[j]}, {"instance", instance.c_str()}});
      for (int64_t t : times(0, kSteps, false, 0)) {
        s.points.push_back({t, (rng.Int(10) == 0 && j == 1) ? 0.0 : 1.0});
      }
      data.push_back(std::move(s));
    }
  }
  // A classic histogram per job.
  const char* les[] = {"0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
  for (int j = 0; j < 2; ++j) {
    std::vector<double> counts(7, 0);
    std::vector<Series> buckets(7);
    for (int b = 0; b < 7; ++b) {
      buckets[b].labels =
          L({{"__name__", "request_duration_seconds_bucket"}, {"job", jobs[j]}, {"le", les[b]}});
    }
    for (int64_t t : times(0, kSteps, false, 0)) {
      for (int n = rng.Int(8); n > 0; --n) {
        int bucket = rng.Int(7);
        for (int b = bucket; b < 7; ++b) counts[b] += 1;
      }
      for (int b = 0; b < 7; ++b) buckets[b].points.push_back({t, counts[b]});
    }
    for (auto& b : buckets) data.push_back(std::move(b));
  }
  // Special values, and two metrics whose label sets collide once the name is dropped.
  {
    Series s;
    s.labels = L({{"__name__", "weird_values"}, {"kind", "specials"}});
    const double specials[] = {1, NAN, 3, INFINITY, -2, -INFINITY, 0, 5.5};
    int i = 0;
    for (int64_t t : times(0, kSteps, false, 0)) s.points.push_back({t, specials[i++ % 8]});
    data.push_back(std::move(s));
  }
  for (const char* name : {"collide_a", "collide_b"}) {
    Series s;
    s.labels = L({{"__name__", name}, {"src", "x"}});
    for (int64_t t : times(0, kSteps, false, 0)) s.points.push_back({t, 1});
    data.push_back(std::move(s));
  }
  AddMathInputs(&data);
  return data;
}

std::string ToOpenMetrics(const std::vector<Series>& data) {
  std::ostringstream os;
  for (const auto& s : data) {
    for (const auto& p : s.points) {
      os << LabelValue(s.labels, "__name__") << "{";
      bool first = true;
      for (const auto& l : s.labels) {
        if (l.name == "__name__") continue;
        if (!first) os << ",";
        first = false;
        os << l.name << "=" << go::Quote(l.value);
      }
      // Whole milliseconds as seconds with three decimals; shortest round-trip values.
      os << "} " << go::FormatFloat(p.v, 'g', -1) << " " << p.t / 1000 << "." << std::setw(3)
         << std::setfill('0') << p.t % 1000 << std::setfill(' ') << "\n";
    }
  }
  os << "# EOF\n";
  return os.str();
}

// Expressions evaluated by both engines.
const std::vector<std::string> kExpressions = {
    // Selectors, matchers, offsets.
    "up",
    "up{job=\"api\"}",
    "http_requests_total{code=~\"5..\"}",
    "http_requests_total{code!~\"2..\",method!=\"GET\"}",
    "{__name__=~\"node_.*|up\"}",
    "{__name__=~\"collide_.*\"}",
    "up offset 5m",
    "up offset -5m",
    "node_temperature_celsius offset 90s",
    "node_temperature_celsius",
    "http_requests_total[1m]",
    "node_temperature_celsius[2m] offset 1m",
    // Rates and friends.
    "rate(http_requests_total[5m])",
    "rate(http_requests_total[1m])",
    "rate(http_requests_total[37s])",
    "irate(http_requests_total[5m])",
    "increase(http_requests_total[10m])",
    "increase(http_requests_total[1h])",
    "delta(node_temperature_celsius[10m])",
    "idelta(node_temperature_celsius[5m])",
    "deriv(node_temperature_celsius[10m])",
    "predict_linear(node_temperature_celsius[15m], 3600)",
    "predict_linear(http_requests_total[5m], 600)",
    "changes(up[30m])",
    "resets(http_requests_total[1h])",
    "rate(http_requests_total[5m] offset 10m)",
    "rate(http_requests_total[5m] offset -3m)",
    // *_over_time.
    "avg_over_time(node_temperature_celsius[10m])",
    "min_over_time(node_temperature_celsius[10m])",
    "max_over_time(node_temperature_celsius[10m])",
    "sum_over_time(http_requests_total[3m])",
    "count_over_time(http_requests_total[3m])",
    "last_over_time(node_temperature_celsius[10m])",
    "quantile_over_time(0.9, node_temperature_celsius[15m])",
    "quantile_over_time(0.5, up[15m])",
    "stddev_over_time(node_temperature_celsius[15m])",
    "stdvar_over_time(node_temperature_celsius[15m])",
    "present_over_time(node_temperature_celsius[1m])",
    "absent_over_time(node_temperature_celsius{instance=\"node1\"}[5m])",
    "absent_over_time(nonexistent{job=\"x\"}[5m])",
    "holt_winters(node_temperature_celsius[10m], 0.5, 0.3)",
    "avg_over_time(weird_values[2m])",
    "min_over_time(weird_values[2m])",
    "max_over_time(weird_values[2m])",
    "sum_over_time(weird_values[2m])",
    "stddev_over_time(weird_values[2m])",
    // Arithmetic and comparisons.
    "http_requests_total * 2 + 1",
    "2 ^ -node_temperature_celsius",
    "node_temperature_celsius % 3",
    "-node_temperature_celsius",
    "+node_temperature_celsius",
    "node_temperature_celsius > 40",
    "node_temperature_celsius > bool 40",
    "40 < node_temperature_celsius",
    "40 >= bool node_temperature_celsius",
    "1 + 2 * 3 ^ 2 ^ 0.5",
    "-2 ^ 2",
    "10 % 3 - 1 / 4",
    "2 > bool 1",
    "node_temperature_celsius atan2 2",
    "rate(http_requests_total[5m]) / on(job, instance) group_left sum by (job, instance) "
    "(rate(http_requests_total[5m]))",
    "sum by (job, instance) (rate(http_requests_total[5m])) * on(job, instance) group_right "
    "rate(http_requests_total[5m])",
    "http_requests_total / ignoring(code, method) group_left up",
    "http_requests_total * on(job, instance) group_left(__name__) up",
    "up * on(job, instance) group_left(code) http_requests_total{code=\"500\"}",
    "up == on(job, instance) group_right http_requests_total",
    "up + ignoring(job) up",
    "up and http_requests_total",
    "up and on(job) http_requests_total",
    "http_requests_total and on(job, instance) (up == 0)",
    "http_requests_total unless on(job, instance) (up == 0)",
    "up or node_temperature_celsius",
    "up{job=\"api\"} or on(instance) up",
    "(up == 1) or vector(0)",
    "up > on(job, instance) up",
    "up + http_requests_total",
    "collide_a + collide_b",
    "collide_a + on(src) collide_b",
    "collide_a > collide_b",
    // Aggregations.
    "sum(http_requests_total)",
    "sum by (job) (rate(http_requests_total[5m]))",
    "sum without (code, method) (rate(http_requests_total[5m]))",
    "sum(rate(http_requests_total[5m])) by (code)",
    "avg by (job) (node_temperature_celsius)",
    "avg(weird_values)",
    "min(node_temperature_celsius)",
    "max by (job) (http_requests_total)",
    "count by (job) (up == 1)",
    "count without (instance) (http_requests_total)",
    "group by (job) (http_requests_total)",
    "stddev(node_temperature_celsius)",
    "stdvar by (job) (http_requests_total)",
    "topk(3, http_requests_total)",
    "bottomk(2, node_temperature_celsius)",
    "topk by (job) (2, rate(http_requests_total[5m]))",
    "bottomk by (job) (1, up)",
    "topk(2, up)",
    "quantile(0.9, rate(http_requests_total[5m]))",
    "quantile by (job) (0.5, http_requests_total)",
    "quantile(-1, up)",
    "count_values(\"value\", up)",
    "count_values without (instance) (\"v\", up)",
    "count_values(\"code\", http_requests_total % 7)",
    "sum by (__name__) ({__name__=~\"up|node_temperature_celsius\"})",
    "max without () (node_temperature_celsius)",
    "sum(up) by ()",
    // Functions.
    "abs(-node_temperature_celsius)",
    "ceil(rate(http_requests_total[5m]))",
    "floor(rate(http_requests_total[5m]))",
    "round(rate(http_requests_total[5m]))",
    "round(rate(http_requests_total[5m]), 0.25)",
    "round(node_temperature_celsius, 3)",
    "clamp(node_temperature_celsius, 39, 41)",
    "clamp_min(node_temperature_celsius, 40)",
    "clamp_max(node_temperature_celsius, 40)",
    "clamp(node_temperature_celsius, 41, 39)",
    "sgn(node_temperature_celsius - 40)",
    "sqrt(http_requests_total)",
    "timestamp(node_temperature_celsius)",
    "timestamp(node_temperature_celsius offset 2m)",
    "timestamp(rate(http_requests_total[5m]))",
    "time()",
    "vector(time())",
    "scalar(sum(up))",
    "scalar(up)",
    "up * scalar(count(up))",
    "vector(1) + up",
    "pi()",
    "absent(up)",
    "absent(nonexistent{job=\"a\",instance=~\"b\"})",
    "absent(sum(nonexistent))",
    "label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")",
    "label_replace(up, \"job\", \"${1}-x\", \"job\", \"(a)(p)i\")",
    "label_replace(up, \"port\", \"$2\", \"instance\", \"(?P<host>[^:]+):(\\\\d+)\")",
    "label_replace(up, \"host\", \"$host$$\", \"instance\", \"(?P<host>[^:]+):.*\")",
    "label_replace(up, \"instance\", \"\", \"instance\", \".*\")",
    "label_join(up, \"id\", \"/\", \"job\", \"instance\")",
    "label_join(up, \"job\", \"\", \"nothing\")",
    "sort(node_temperature_celsius)",
    "sort_desc(rate(http_requests_total[5m]))",
    "sort(up)",
    "sort_desc(weird_values)",
    "histogram_quantile(0.9, rate(request_duration_seconds_bucket[5m]))",
    "histogram_quantile(0.5, sum by (le) (rate(request_duration_seconds_bucket[10m])))",
    "histogram_quantile(0.99, request_duration_seconds_bucket)",
    "histogram_quantile(1.5, request_duration_seconds_bucket)",
    "histogram_quantile(0, request_duration_seconds_bucket)",
    "year(vector(1700000000))",
    "month()",
    "day_of_month(timestamp(up))",
    "day_of_week(vector(1700000000))",
    "days_in_month(vector(1709251200))",
    "hour(timestamp(up))",
    "minute(timestamp(node_temperature_celsius))",
    "histogram_count(up)",
    // Logarithms and exponentials (more in kMathExpressions below).
    "exp(node_temperature_celsius / 10)",
    "ln(http_requests_total)",
    "log2(http_requests_total)",
    "log10(http_requests_total)",
    "sin(node_temperature_celsius)",
    "cos(node_temperature_celsius)",
    "tan(node_temperature_celsius)",
    "asin(up)",
    "acos(up)",
    "atan(node_temperature_celsius)",
    "sinh(up)",
    "cosh(up)",
    "tanh(up)",
    "asinh(node_temperature_celsius)",
    "acosh(node_temperature_celsius)",
    "atanh(up / 2)",
    "deg(node_temperature_celsius)",
    "rad(node_temperature_celsius)",
    "node_temperature_celsius ^ 1.5",
    // Subqueries.
    "max_over_time(rate(http_requests_total[1m])[10m:1m])",
    "avg_over_time(up[10m:])",
    "sum_over_time(node_temperature_celsius[5m:30s] offset 2m)",
    "rate(sum(http_requests_total)[5m:15s])",
    "min_over_time((up == 0)[20m:1m])",
    "max_over_time(deriv(node_temperature_celsius[5m])[10m:2m])",
    "avg_over_time(max_over_time(up[2m:30s])[5m:1m])",
    // Edge cases: NaN/Inf, ties, empty inputs, typical alert shapes.
    "count_values(\"v\", weird_values)",
    "topk(1, weird_values)",
    "bottomk(1, weird_values)",
    "quantile(0.5, {__name__=~\"weird_values|up\"})",
    "stddev({__name__=~\"weird_values|up\"})",
    "up == bool up",
    "weird_values > 0",
    "weird_values != weird_values",
    "weird_values == bool weird_values",
    "clamp(weird_values, 0, 1)",
    "round(weird_values)",
    "changes(weird_values[5m])",
    "resets(weird_values[5m])",
    "deriv(weird_values[2m])",
    "irate(weird_values[1m])",
    "predict_linear(up[5m], 60)",
    "deriv(up{job=\"api\"}[5m])",
    "rate(up[5m])",
    "holt_winters(weird_values[2m], 0.1, 0.9)",
    "absent(up{job=\"nope\"})",
    "absent_over_time(up{job=~\"a.*\"}[1m])",
    "timestamp(last_over_time(node_temperature_celsius[10m]))",
    "last_over_time(node_temperature_celsius[10m]) offset 1m",
    "-time()",
    "-(1)",
    "time() - 60",
    "scalar(vector(1))",
    "vector(1) or up",
    "up unless on() vector(1)",
    "sum by (job) (rate(http_requests_total[5m])) > 0.5",
    "(http_requests_total - http_requests_total offset 5m) / 300",
    "increase(http_requests_total[2m:30s])",
    "max_over_time(up[1m:7s])",
    "max_over_time(rate(http_requests_total[5m] offset 1m)[10m:1m] offset 2m)",
    "up[5m:1m]",
    "count(up) by (job) * on (job) group_left sum by (job) (up)",
    "up{instance=~\"10\\\\.0\\\\.0\\\\.1:.*\"}",
    "up{job=~\"API\"}",
    "up{job=~\"(?i)API\"}",
    "up{job=~\"\"}",
    "up{foo=\"\"}",
    "topk(0, up)",
    "topk(-1, up)",
    "topk(2.9, up)",
    "quantile(NaN, up)",
    "quantile(2, up)",
    "avg(nonexistent)",
    "count(nonexistent) or vector(0)",
    "sum(rate(nonexistent[5m]))",
    "histogram_quantile(0.9, sum by (job, le) (rate(request_duration_seconds_bucket[5m])))",
    "label_replace(up, \"empty\", \"x$1\", \"nonexistent\", \"(.*)\")",
    "label_replace(up, \"a\", \"$1x\", \"job\", \"(.*)\")",
    "label_replace(up, \"a\", \"$9\", \"job\", \"(.*)\")",
    "\"a string\"",
    "sort(-up)",
    "sort_desc(up * 0)",
    "topk(3, up * 0)",
    "bottomk(3, up * 0)",
    // Errors, also parse errors, where both must fail.
    "rate(up)",
    "sum(up) by (a:b)",
    "up[5m] + 1",
    "1 > 2",
    "{}",
    "{job=\"\"}",
    "up offset 5m offset 1m",
    "topk(NaN, up)",
    "up and 1",
    "1 and up",
    "sum(up, up)",
    "foo(up)",
    "rate(up[5m)",
    "up{job=~\"(\"}",
    "abs({__name__=~\"collide_.*\"})",
    "-{__name__=~\"collide_.*\"}",
    "changes({__name__=~\"collide_.*\"}[5m])",
    "label_replace(up, \"job\", \"x\", \"instance\", \".*\")",
    "label_replace(up, \"1bad\", \"x\", \"instance\", \".*\")",
    "label_replace(up, \"x\", \"y\", \"instance\", \"(\")",
    "http_requests_total + on(job) up",
    "up * on(job, instance) group_left http_requests_total",
    "up + on() group_left up",
    "topk(1e300, up)",
    "count_values(\"1bad\", up)",
    "holt_winters(up[5m], 1, 0.5)",
};

// Malformed (and a few valid) expressions: both parsers must accept or reject each, and reject
// with the same "line:col: parse error: message".
const std::vector<std::string> kParseInputs = {
    "1 +",
    "sum(rate(foo[5m])",
    "foo{a=\"b\"",
    "foo[5m",
    "foo bar",
    "rate(foo)",
    "sum by (job (foo)",
    "sum(foo) by job",
    "foo{a=~\"(\"}",
    "foo{a!\"b\"}",
    "foo offset",
    "foo offset 5",
    "foo[5]",
    "foo[5m:1]",
    "foo[0s]",
    "foo offset 0s",
    "1 > 2",
    "foo and 1",
    "sum(foo, bar)",
    "topk(foo)",
    "unknown_fn(foo)",
    "RATE(foo[5m])",
    "rate(foo[5m], 1)",
    "label_join(foo)",
    "round(foo, 1, 2)",
    "(foo) offset 5m",
    "(foo)[5m]",
    "foo offset 5m [5m]",
    "foo offset 5m offset 1m",
    "1 == 1",
    "foo + on(a) group_left(a) bar",
    "foo and on(a) group_left bar",
    "foo and bool bar",
    "foo + bool bar",
    "-\"a\"",
    "-foo[5m]",
    "\"a\" + 1",
    "{}",
    "{a=\"\"}",
    "foo{__name__=\"bar\"}",
    "count_values(1, foo)",
    "quantile(\"a\", foo)",
    "foo{a=\"\\z\"}",
    "foo{a='\\\"'}",
    "1 + on(a) 2",
    "sum by (a b) (foo)",
    "foo[5m:1m][5m]",
    "rate(foo[5m:1m][5m:1m])",
    "foo{",
    ")",
    "foo)",
    "foo]",
    "foo[5m]]",
    "{a=\"b\"}[5m] + 1",
    "abs(foo,)",
    "sum(foo) without (",
    "0x",
    "1e",
    "08",
    "010",
    "..5",
    "5m",
    "foo + group_left bar",
    "foo + on bar",
    "foo + on(a,) bar",
    "foo + on(a b) bar",
    "foo + ignoring(a) group_left(b bar",
    "sum without(a,b,) (foo)",
    "sum(foo) by (a) by (b)",
    "sum by (a) (foo) by (b)",
    "count_values(\"a\", foo, bar)",
    "topk(1, foo, bar)",
    "sum()",
    "quantile(foo)",
    "foo{a=\"b\",}",
    "foo{,}",
    "foo{a}",
    "foo{a=}",
    "foo{a=\"b\" c=\"d\"}",
    "foo{a=1}",
    "foo{1=\"a\"}",
    "foo{a:b=\"c\"}",
    "{__name__=\"foo\", __name__=\"bar\"}",
    "foo:bar{a=\"b\"}",
    "sum:foo",
    "rate(foo[5m] offset -1m)",
    "foo offset -5m",
    "foo offset - 5m",
    "foo[1h30m]",
    "foo[30m1h]",
    "foo[5ms]",
    "foo[5d]",
    "foo[1y2w]",
    "foo[5x]",
    "foo[5m:1m:1m]",
    "foo[:5m]",
    "foo[5m:]",
    "foo[5m:1m",
    "`raw",
    "\"unterminated",
    "'a\\x4g'",
    "'a\\u12'",
    "\"\\777\"",
    "\"\\400\"",
    "\"\\uD800\"",
    "1 + 2 +",
    "(1 + 2",
    "((1)",
    "1 2",
    "sum(rate(foo[5m])) by job",
    "abs()",
    "abs(1)",
    "vector(\"a\")",
    "scalar(1)",
    "histogram_quantile(foo, bar)",
    "label_replace(foo, 1, \"a\", \"b\", \"c\")",
    "time(1)",
    "foo{a=\"b\"} offset 5m[5m]",
    "-{a=\"b\"}[5m]",
    "+1",
    "- - 1",
    "1 ^^ 2",
    "1 == bool",
    "foo == bool on(a) bar",
    "a.b",
    "foo$",
    "foo # comment",
    "# only comment",
    "1 atan2 2",
    "foo atan2 bar",
    "and",
    "sum",
    "by",
    "on",
    "bool",
    "offset",
    "sum{a=\"b\"}",
    "by{a=\"b\"}",
    "on{a=\"b\"}",
    "nan",
    "NaN + inF",
    "0x1F",
    "1_000",
    ".",
    "1.2.3",
    "1ee3",
    "1e+",
    "5m + 1",
    "1e400",
    "-1e-400",
    "2.8e-322",
    "vector(-0x1p-1074)",
};

// Bit for bit: our math follows Go's (exporter/go/math.h), so no tolerance is needed; the sign
// of a zero counts too.
bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

Labels LabelsFromJson(const json& metric) {
  Labels out;
  for (auto it = metric.begin(); it != metric.end(); ++it) {
    out.push_back(Label{it.key(), it.value().get<std::string>()});
  }
  std::sort(out.begin(), out.end());
  return out;
}

double ValueFromJson(const json& v) {
  double value = 0;
  go::ParseFloat(v.get<std::string>(), &value);
  return value;
}

class PrometheusDiffTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::PrometheusServer();
    data_ = new std::vector<Series>(MakeData());
    storage_ = new MemoryStorage();
    for (const auto& s : *data_) {
      for (const auto& p : s.points) storage_->Append(s.labels, p.t, p.v);
    }
    if (!testing::PrometheusServer::Available() || !testing::HaveProgram("promtool")) return;
    const auto& dir = server_->dir();
    testing::WriteFile(dir.File("data.om"), ToOpenMetrics(*data_));
    std::string output;
    if (testing::RunCommand({"promtool", "tsdb", "create-blocks-from", "openmetrics",
                             dir.File("data.om"), dir.File("data")},
                            &output) != 0) {
      setup_error_ = "promtool backfill failed:\n" + output;
      return;
    }
    if (!server_->Start("global:\n  scrape_interval: 1h\n", &setup_error_)) return;
    started_ = true;
  }

  static void TearDownTestSuite() {
    if (started_) server_->Stop();
    delete server_;
    delete storage_;
    delete data_;
  }

  static testing::PrometheusServer* server_;
  static std::vector<Series>* data_;
  static MemoryStorage* storage_;
  static bool started_;
  static std::string setup_error_;
};

testing::PrometheusServer* PrometheusDiffTest::server_ = nullptr;
std::vector<Series>* PrometheusDiffTest::data_ = nullptr;
MemoryStorage* PrometheusDiffTest::storage_ = nullptr;
bool PrometheusDiffTest::started_ = false;
std::string PrometheusDiffTest::setup_error_;

struct Stats {
  int with_samples = 0;  // Prometheus answered with a non-empty vector, a matrix or a scalar
  int errors = 0;        // Prometheus answered with an error (and so did we)
};

// Compares one expression at one instant; returns a description of the first difference.
std::string Compare(const testing::PrometheusServer& server, const Queryable& storage,
                    const std::string& expr, int64_t t, Stats* stats) {
  std::ostringstream where;
  where << "at +" << (t - kStart) / 1000 << "s: ";
  json answer = server.Get("/api/v1/query?query=" + testing::UrlEncode(expr) +
                           "&time=" + std::to_string(t / 1000) + "." +
                           std::to_string(t % 1000 + 1000).substr(1));
  if (answer.is_null()) return where.str() + "no answer from Prometheus";
  ParseResult parsed = Parse(expr);
  if (answer["status"] != "success") {
    ++stats->errors;
    if (!parsed.ok()) return "";
    EvalResult r = EvalInstant(*parsed.expr, storage, t);
    if (!r.ok) return "";
    return where.str() + "Prometheus failed (" + answer["error"].get<std::string>() +
           ") but we did not";
  }
  if (!parsed.ok()) return where.str() + "we failed to parse: " + parsed.error.ToString();
  EvalResult r = EvalInstant(*parsed.expr, storage, t);
  if (!r.ok) return where.str() + "we failed: " + r.error;
  const json& data = answer["data"];
  const std::string type = data["resultType"];
  if (type != "vector" || !data["result"].empty()) ++stats->with_samples;
  if (type == "scalar") {
    if (r.value.type != ValueType::kScalar) return where.str() + "expected a scalar";
    double want = ValueFromJson(data["result"][1]);
    if (!SameValue(want, r.value.scalar)) {
      return where.str() + "scalar " + go::FormatFloat(r.value.scalar, 'g', -1) + ", Prometheus " +
             go::FormatFloat(want, 'g', -1);
    }
    return "";
  }
  if (type == "vector") {
    if (r.value.type != ValueType::kVector) return where.str() + "expected a vector";
    const auto& got = r.value.vector;
    const json& result = data["result"];
    std::ostringstream dump;
    dump << "\n  ours:";
    for (const auto& s : got)
      dump << " " << LabelsToString(s.labels) << "=" << go::FormatFloat(s.v, 'g', -1);
    dump << "\n  prometheus: " << result.dump();
    if (got.size() != result.size()) return where.str() + "different sizes" + dump.str();
    // Prometheus keeps the evaluation order in instant-query answers; only sort() and
    // topk/bottomk define one, but our order matches for everything, so compare in order.
    for (size_t i = 0; i < got.size(); ++i) {
      Labels want = LabelsFromJson(result[i]["metric"]);
      double v = ValueFromJson(result[i]["value"][1]);
      bool ordered = expr.find("sort") != std::string::npos ||
                     expr.find("topk") != std::string::npos ||
                     expr.find("bottomk") != std::string::npos;
      if (!ordered) {
        // Compare as sets for the rest: find the matching series.
        bool found = false;
        for (size_t j = 0; j < got.size(); ++j) {
          if (got[j].labels == want) {
            found = true;
            if (!SameValue(v, got[j].v)) return where.str() + "values differ" + dump.str();
          }
        }
        if (!found) return where.str() + "series sets differ" + dump.str();
        continue;
      }
      if (got[i].labels != want || !SameValue(v, got[i].v)) {
        return where.str() + "results differ" + dump.str();
      }
    }
    return "";
  }
  if (type == "matrix") {
    if (r.value.type != ValueType::kMatrix) return where.str() + "expected a matrix";
    const json& result = data["result"];
    if (result.size() != r.value.matrix.size()) return where.str() + "different series count";
    for (const auto& series : result) {
      Labels want = LabelsFromJson(series["metric"]);
      const RangeSeries* ours = nullptr;
      for (const auto& s : r.value.matrix) {
        if (s.labels == want) ours = &s;
      }
      if (!ours) return where.str() + "missing series " + LabelsToString(want);
      if (ours->points.size() != series["values"].size()) {
        return where.str() + "different point count for " + LabelsToString(want);
      }
      for (size_t i = 0; i < ours->points.size(); ++i) {
        const json& p = series["values"][i];
        int64_t pt = std::llround(p[0].get<double>() * 1000);
        if (pt != ours->points[i].t || !SameValue(ValueFromJson(p[1]), ours->points[i].v)) {
          return where.str() + "different points for " + LabelsToString(want);
        }
      }
    }
    return "";
  }
  if (type == "string") {
    if (r.value.type != ValueType::kString) return where.str() + "expected a string";
    if (r.value.string != data["result"][1].get<std::string>())
      return where.str() + "strings differ";
    return "";
  }
  return where.str() + "unexpected result type " + type;
}

TEST_F(PrometheusDiffTest, SameResultsAsPrometheus) {
  ASSERT_TRUE(testing::PrometheusServer::Available()) << "prometheus is not installed";
  ASSERT_TRUE(testing::HaveProgram("promtool")) << "promtool is not installed";
  ASSERT_TRUE(started_) << setup_error_;
  // Inside the data, near its start (ranges reach before the first sample), at its end, and
  // after it (lookback, then nothing).
  const std::vector<int64_t> times = {kStart + 65'000,
                                      kStart + 17 * 60'000 + 3'000,
                                      kStart + 30 * 60'000,
                                      kStart + 47 * 60'000 + 500,
                                      kStart + kSteps * kStep,
                                      kStart + kSteps * kStep + 200'000,
                                      kStart + kSteps * kStep + 400'000};
  int compared = 0;
  Stats stats;
  for (const auto& expr : kExpressions) {
    for (int64_t t : times) {
      std::string diff = Compare(*server_, *storage_, expr, t, &stats);
      EXPECT_TRUE(diff.empty()) << expr << " " << diff;
      ++compared;
    }
  }
  EXPECT_EQ(compared, static_cast<int>(kExpressions.size() * times.size()));
  // Not vacuous: most comparisons had data, and the error cases did fail in Prometheus.
  EXPECT_GT(stats.with_samples, compared * 2 / 3) << stats.with_samples << " of " << compared;
  EXPECT_GE(stats.errors, 40) << stats.errors;
}

TEST_F(PrometheusDiffTest, SameParseErrorsAsPrometheus) {
  ASSERT_TRUE(started_) << setup_error_;
  int rejected = 0;
  for (const auto& expr : kParseInputs) {
    json answer = server_->Get("/api/v1/query?query=" + testing::UrlEncode(expr) +
                               "&time=" + std::to_string(kStart / 1000));
    ASSERT_FALSE(answer.is_null()) << expr;
    ParseResult parsed = Parse(expr);
    if (answer["status"] == "success" || answer["errorType"] != "bad_data") {
      // Prometheus parsed it (it may still fail to evaluate); so must we.
      EXPECT_TRUE(parsed.ok()) << expr << ": " << parsed.error.ToString();
      continue;
    }
    ++rejected;
    std::string want = answer["error"].get<std::string>();
    const std::string prefix = "invalid parameter \"query\": ";
    if (want.rfind(prefix, 0) == 0) want = want.substr(prefix.size());
    ASSERT_FALSE(parsed.ok()) << expr << ": Prometheus says " << want;
    EXPECT_EQ(parsed.error.ToString(), want) << expr;
  }
  EXPECT_GE(rejected, 100);
}

// Every math function and operator and every aggregation over the generated inputs, at one
// instant, bit for bit (any NaN matches any NaN; -0 and 0 differ). Not yet here, as ours still
// uses glibc's pow and differs in the last bit: ^ with a non-integer or large exponent (Go's
// Pow is its own).
const std::vector<std::string> kMathExpressions = {
    "math_input",
    "-math_input",
    "abs(math_input)",
    "ceil(math_input)",
    "floor(math_input)",
    "round(math_input)",
    "round(math_input, 0.1)",
    "round(math_input, 3)",
    "sgn(math_input)",
    "sqrt(math_input)",
    "exp(math_input)",
    "ln(math_input)",
    "log2(math_input)",
    "log10(math_input)",
    "clamp(math_input, -1, 1)",
    "clamp_min(math_input, 0.5)",
    "clamp_max(math_input, -0.5)",
    "asin(math_input)",
    "acos(math_input)",
    "sin(math_input)",
    "cos(math_input)",
    "tan(math_input)",
    "atan(math_input)",
    "sinh(math_input)",
    "cosh(math_input)",
    "tanh(math_input)",
    "asinh(math_input)",
    "acosh(math_input)",
    "atanh(math_input)",
    "deg(math_input)",
    "rad(math_input)",
    "math_input ^ 2",
    "math_input ^ 0.5",
    "math_input ^ -1.5",
    "math_input ^ 3",
    "math_input ^ -7",
    "math_input ^ 100.25",
    "2 ^ math_input",
    "0.5 ^ math_input",
    "-3 ^ math_input",
    "math_input % 3",
    "math_input % -0.7",
    "10 % math_input",
    "math_input atan2 1",
    "-1 atan2 math_input",
    "math_input * 1e300",
    "math_input / 3",
    "math_input * 2.8e-322",
    "vector(5e-324)",
    "vector(1e-400)",
};

const std::vector<std::string> kMathAggregations = {
    "sum", "avg", "min", "max", "stddev", "stdvar", "count", "group",
};

std::vector<std::string> MathAggregationExpressions() {
  std::vector<std::string> out;
  for (const char* metric : {"math_input", "math_agg"}) {
    for (const auto& op : kMathAggregations) {
      out.push_back(op + " by (g) (" + std::string(metric) + ")");
      out.push_back(op + "(" + std::string(metric) + ")");
    }
    for (const char* param : {"0", "0.1", "0.5", "0.75", "0.99", "1"}) {
      out.push_back("quantile by (g) (" + std::string(param) + ", " + metric + ")");
    }
    for (const char* fn :
         {"sum_over_time", "avg_over_time", "min_over_time", "max_over_time", "count_over_time",
          "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time", "changes",
          "resets", "deriv", "idelta", "delta", "rate", "increase"}) {
      out.push_back(std::string(fn) + "(" + metric + "[5m])");
    }
    for (const char* param : {"0", "0.25", "0.5", "0.9", "1"}) {
      out.push_back("quantile_over_time(" + std::string(param) + ", " + metric + "[5m])");
    }
    out.push_back("predict_linear(" + std::string(metric) + "[5m], 600)");
    out.push_back("holt_winters(" + std::string(metric) + "[5m], 0.3, 0.6)");
    // The value as a label: Go's shortest 'f' formatting of every value.
    out.push_back("count_values(\"v\", " + std::string(metric) + ")");
    out.push_back("topk by (g) (3, " + std::string(metric) + ")");
    out.push_back("bottomk by (g) (2, " + std::string(metric) + ")");
  }
  return out;
}

bool SameBits(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

TEST_F(PrometheusDiffTest, BitIdenticalMathOverGeneratedInputs) {
  CODEBOT_REQUIRE_PROGRAM(
      testing::PrometheusServer::Available() && testing::HaveProgram("promtool"),
      "prometheus and promtool");
  ASSERT_TRUE(started_) << setup_error_;
  std::vector<std::string> exprs = kMathExpressions;
  for (const auto& e : MathAggregationExpressions()) exprs.push_back(e);
  int compared = 0;
  for (const auto& expr : exprs) {
    json answer = server_->Get("/api/v1/query?query=" + testing::UrlEncode(expr) +
                               "&time=" + std::to_string(kMathAt / 1000));
    ASSERT_EQ(answer["status"], "success") << expr << ": " << answer.dump();
    ParseResult parsed = Parse(expr);
    ASSERT_TRUE(parsed.ok()) << expr;
    EvalResult r = EvalInstant(*parsed.expr, *storage_, kMathAt);
    ASSERT_TRUE(r.ok) << expr << ": " << r.error;
    ASSERT_EQ(r.value.type, ValueType::kVector) << expr;
    const json& result = answer["data"]["result"];
    ASSERT_EQ(result.size(), r.value.vector.size()) << expr;
    const bool ordered =
        expr.find("topk") != std::string::npos || expr.find("bottomk") != std::string::npos;
    int wrong = 0;
    std::string first_wrong;
    for (size_t k = 0; k < result.size(); ++k) {
      const Labels want = LabelsFromJson(result[k]["metric"]);
      const std::string text = result[k]["value"][1].get<std::string>();
      const InstantSample* ours = nullptr;
      for (const auto& s : r.value.vector) {
        if (s.labels == want) ours = &s;
      }
      if (ordered && r.value.vector[k].labels != want) ours = nullptr;
      ++compared;
      if (ours != nullptr && SameBits(ValueFromJson(result[k]["value"][1]), ours->v)) continue;
      if (wrong++ == 0) {
        first_wrong = LabelsToString(want) + ": Prometheus " + text + ", ours " +
                      (ours ? go::FormatFloat(ours->v, 'g', -1) : std::string("missing"));
      }
    }
    EXPECT_EQ(wrong, 0) << expr << ": " << wrong << " of " << result.size() << " differ, e.g. "
                        << first_wrong;
  }
  // Not vacuous: every input of every function, every group of every aggregation.
  EXPECT_GT(compared, 30000) << compared;
}

// The backfill must really hold our data, or every comparison above would be vacuous.
TEST_F(PrometheusDiffTest, PrometheusSeesTheData) {
  ASSERT_TRUE(started_) << setup_error_;
  json answer = server_->Get("/api/v1/query?query=" + testing::UrlEncode("count(up)") +
                             "&time=" + std::to_string((kStart + 600'000) / 1000));
  ASSERT_EQ(answer["status"], "success") << answer.dump();
  ASSERT_EQ(answer["data"]["result"].size(), 1u) << answer.dump();
  EXPECT_EQ(answer["data"]["result"][0]["value"][1], "4");
}

}  // namespace
}  // namespace codebot::promql
