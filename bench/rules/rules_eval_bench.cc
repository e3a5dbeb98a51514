// Issue 4's benchmark, our half: the 20 rules of bench/rules/bot_rules.yml evaluated as one group
// by the rule manager over the live sample store (store::SeriesStore), with 10,000 bot-like series
// holding one hour of samples at 15 s. bench/rules_eval.sh runs Prometheus 2.42 over the same
// data (this binary writes it with --openmetrics / --remote_write_dir) and the same rule file,
// then this binary with the same end time and evaluation instants, and compares.
//
// Each benchmark iteration is one group evaluation, 1 s after the previous one (the script's
// Prometheus evaluation_interval). Counters are medians over the iterations:
//   group_ms   the group's own timing (codebot_exporter_rule_group_last_duration_seconds),
//   select_ms  time inside Queryable::Select during that evaluation,
//   engine_ms  the rest: PromQL evaluation, alert state, templates, writing ALERTS/records.
// The same group over promql::MemoryStorage (plain vectors, no compression) is the reference
// for what the engine costs when the storage costs next to nothing.
//
//   bench_rules_rules_eval_bench [--end_ms=T] [--eval_offset_ms=O] [--evaluations=N]
//                                [--warmup=3] [--rules=FILE] [--benchmark_* flags]
//   bench_rules_rules_eval_bench --openmetrics=FILE --end_ms=T    (backfill input for promtool)
//   bench_rules_rules_eval_bench --remote_write_dir=DIR --end_ms=T (snappy protobuf bodies)
#include <benchmark/benchmark.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/series.h"
#include "exporter/promql/memory_storage.h"
#include "exporter/rules/manager.h"
#include "exporter/rules/rule_file.h"
#include "exporter/rules/store_writer.h"
#include "exporter/store/series_store.h"

