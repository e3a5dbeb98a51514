// The sample store under the load the brief sizes it for: 10,000 series scraped every 15 s,
// kept for an hour. Measures append throughput, Select over the whole data set, and the memory
// per stored sample two ways: the store's own accounting and the allocator's (mallinfo2) plus
// RSS, which must agree.
//
//   bench_store_series_store_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "exporter/store/series_store.h"

namespace codebot::store {
namespace {

constexpr int kSeries = 10000;
constexpr int kNames = 10;
constexpr int64_t kInterval = 15000;
constexpr int kStepsPerHour = 3600 * 1000 / kInterval;  // 240
constexpr int64_t kT0 = 1700000000000;

// What the values of a series look like; real sources mix the first three.
enum class ValueKind { kMixed = 0, kConstant, kCounter, kGauge, kRandom };

const char* KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kMixed:
      return "mixed";
    case ValueKind::kConstant:
      return "constant";
    case ValueKind::kCounter:
      return "counter";
    case ValueKind::kGauge:
      return "gauge_2_decimals";
    case ValueKind::kRandom:
      return "random_doubles";
  }
  return "?";
}

class DataSet {
 public:
  explicit DataSet(ValueKind kind) : kind_(kind), rng_(42), values_(kSeries, 0.0) {
    names_.reserve(kNames);
    for (int n = 0; n < kNames; ++n) names_.push_back("codebot_bench_metric_" + std::to_string(n));
    for (int i = 0; i < kSeries; ++i) {
      values_[i] = static_cast<double>(i % 97);
    }
  }

  // The collection of one scrape: kSeries samples, values moved on by one step.
  collect::Collection Step(int step) {
    std::uniform_int_distribution<int64_t> jitter(-3, 3);
    std::uniform_int_distribution<int> increment(0, 20);
    std::uniform_int_distribution<int> cents(-150, 150);
    std::uniform_real_distribution<double> random(0, 1e6);
    std::vector<Family> families(kNames);
    for (int n = 0; n < kNames; ++n) {
      families[n].name = names_[n];
      families[n].samples.reserve(kSeries / kNames);
    }
    for (int i = 0; i < kSeries; ++i) {
      ValueKind kind = kind_;
      if (kind == ValueKind::kMixed) kind = static_cast<ValueKind>(1 + i % 3);
      double& v = values_[i];
      switch (kind) {
        case ValueKind::kConstant:
          if (step % 120 == 119) v = v == 0 ? 1 : 0;  // an occasional flip, like up
          break;
        case ValueKind::kCounter:
          v += increment(rng_);
          break;
        case ValueKind::kGauge:
          v = std::round((v + cents(rng_) / 100.0) * 100) / 100;
          break;
        case ValueKind::kRandom:
          v = random(rng_);
          break;
        case ValueKind::kMixed:
          break;
      }
      Sample& sample = families[i % kNames].samples.emplace_back();
      sample.name = names_[i % kNames];
      sample.labels = {{"handler", "/api/v1/endpoint_" + std::to_string(i / kNames)},
                       {"shard", std::to_string(i % 16)}};
      sample.value = v;
    }
    collect::Collection collection;
    collection.source = "bot";
    collection.job = "bot";
    collection.instance = "127.0.0.1:8080";
    collection.timestamp_ms = kT0 + step * kInterval + jitter(rng_);
    collection.families = std::make_shared<const std::vector<Family>>(std::move(families));
    return collection;
  }

 private:
  ValueKind kind_;
  std::mt19937_64 rng_;
  std::vector<double> values_;
  std::vector<std::string> names_;
};

SeriesStoreOptions HourOptions(const int64_t* clock) {
  SeriesStoreOptions options;
  options.retention_ms = 3600 * 1000 + 5 * 60 * 1000;
  options.clock = [clock] { return *clock; };
  return options;
}