namespace codebot::rules {
namespace {

constexpr int64_t kIntervalMs = 15000;
constexpr int kSteps = 240;  // one hour at 15 s
constexpr int64_t kHourMs = 3600 * 1000;

struct Flags {
  // The data's last collection is at or just before end_ms. Default: a fixed instant, so that
  // runs without the script are reproducible.
  int64_t end_ms = 1'700'000'000'000;
  // First evaluation at end_ms + eval_offset_ms, then one per second (Prometheus' evaluations
  // in the script start a few tens of seconds after the data ends, when its server is up).
  int64_t eval_offset_ms = 30'000;
  int evaluations = 30;
  int warmup = 3;
  std::string rules_file =
      (std::filesystem::path(__FILE__).parent_path() / "bot_rules.yml").string();
  std::string openmetrics;
  std::string remote_write_dir;
};

Flags& GetFlags() {
  static Flags flags;
  return flags;
}

// splitmix64: the same numbers on every standard library, unlike <random>'s distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  int Int(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t s_;
};

std::string Pad(int i) { return (i < 10 ? "0" : "") + std::to_string(i); }

// A count of events in one interval around an expected value (integer, never negative).
double Events(Rng& rng, double expected) {
  return std::floor(expected * (0.7 + 0.6 * rng.Uniform()) + rng.Uniform());
}

// Cumulative share of a log-normal latency at or below `le`.
double LogNormalCdf(double le, double median, double sigma) {
  if (std::isinf(le)) return 1;
  return 0.5 * std::erfc(-(std::log(le) - std::log(median)) / (sigma * std::sqrt(2.0)));
}

// One source of the sidecar (a bot instance, GitHub, a PostgreSQL server): its families, whose
// sample values `update` moves on by one collection.
struct Source {
  std::string name;
  std::string job;
  std::string instance;
  int64_t offset_ms = 0;  // where in the 15 s its collections fall
  std::vector<Family> families;
  std::function<void(Source&, int step, Rng&)> update;
};

Family& AddFamily(Source& source, const std::string& name, MetricType type) {
  source.families.push_back(Family::Make(name, type, ""));
  return source.families.back();
}

// A histogram's samples in one family: per key, buckets then _sum then _count.
void AddHistogramSamples(Family& family, const std::string& key_label,
                         const std::vector<std::string>& keys, const std::vector<double>& les) {
  for (const auto& key : keys) {
    for (double le : les) {
      char text[32];
      if (std::isinf(le)) {
        std::snprintf(text, sizeof(text), "+Inf");
      } else {
        std::snprintf(text, sizeof(text), "%g", le);
      }
      family.AddNamed(family.name + "_bucket", {{key_label, key}, {"le", text}}, 0);
    }
    family.AddNamed(family.name + "_sum", {{key_label, key}}, 0);
    family.AddNamed(family.name + "_count", {{key_label, key}}, 0);
  }
}

// Adds n observations spread log-normally to the histogram samples of one key.
void Observe(Sample* samples, const std::vector<double>& les, double n, double median, double sigma,
             Rng& rng) {
  for (size_t b = 0; b < les.size(); ++b) {
    samples[b].value += std::round(n * LogNormalCdf(les[b], median, sigma));
  }
  samples[les.size()].value +=
      n * median * std::exp(sigma * sigma / 2) * (0.9 + 0.2 * rng.Uniform());
  samples[les.size() + 1].value += n;
}

constexpr int kBotInstances = 6;
constexpr int kHandlers = 60;
constexpr int kOperations = 30;
constexpr int kCommands = 20;
constexpr int kRepos = 95;
constexpr int kAccounts = 30;
constexpr int kDatabases = 20;

Source BotSource(int instance) {
  Source s;
  s.name = "bot-" + std::to_string(instance);
  s.job = "bot";
  s.instance = "bot-" + std::to_string(instance) + ".bot.svc:8080";
  s.offset_ms = 1700 * instance;
  const std::vector<std::string> codes = {"200", "304", "400", "404", "500", "503"};
  auto& requests = AddFamily(s, "http_requests_total", MetricType::kCounter);
  for (int h = 0; h < kHandlers; ++h) {
    for (const auto& code : codes)
      requests.Add({{"handler", "/api/v1/h" + Pad(h)}, {"code", code}}, 0);
  }
  std::vector<std::string> operations;
  for (int o = 0; o < kOperations; ++o) operations.push_back("op_" + Pad(o));
  const std::vector<double> http_les = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,    2.5,   5,    10,  INFINITY};
  AddHistogramSamples(AddFamily(s, "http_request_duration_seconds", MetricType::kHistogram),
                      "operation", operations, http_les);
  std::vector<std::string> commands;
  for (int c = 0; c < kCommands; ++c) commands.push_back("cmd" + Pad(c));
  auto& command_total = AddFamily(s, "bot_commands_total", MetricType::kCounter);
  for (const auto& command : commands) {
    command_total.Add({{"command", command}, {"status", "ok"}}, 0);
    command_total.Add({{"command", command}, {"status", "error"}}, 0);
  }
  const std::vector<double> command_les = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, INFINITY};
  AddHistogramSamples(AddFamily(s, "bot_command_duration_seconds", MetricType::kHistogram),
                      "command", commands, command_les);
  auto& sync = AddFamily(s, "codebot_repo_sync_total", MetricType::kCounter);
  for (int r = 0; r < kRepos; ++r) {
    const std::string repo = "org" + std::to_string(instance) + "/repo-" + Pad(r);
    sync.Add({{"repo", repo}, {"result", "ok"}}, 0);
    sync.Add({{"repo", repo}, {"result", "failed"}}, 0);
  }
  auto& updates = AddFamily(s, "telegram_updates_total", MetricType::kCounter);
  for (const char* type :
       {"message", "edited_message", "callback_query", "inline_query", "chosen_inline_result",
        "my_chat_member", "chat_member", "channel_post"}) {
    updates.Add({{"type", type}}, 0);
  }
  auto& api = AddFamily(s, "telegram_api_requests_total", MetricType::kCounter);
  for (const char* method : {"sendMessage", "editMessageText", "answerCallbackQuery", "getUpdates",
                             "setWebhook", "sendDocument"}) {
    for (const char* code : {"200", "400", "429", "500"}) {
      api.Add({{"method", method}, {"code", code}}, 0);
    }
  }
  auto& queues = AddFamily(s, "bot_queue_length", MetricType::kGauge);
  for (const char* queue : {"sync", "notify", "search", "explain", "webhook"}) {
    queues.Add({{"queue", queue}}, 3);
  }
  AddFamily(s, "process_resident_memory_bytes", MetricType::kGauge).Add({}, 180e6);
  AddFamily(s, "process_cpu_seconds_total", MetricType::kCounter).Add({}, 0);
  AddFamily(s, "process_open_fds", MetricType::kGauge).Add({}, 40);
  AddFamily(s, "bot_build_info", MetricType::kGauge)
      .Add({{"version", instance == kBotInstances - 1 ? "2.8.0-rc1" : "2.7.1"}}, 1);

  s.update = [instance, http_les, command_les](Source& src, int step, Rng& rng) {
    // One instance restarts 45 minutes in: its counters start again from zero.
    const bool restart = instance == 2 && step == 180;
    auto& f = src.families;
    for (auto& family : f) {
      if (restart && family.type != MetricType::kGauge) {
        for (auto& sample : family.samples) sample.value = 0;
      }
    }
    // Request counters: a rate per handler, a share per code; every 13th handler and the
    // release candidate fail more.
    const double error_factor = instance == kBotInstances - 1 ? 2.5 : 1;
    const double shares[] = {0.86, 0.05, 0.03, 0.04, 0.015, 0.005};
    for (int h = 0; h < kHandlers; ++h) {
      const double rate = 0.2 + 30.0 * ((h * 37) % 60) * ((h * 37) % 60) / 3600.0;
      for (int c = 0; c < 6; ++c) {
        double share = shares[c];
        if (c == 4) share *= (h % 13 == 0 ? 6 : 1) * error_factor;
        f[0].samples[h * 6 + c].value += Events(rng, rate * share * 15);
      }
    }
    // Latency histograms: every 7th operation is slow (p95 above 2 s).
    for (int o = 0; o < kOperations; ++o) {
      const double rate = 0.5 + (o * 13) % 20;
      const double median = o % 7 == 0 ? 1.8 : 0.02 + 0.015 * (o % 10);
      Observe(&f[1].samples[o * (http_les.size() + 2)], http_les, Events(rng, rate * 15), median,
              1.0, rng);
    }
    for (int c = 0; c < kCommands; ++c) {
      const double rate = 0.05 + 0.1 * (c % 10);
      const double calls = Events(rng, rate * 15);
      const double errors = std::min(calls, Events(rng, calls * (c % 9 == 0 ? 0.15 : 0.02)));
      f[2].samples[c * 2].value += calls - errors;
      f[2].samples[c * 2 + 1].value += errors;
      Observe(&f[3].samples[c * (command_les.size() + 2)], command_les, calls,
              c % 6 == 0 ? 3.5 : 0.3 + 0.1 * (c % 5), 0.8, rng);
    }
    // Each repository syncs about every five minutes; every 37th keeps failing.
    for (int r = 0; r < kRepos; ++r) {
      if (rng.Uniform() >= 0.05) continue;
      const bool failed = rng.Uniform() < (r % 37 == 0 ? 0.7 : 0.02);
      f[4].samples[r * 2 + (failed ? 1 : 0)].value += 1;
    }
    for (size_t u = 0; u < f[5].samples.size(); ++u) {
      f[5].samples[u].value += Events(rng, 20.0 / static_cast<double>(u + 1));
    }
    for (size_t a = 0; a < f[6].samples.size(); ++a) {
      const double expected = a % 4 == 0 ? 10.0 / static_cast<double>(a / 4 + 1) : 0.2;
      f[6].samples[a].value += Events(rng, expected);
    }
    for (auto& queue : f[7].samples) {
      queue.value = std::max(0.0, queue.value + static_cast<double>(rng.Int(5) - 2));
    }
    f[8].samples[0].value = std::round(180e6 + 20e6 * std::sin(step / 40.0) + rng.Int(1 << 20));
    f[9].samples[0].value += std::round((1 + rng.Uniform()) * 100) / 100;
    f[10].samples[0].value = 40 + rng.Int(10);
  };
  return s;
}

Source GitHubSource() {
  Source s;
  s.name = "github";
  s.job = "github";
  s.instance = "api.github.com:443";
  s.offset_ms = 11000;
  const std::vector<std::pair<std::string, double>> resources = {
      {"core", 5000},
      {"search", 30},
      {"graphql", 5000},
      {"integration_manifest", 5000},
      {"source_import", 100},
      {"code_scanning_upload", 1000},
      {"actions_runner_registration", 10000},
      {"scim", 15000},
      {"dependency_snapshots", 100},
      {"code_search", 10}};
  const char* fields[] = {"github_api_rate_limit_limit", "github_api_rate_limit_remaining",
                          "github_api_rate_limit_used",
                          "github_api_rate_limit_reset_timestamp_seconds"};
  for (const char* field : fields) {
    auto& family = AddFamily(s, field, MetricType::kGauge);
    for (int a = 0; a < kAccounts; ++a) {
      for (const auto& [resource, limit] : resources) {
        family.Add({{"name", "codebot-sync-" + Pad(a)}, {"resource", resource}}, limit);
      }
    }
  }
  auto& up = AddFamily(s, "github_api_up", MetricType::kGauge);
  for (int a = 0; a < kAccounts; ++a) up.Add({{"name", "codebot-sync-" + Pad(a)}}, 1);

  s.update = [resources](Source& src, int step, Rng& rng) {
    auto& f = src.families;
    const size_t per_account = resources.size();
    for (int a = 0; a < kAccounts; ++a) {
      // Windows reset hourly at a per-account phase; every 6th account burns its quota fast.
      const int phase = (a * 17) % kSteps;
      const bool reset = (step + phase) % kSteps == 0;
      const double burn = a % 6 == 0 ? 0.004 : 0.0005;
      for (size_t r = 0; r < per_account; ++r) {
        const size_t i = a * per_account + r;
        const double limit = f[0].samples[i].value;
        double& remaining = f[1].samples[i].value;
        if (reset) remaining = limit;
        remaining = std::max(0.0, remaining - Events(rng, limit * burn));
        f[2].samples[i].value = limit - remaining;
        // When the window resets, in whole seconds as GitHub reports it.
        f[3].samples[i].value =
            static_cast<double>(1'700'000'000 + ((step + phase) / kSteps + 1) * 3600 - phase * 15);
      }
      f[4].samples[a].value = a == kAccounts - 1 ? 0 : 1;
    }
  };
  return s;
}

Source PostgresSource(int instance) {
  Source s;
  s.name = "postgres-" + std::to_string(instance);
  s.job = "postgres";
  s.instance = "pg-" + std::to_string(instance) + ".db.svc:5432";
  s.offset_ms = 12000 + 1000 * instance;
  std::vector<std::string> databases = {"codebot", "postgres", "template1"};
  for (int d = static_cast<int>(databases.size()); d < kDatabases; ++d) {
    databases.push_back("tenant_" + Pad(d));
  }
  const std::vector<std::string> states = {"active",
                                           "idle",
                                           "idle in transaction",
                                           "idle in transaction (aborted)",
                                           "fastpath function call",
                                           "disabled"};
  const std::vector<std::string> modes = {
      "accesssharelock",       "rowsharelock", "rowexclusivelock", "shareupdateexclusivelock",
      "sharerowexclusivelock", "sharelock",    "exclusivelock",    "accessexclusivelock"};
  AddFamily(s, "pg_up", MetricType::kGauge).Add({}, 1);
  AddFamily(s, "pg_settings_max_connections", MetricType::kGauge)
      .Add({}, instance == 0 ? 100 : 200);
  auto& activity = AddFamily(s, "pg_stat_activity_count", MetricType::kGauge);
  auto& tx = AddFamily(s, "pg_stat_activity_max_tx_duration", MetricType::kGauge);
  for (const auto& db : databases) {
    for (const auto& state : states) {
      activity.Add({{"datname", db}, {"state", state}}, 0);
      tx.Add({{"datname", db}, {"state", state}}, 0);
    }
  }
  auto& size = AddFamily(s, "pg_database_size_bytes", MetricType::kGauge);
  for (const auto& db : databases) size.Add({{"datname", db}}, 8e6);
  auto& locks = AddFamily(s, "pg_locks_count", MetricType::kGauge);
  for (const auto& db : databases) {
    for (const auto& mode : modes) locks.Add({{"datname", db}, {"mode", mode}}, 0);
  }
  for (const char* name : {"pg_stat_database_xact_commit", "pg_stat_database_xact_rollback",
                           "pg_stat_database_blks_hit", "pg_stat_database_blks_read",
                           "pg_stat_database_tup_fetched", "pg_stat_database_tup_inserted",
                           "pg_stat_database_tup_updated", "pg_stat_database_tup_deleted",
                           "pg_stat_database_deadlocks", "pg_stat_database_numbackends"}) {
    auto& family = AddFamily(s, name, MetricType::kCounter);
    for (const auto& db : databases) family.Add({{"datname", db}}, 0);
  }
  AddFamily(s, "pg_replication_lag_seconds", MetricType::kGauge).Add({}, 0);

  s.update = [instance](Source& src, int step, Rng& rng) {
    auto& f = src.families;
    const size_t state_count = 6;
    // The second server runs at ~85% of max_connections; one session on the first server has
    // been idle in a transaction since 20 minutes before the end.
    for (int d = 0; d < kDatabases; ++d) {
      const double busy = instance == 1 && d < 3 ? 50 : (d < 3 ? 8 : 1);
      for (size_t st = 0; st < state_count; ++st) {
        const size_t i = d * state_count + st;
        const double expected = st == 0 ? busy * 0.3 : (st == 1 ? busy * 0.6 : 0.2);
        f[2].samples[i].value = Events(rng, expected);
        double& duration = f[3].samples[i].value;
        if (instance == 0 && d == 0 && st == 2) {
          duration = step >= kSteps - 80 ? (step - (kSteps - 80)) * 15.0 + rng.Uniform() : 0;
        } else {
          duration = f[2].samples[i].value > 0 ? rng.Uniform() * 3 : 0;
        }
      }
      f[4].samples[d].value += std::round(rng.Uniform() * 8192) * (d < 3 ? 16 : 1);
      for (size_t m = 0; m < 8; ++m) {
        f[5].samples[d * 8 + m].value = Events(rng, m < 3 ? busy : 0.1);
      }
      for (size_t k = 6; k < 16; ++k) {
        const double per_step = k == 15 ? 0 : (k == 14 ? 0.01 : busy * (k == 8 ? 200 : 10));
        if (k == 15) {
          f[k].samples[d].value =
              f[2].samples[d * state_count].value + f[2].samples[d * state_count + 1].value;
        } else {
          f[k].samples[d].value += Events(rng, per_step);
        }
      }
    }
    f[16].samples[0].value = instance == 1 ? std::round(rng.Uniform() * 400) / 100 : 0;
  };
  return s;
}

// The whole sidecar's sources and their collections, step by step, deterministically.
class Workload {
 public:
  Workload() : rng_(20240601) {
    for (int i = 0; i < kBotInstances; ++i) sources_.push_back(BotSource(i));
    sources_.push_back(GitHubSource());
    for (int i = 0; i < 2; ++i) sources_.push_back(PostgresSource(i));
  }

  // The collections of step `step` (0 .. kSteps-1), the last one ending at or before end_ms.
  std::vector<collect::Collection> Step(int step, int64_t end_ms) {
    const int64_t base = end_ms - 15000 - static_cast<int64_t>(kSteps - 1 - step) * kIntervalMs;
    std::vector<collect::Collection> out;
    for (auto& source : sources_) {
      source.update(source, step, rng_);
      collect::Collection c;
      c.source = source.name;
      c.job = source.job;
      c.instance = source.instance;
      // A scheduler's jitter of a few milliseconds.
      c.timestamp_ms = base + source.offset_ms + rng_.Int(5) - 2;
      c.families = std::make_shared<const std::vector<Family>>(source.families);
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  Rng rng_;
  std::vector<Source> sources_;
};

struct Data {
  std::unique_ptr<prometheus::Registry> registry;
  int64_t now_ms = 0;
  std::unique_ptr<store::SeriesStore> store;
  store::SeriesStore::Stats filled;  // before any rule wrote to it
};

// The retention the rule manager asks of the store for the benchmark's rules.
store::RetentionPolicy RulesRetention() {
  prometheus::Registry registry;
  ManagerOptions options;
  options.registry = &registry;
  Manager manager(options);
  manager.SetManualEvaluation();
  manager.Update(LoadRuleFiles({GetFlags().rules_file}), RuleSettings{});
  return manager.Retention();
}

// The sample store after an hour of collections, as the sidecar would hold it.
std::unique_ptr<Data> FillStore(int64_t end_ms) {
  auto data = std::make_unique<Data>();
  data->registry = std::make_unique<prometheus::Registry>();
  store::SeriesStoreOptions options;
  Data* raw = data.get();
  options.clock = [raw] { return raw->now_ms; };
  data->store = std::make_unique<store::SeriesStore>(*data->registry, options);
  // What the sidecar does before its first collection: the rule manager's retention for these
  // rules, so that the series the rules read keep their newest samples ready to copy. Every
  // series is kept the whole hour (the default raised to the longest range plus the lookback),
  // so that Prometheus gets the same data set as always.
  store::RetentionPolicy policy = RulesRetention();
  policy.default_ms = std::max<int64_t>(policy.default_ms, kHourMs + 5 * 60 * 1000);
  data->store->SetRetention(std::move(policy));
  Workload workload;
  for (int step = 0; step < kSteps; ++step) {
    for (const auto& collection : workload.Step(step, end_ms)) {
      data->now_ms = collection.timestamp_ms;
      data->store->Publish(collection);
    }
  }
  data->filled = data->store->GetStats();
  return data;
}

std::vector<SeriesData> AllSeries(const store::SeriesStore& store) {
  std::vector<SeriesData> all;
  store.Select({Matcher(MatchType::kRegexMatch, "__name__", ".+")},
               std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &all);
  return all;
}

std::string FormatValue(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact form
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: every stored series with
// all its samples, exactly what the store holds (job, instance, up, scrape_samples_scraped).
int WriteOpenMetrics(const std::string& path, int64_t end_ms) {
  auto data = FillStore(end_ms);
  std::ofstream out(path);
  size_t samples = 0;
  const auto all = AllSeries(*data->store);
  for (const auto& series : all) {
    std::string head(LabelValue(series.labels, "__name__"));
    head += '{';
    bool first = true;
    for (const auto& label : series.labels) {
      if (label.name == "__name__") continue;
      if (!first) head += ',';
      first = false;
      head += label.name + "=\"" + EscapeLabelValue(label.value) + "\"";
    }
    head += "} ";
    for (const auto& point : series.points) {
      char ts[32];
      std::snprintf(ts, sizeof(ts), "%lld.%03lld", static_cast<long long>(point.t / 1000),
                    static_cast<long long>(point.t % 1000));
      out << head << FormatValue(point.v) << ' ' << ts << '\n';
      ++samples;
    }
  }
  out << "# EOF\n";
  out.close();
  std::fprintf(stderr, "wrote %zu series, %zu samples to %s\n", all.size(), samples, path.c_str());
  return out ? 0 : 1;
}

// --- Prometheus remote write: protobuf by hand, snappy as literals only ---------------------

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytesField(std::string* out, int field, std::string_view bytes) {
  PutVarint(out, static_cast<uint64_t>(field) << 3 | 2);
  PutVarint(out, bytes.size());
  out->append(bytes);
}

// prometheus.WriteRequest{timeseries: [{labels: [...], samples: [{value, timestamp}...]}]}.
std::string EncodeWriteRequest(const std::vector<SeriesData>& series, size_t begin, size_t end) {
  std::string request;
  std::string ts;
  std::string part;
  for (const auto& s : series) {
    ts.clear();
    for (const auto& label : s.labels) {
      part.clear();
      PutBytesField(&part, 1, label.name);
      PutBytesField(&part, 2, label.value);
      PutBytesField(&ts, 1, part);
    }
    bool any = false;
    for (size_t i = begin; i < end && i < s.points.size(); ++i) {
      part.clear();
      part.push_back(static_cast<char>(1 << 3 | 1));  // double, fixed64
      const auto bits = std::bit_cast<uint64_t>(s.points[i].v);
      for (int b = 0; b < 8; ++b) part.push_back(static_cast<char>(bits >> (8 * b)));
      PutVarint(&part, 2 << 3 | 0);  // int64, varint
      PutVarint(&part, static_cast<uint64_t>(s.points[i].t));
      PutBytesField(&ts, 2, part);
      any = true;
    }
    if (any) PutBytesField(&request, 1, ts);
  }
  return request;
}

// The snappy block format allows a body of nothing but literals: valid, merely uncompressed.
std::string SnappyLiterals(std::string_view data) {
  std::string out;
  PutVarint(&out, data.size());
  constexpr size_t kChunk = 65536;
  for (size_t pos = 0; pos < data.size(); pos += kChunk) {
    const size_t n = std::min(kChunk, data.size() - pos);
    const size_t len = n - 1;
    if (len < 60) {
      out.push_back(static_cast<char>(len << 2));
    } else if (len < 256) {
      out.push_back(static_cast<char>(60 << 2));
      out.push_back(static_cast<char>(len));
    } else {
      out.push_back(static_cast<char>(61 << 2));
      out.push_back(static_cast<char>(len & 0xff));
      out.push_back(static_cast<char>(len >> 8));
    }
    out.append(data.substr(pos, n));
  }
  return out;
}

// Bodies for Prometheus' remote-write receiver, in time order (every series' samples of 10
// collections per body), so that its head takes them as a scrape would: in order, in bounds.
int WriteRemoteWrite(const std::string& dir, int64_t end_ms) {
  auto data = FillStore(end_ms);
  const auto all = AllSeries(*data->store);
  std::filesystem::create_directories(dir);
  constexpr size_t kPerBody = 10;
  int bodies = 0;
  for (size_t begin = 0; begin < kSteps; begin += kPerBody) {
    const std::string body = SnappyLiterals(EncodeWriteRequest(all, begin, begin + kPerBody));
    char name[32];
    std::snprintf(name, sizeof(name), "/%03d.bin", bodies++);
    std::ofstream out(dir + name, std::ios::binary);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    if (!out) return 1;
  }
  std::fprintf(stderr, "wrote %zu series in %d bodies to %s\n", all.size(), bodies, dir.c_str());
  return 0;
}

// --- the benchmark ----------------------------------------------------------------------------

// Times what the engine spends inside the storage.
class TimedQueryable : public Queryable {
 public:
  explicit TimedQueryable(const Queryable& inner) : inner_(inner) {}
  void Select(const std::vector<Matcher>& matchers, int64_t mint, int64_t maxt,
              std::vector<SeriesData>* out) const override {
    const size_t before = out->size();
    const auto start = std::chrono::steady_clock::now();
    inner_.Select(matchers, mint, maxt, out);
    nanos_ += std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    ++calls_;
    series_ += out->size() - before;
    for (size_t i = before; i < out->size(); ++i) points_ += (*out)[i].points.size();
  }
  void Reset() const { nanos_ = calls_ = series_ = points_ = 0; }
  double millis() const { return static_cast<double>(nanos_) / 1e6; }
  int64_t calls() const { return calls_; }
  int64_t series() const { return series_; }
  int64_t points() const { return points_; }

 private:
  const Queryable& inner_;
  // Manual evaluation runs on the benchmark's thread only.
  mutable int64_t nanos_ = 0;
  mutable int64_t calls_ = 0;
  mutable int64_t series_ = 0;
  mutable int64_t points_ = 0;
};

// Rule results into MemoryStorage, for the reference run (no staleness: not needed there).
class MemoryWriter : public ResultWriter {
 public:
  explicit MemoryWriter(promql::MemoryStorage& storage) : storage_(storage) {}
  void Write(const std::string&, int64_t t_ms, const std::vector<OutputSample>& samples) override {
    for (const auto& sample : samples) storage_.Append(sample.labels, t_ms, sample.v);
  }
  void Forget(const std::string&) override {}

 private:
  promql::MemoryStorage& storage_;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Per-rule medians of the last run of each storage, printed after the benchmarks.
std::map<std::string, std::vector<std::pair<std::string, double>>>& RuleTables() {
  static std::map<std::string, std::vector<std::pair<std::string, double>>> tables;
  return tables;
}

void RunGroup(benchmark::State& state, const Queryable& storage, ResultWriter& writer,
              const std::string& label) {
  const Flags& flags = GetFlags();
  TimedQueryable timed(storage);
  prometheus::Registry registry;
  ManagerOptions options;
  options.storage = &timed;
  options.writer = &writer;
  options.registry = &registry;
  Manager manager(options);
  manager.SetManualEvaluation();
  RuleSettings settings;
  settings.evaluation_interval = std::chrono::seconds(1);
  manager.Update(LoadRuleFiles({flags.rules_file}), settings);
  const auto groups = manager.Groups();
  if (groups.size() != 1 || groups[0]->rules().size() != 20) {
    state.SkipWithError("the benchmark expects one group of 20 rules");
    return;
  }
  const auto& group = *groups[0];
  std::vector<double> group_ms;
  std::vector<double> select_ms;
  std::vector<double> calls;
  std::vector<double> series;
  std::vector<double> points;
  std::vector<std::vector<double>> rule_ms(group.rules().size());
  // Warm-up evaluations before the measured ones, as the script drops Prometheus' first ones.
  int64_t t = flags.end_ms + flags.eval_offset_ms - flags.warmup * 1000;
  for (int i = 0; i < flags.warmup; ++i, t += 1000) manager.EvaluateAll(t);
  for (auto _ : state) {
    timed.Reset();
    manager.EvaluateAll(t);
    t += 1000;
    group_ms.push_back(group.last_evaluation_seconds() * 1e3);
    select_ms.push_back(timed.millis());
    calls.push_back(static_cast<double>(timed.calls()));
    series.push_back(static_cast<double>(timed.series()));
    points.push_back(static_cast<double>(timed.points()));
    for (size_t i = 0; i < group.rules().size(); ++i) {
      rule_ms[i].push_back(group.rules()[i]->Status().evaluation_seconds * 1e3);
    }
  }
  for (const auto& rule : group.rules()) {
    if (rule->Status().health != RuleHealth::kOk) {
      state.SkipWithError(
          ("rule " + rule->name() + " failed: " + rule->Status().last_error).c_str());
      return;
    }
  }
  const double group_median = Median(group_ms);
  const double select_median = Median(select_ms);
  state.counters["group_ms"] = group_median;
  state.counters["group_min_ms"] = *std::min_element(group_ms.begin(), group_ms.end());
  state.counters["group_max_ms"] = *std::max_element(group_ms.begin(), group_ms.end());
  state.counters["select_ms"] = select_median;
  state.counters["engine_ms"] = group_median - select_median;
  state.counters["selects"] = Median(calls);
  state.counters["series_read"] = Median(series);
  state.counters["points_read"] = Median(points);
  state.counters["first_eval_s"] = static_cast<double>(flags.end_ms + flags.eval_offset_ms) / 1e3;
  // Samples the rules returned in the last evaluation (Prometheus'
  // prometheus_rule_group_last_evaluation_samples): both sides must have done the same work.
  for (const auto& family : registry.Collect()) {
    if (family.name == "codebot_exporter_rule_group_last_evaluation_samples" &&
        !family.metric.empty()) {
      state.counters["result_samples"] = family.metric[0].gauge.value;
    }
  }
  auto& table = RuleTables()[label];
  table.clear();
  for (size_t i = 0; i < group.rules().size(); ++i) {
    table.emplace_back(group.rules()[i]->name(), Median(rule_ms[i]));
  }
}

Data& StoreData() {
  static Data* data = FillStore(GetFlags().end_ms).release();
  return *data;
}

void BM_RuleGroupOverSeriesStore(benchmark::State& state) {
  Data& data = StoreData();
  StoreWriter writer(*data.store);
  RunGroup(state, *data.store, writer, "SeriesStore");
  state.counters["data_series"] = static_cast<double>(data.filled.series);
  state.counters["data_samples"] = static_cast<double>(data.filled.samples);
}

void BM_RuleGroupOverMemoryStorage(benchmark::State& state) {
  static promql::MemoryStorage* storage = [] {
    auto* memory = new promql::MemoryStorage;
    for (const auto& series : AllSeries(*StoreData().store)) {
      for (const auto& point : series.points) memory->Append(series.labels, point.t, point.v);
    }
    return memory;
  }();
  MemoryWriter writer(*storage);
  RunGroup(state, *storage, writer, "MemoryStorage");
}

void PrintRuleTables() {
  auto& tables = RuleTables();
  if (tables.empty()) return;
  std::fprintf(stderr, "\nmedian ms per rule");
  for (const auto& [label, rows] : tables) std::fprintf(stderr, "  %14s", label.c_str());
  std::fprintf(stderr, "\n");
  const auto& first = tables.begin()->second;
  for (size_t i = 0; i < first.size(); ++i) {
    std::fprintf(stderr, "  %-40s", first[i].first.c_str());
    for (const auto& [label, rows] : tables) {
      std::fprintf(stderr, "  %14.3f", i < rows.size() ? rows[i].second : NAN);
    }
    std::fprintf(stderr, "\n");
  }
}

bool TakeFlag(std::string_view arg, std::string_view name, std::string* value) {
  if (!arg.starts_with(name) || arg.size() <= name.size() || arg[name.size()] != '=') return false;
  *value = std::string(arg.substr(name.size() + 1));
  return true;
}

}  // namespace
}  // namespace codebot::rules

int main(int argc, char** argv) {
  using namespace codebot::rules;
  Flags& flags = GetFlags();
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string value;
    if (TakeFlag(arg, "--end_ms", &value)) {
      flags.end_ms = std::stoll(value);
    } else if (TakeFlag(arg, "--eval_offset_ms", &value)) {
      flags.eval_offset_ms = std::stoll(value);
    } else if (TakeFlag(arg, "--evaluations", &value)) {
      flags.evaluations = std::stoi(value);
    } else if (TakeFlag(arg, "--warmup", &value)) {
      flags.warmup = std::stoi(value);
    } else if (TakeFlag(arg, "--rules", &value)) {
      flags.rules_file = value;
    } else if (TakeFlag(arg, "--openmetrics", &value)) {
      flags.openmetrics = value;
    } else if (TakeFlag(arg, "--remote_write_dir", &value)) {
      flags.remote_write_dir = value;
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (!flags.openmetrics.empty()) return WriteOpenMetrics(flags.openmetrics, flags.end_ms);
  if (!flags.remote_write_dir.empty())
    return WriteRemoteWrite(flags.remote_write_dir, flags.end_ms);

  benchmark::RegisterBenchmark("BM_RuleGroupOverSeriesStore", BM_RuleGroupOverSeriesStore)
      ->Iterations(flags.evaluations)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_RuleGroupOverMemoryStorage", BM_RuleGroupOverMemoryStorage)
      ->Iterations(flags.evaluations)
      ->Unit(benchmark::kMillisecond);
  int count = static_cast<int>(rest.size());
  benchmark::Initialize(&count, rest.data());
  if (benchmark::ReportUnrecognizedArguments(count, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  PrintRuleTables();
  return 0;
}