// Steady state: every iteration is one scrape of all 10,000 series into a store that already
// holds up to an hour of them (sweeps included, as the clock moves on).
void BM_AppendCollection(benchmark::State& state) {
  DataSet data(ValueKind::kMixed);
  // A handful of prepared collections, replayed with new timestamps, so that building them is
  // not what is measured.
  std::vector<collect::Collection> prepared;
  for (int i = 0; i < 8; ++i) prepared.push_back(data.Step(i));
  prometheus::Registry registry;
  int64_t now = kT0;
  SeriesStore store(registry, HourOptions(&now));
  int step = 0;
  for (auto _ : state) {
    collect::Collection collection = prepared[step % prepared.size()];
    collection.timestamp_ms = kT0 + step * kInterval;
    now = collection.timestamp_ms;
    store.Publish(collection);
    ++step;
  }
  state.SetItemsProcessed(state.iterations() * kSeries);
  state.counters["series"] = static_cast<double>(store.GetStats().series);
}
BENCHMARK(BM_AppendCollection)->Unit(benchmark::kMillisecond)->MinTime(3);

// The first scrape of a source: every series is new (index insertions, label building).
void BM_AppendFirstCollection(benchmark::State& state) {
  DataSet data(ValueKind::kMixed);
  const collect::Collection collection = data.Step(0);
  int64_t now = kT0;
  for (auto _ : state) {
    state.PauseTiming();  // construction and destruction are not what is measured
    auto registry = std::make_unique<prometheus::Registry>();
    auto store = std::make_unique<SeriesStore>(*registry, HourOptions(&now));
    state.ResumeTiming();
    store->Publish(collection);
    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kSeries);
}
BENCHMARK(BM_AppendFirstCollection)->Unit(benchmark::kMillisecond);

struct Filled {
  std::unique_ptr<prometheus::Registry> registry;
  int64_t now = kT0;
  std::unique_ptr<SeriesStore> store;
};

// What the rule manager hands the store when its rules read every series (a selector on every
// metric name): each series keeps its newest samples plain too. The hour stays the default.
RetentionPolicy EveryNameRead() {
  RetentionPolicy policy;
  policy.default_ms = 3600 * 1000 + 5 * 60 * 1000;
  policy.selectors.push_back(
      {{Matcher(MatchType::kRegexMatch, "__name__", "codebot_bench_.*")}, 5 * 60 * 1000});
  return policy;
}

Filled& HourOfData(bool read_by_rules = false) {
  static Filled* filled[2] = {};
  Filled*& slot = filled[read_by_rules ? 1 : 0];
  if (slot == nullptr) {
    auto* f = new Filled;
    f->registry = std::make_unique<prometheus::Registry>();
    f->store = std::make_unique<SeriesStore>(*f->registry, HourOptions(&f->now));
    if (read_by_rules) f->store->SetRetention(EveryNameRead());
    DataSet data(ValueKind::kMixed);
    for (int step = 0; step < kStepsPerHour; ++step) {
      auto collection = data.Step(step);
      f->now = collection.timestamp_ms;
      f->store->Publish(collection);
    }
    slot = f;
  }
  return *slot;
}

void RunSelect(benchmark::State& state, const std::vector<Matcher>& matchers, int64_t range_ms,
               bool read_by_rules = false) {
  Filled& filled = HourOfData(read_by_rules);
  const int64_t maxt = filled.now;
  size_t points = 0;
  size_t series = 0;
  for (auto _ : state) {
    std::vector<SeriesData> out;
    filled.store->Select(matchers, maxt - range_ms, maxt, &out);
    series = out.size();
    points = 0;
    for (const auto& s : out) points += s.points.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * points));
  state.counters["series"] = static_cast<double>(series);
  state.counters["points"] = static_cast<double>(points);
}

// Everything: 10,000 series x 1 h (2.4 million points decoded and copied).
void BM_SelectAllSeriesOneHour(benchmark::State& state) {
  RunSelect(state, {Matcher(MatchType::kRegexMatch, "__name__", "codebot_bench_.*")}, 3600 * 1000);
}
BENCHMARK(BM_SelectAllSeriesOneHour)->Unit(benchmark::kMillisecond);

// One metric name (1,000 series) over the hour, as rate(x[1h]) reads it.
void BM_SelectOneNameOneHour(benchmark::State& state) {
  RunSelect(state, {Matcher(MatchType::kEqual, "__name__", "codebot_bench_metric_3")}, 3600 * 1000);
}
BENCHMARK(BM_SelectOneNameOneHour)->Unit(benchmark::kMillisecond);

// One metric name over the 5-minute lookback: what an instant selector in a rule reads.
void BM_SelectOneNameLookback(benchmark::State& state) {
  RunSelect(state, {Matcher(MatchType::kEqual, "__name__", "codebot_bench_metric_3")},
            5 * 60 * 1000);
}
BENCHMARK(BM_SelectOneNameLookback)->Unit(benchmark::kMicrosecond);

// The same, for series that rules read (the rule manager's selectors match them): the newest
// samples are copied, not decoded.
void BM_SelectOneNameLookbackReadByRules(benchmark::State& state) {
  RunSelect(state, {Matcher(MatchType::kEqual, "__name__", "codebot_bench_metric_3")},
            5 * 60 * 1000, true);
}
BENCHMARK(BM_SelectOneNameLookbackReadByRules)->Unit(benchmark::kMicrosecond);

void BM_SelectOneNameOneHourReadByRules(benchmark::State& state) {
  RunSelect(state, {Matcher(MatchType::kEqual, "__name__", "codebot_bench_metric_3")}, 3600 * 1000,
            true);
}
BENCHMARK(BM_SelectOneNameOneHourReadByRules)->Unit(benchmark::kMillisecond);

// A label filter on top of the name: 1,000 candidates, 63 matches.
void BM_SelectNameAndLabelLookback(benchmark::State& state) {
  RunSelect(state,
            {Matcher(MatchType::kEqual, "__name__", "codebot_bench_metric_3"),
             Matcher(MatchType::kRegexMatch, "shard", "1[0-3]")},
            5 * 60 * 1000);
}
BENCHMARK(BM_SelectNameAndLabelLookback)->Unit(benchmark::kMicrosecond);

size_t RssBytes() {
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Fills a fresh store with an hour of 10,000 series and compares the store's accounting with
// what the allocator handed out meanwhile (each collection is freed before the next, so what
// stays allocated is the store's).
//
// The second argument is how far back rules read every series, in minutes (0: no rule reads
// them): read series keep that much (up to an hour) plain as well, the price of not decoding.
void BM_MemoryPerSample(benchmark::State& state) {
  const auto kind = static_cast<ValueKind>(state.range(0));
  const int64_t read_ms = state.range(1) * 60 * 1000;
  for (auto _ : state) {
    malloc_trim(0);
    const size_t heap_before = mallinfo2().uordblks;
    const size_t rss_before = RssBytes();
    prometheus::Registry registry;
    int64_t now = kT0;
    SeriesStore store(registry, HourOptions(&now));
    if (read_ms > 0) {
      RetentionPolicy policy = EveryNameRead();
      policy.selectors[0].retention_ms = read_ms;
      store.SetRetention(std::move(policy));
    }
    DataSet data(kind);
    const size_t heap_data = mallinfo2().uordblks;  // the data set's own state, not the store's
    for (int step = 0; step < kStepsPerHour; ++step) {
      auto collection = data.Step(step);
      now = collection.timestamp_ms;
      store.Publish(collection);
    }
    malloc_trim(0);
    const size_t heap_after = mallinfo2().uordblks;
    const size_t rss_after = RssBytes();
    const auto stats = store.GetStats();
    const double samples = static_cast<double>(stats.samples);
    const double series = static_cast<double>(stats.series);
    const double heap_delta = static_cast<double>(heap_after - heap_data);
    state.counters["samples"] = samples;
    state.counters["series"] = series;
    state.counters["chunks"] = static_cast<double>(stats.chunks);
    state.counters["acct_B/sample"] = static_cast<double>(stats.sample_bytes) / samples;
    state.counters["acct_B/series"] = static_cast<double>(stats.series_bytes) / series;
    state.counters["acct_total_MiB"] =
        static_cast<double>(stats.sample_bytes + stats.series_bytes) / (1 << 20);
    state.counters["malloc_total_MiB"] = heap_delta / (1 << 20);
    // The allocator's view with the accounted fixed cost of the series taken out.
    state.counters["malloc_B/sample"] =
        (heap_delta - static_cast<double>(stats.series_bytes)) / samples;
    state.counters["malloc_all_B/sample"] = heap_delta / samples;
    state.counters["rss_B/sample"] =
        (static_cast<double>(rss_after) - static_cast<double>(rss_before)) / samples;
    (void)heap_before;
  }
  state.SetLabel(std::string(KindName(kind)) +
                 (read_ms > 0 ? ", read " + std::to_string(state.range(1)) + "m" : ""));
}
BENCHMARK(BM_MemoryPerSample)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {0}})
    ->ArgsProduct({{0, 4}, {5, 60}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace codebot::store

BENCHMARK_MAIN();
