// The sample store the rule engine reads: every collected sample (bot, GitHub, PostgreSQL, self)
// and every rule result, kept in memory in compressed chunks, each series for as long as the
// rules that read it look back (the 5-minute lookback when none does), with the series identity,
// `up` and staleness a Prometheus server would give them. The newest samples of the series rules
// read wait plain before they are compressed, so that evaluations copy instead of decoding.
//
// It is bounded (retention and a series limit, both counted when they bite) and it never makes a
// collector or the rule evaluation wait for long: the index sits behind a shared_mutex taken
// exclusively only to add or remove a series, and every series has its own lock. It never
// touches the network and is never on the /metrics request path.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporter/collect/result_sink.h"
#include "exporter/core/metric.h"
#include "exporter/core/series.h"

namespace codebot::store {

namespace detail {
class Series;
struct CacheEntry;
struct Writer;
struct CompiledRetention;
struct SeriesRetention;
}  // namespace detail

// How long the series one selector of a rule matches must be kept: the rule reads them this far
// back (range + offset + the lookback of an instant selector, subqueries included). Selectors
// that read no further than the default count too: the series they match are read every
// evaluation, so the store keeps their newest samples ready to copy.
struct SelectorRetention {
  std::vector<Matcher> matchers;  // all of the selector's, __name__ included
  int64_t retention_ms = 0;
};

// Retention per series: a series is kept as long as the longest-reaching selector that matches
// it needs, and every other series (and every series at least) for default_ms, the 5 minutes an
// instant selector looks back. The rule manager builds it from the loaded rules.
struct RetentionPolicy {
  int64_t default_ms = int64_t{5} * 60 * 1000;
  std::vector<SelectorRetention> selectors;
};

struct SeriesStoreOptions {
  // New series beyond this are rejected (and counted): a bot that explodes its cardinality costs
  // a bounded amount of memory. The per-source `up` and `scrape_samples_scraped` are exempt.
  size_t max_series = 200000;
  // Until SetRetention() is called, every series: the 5 minutes an instant selector looks back.
  int64_t retention_ms = int64_t{5} * 60 * 1000;
  // Milliseconds since the epoch; retention and Forget() read it. Tests inject their own.
  std::function<int64_t()> clock;
};

// A sample whose labels are final (sorted or not, __name__ included): a rule result.
struct LabeledSample {
  Labels labels;
  double value = 0;
};

class SeriesStore : public collect::ResultSink, public Queryable {
 public:
  explicit SeriesStore(prometheus::Registry& registry, SeriesStoreOptions options = {});
  ~SeriesStore() override;
  SeriesStore(const SeriesStore&) = delete;
  SeriesStore& operator=(const SeriesStore&) = delete;

  // A collection, as Prometheus stores a scrape: each sample's labels plus __name__, job and
  // instance (a sample's own job/instance become exported_job/exported_instance), `up` and
  // `scrape_samples_scraped` for the source, and a stale marker on every series of the previous
  // collection that is missing from this one. Samples with an explicit timestamp are stored at
  // it and never stale-marked, as Prometheus does.
  void Publish(const collect::Collection& collection) override;
  // The source is gone: its series (and its `up`) get a stale marker now.
  void Forget(const std::string& source) override;

  // Rule results (recorded series, ALERTS, ALERTS_FOR_STATE) at an evaluation time: stored with
  // their labels as given, with staleness tracked per writer (e.g. one per rule group) like a
  // source: a series the writer wrote last time and not this time gets a stale marker.
  void Write(const std::string& writer, int64_t timestamp_ms,
             const std::vector<LabeledSample>& samples);
  // The writer is gone (its group was removed on reload): stale-mark what it wrote last.
  void ForgetWriter(const std::string& writer);

  void Select(const std::vector<Matcher>& matchers, int64_t mint, int64_t maxt,
              std::vector<SeriesData>* out) const override;

  // How long samples are kept, per series: each series gets the retention of the longest-reaching
  // selector of the policy that matches it (its labels, __name__ included), or the default.
  // Series created later get theirs when they are created; existing ones are recomputed here,
  // and the next Publish or Write sweeps what a shorter retention no longer keeps. A sample is
  // kept at least its series' retention and, because whole chunks are dropped, at most about
  // twice as long.
  void SetRetention(RetentionPolicy policy);
  // The same retention for every series.
  void SetRetention(int64_t retention_ms);
  // The longest retention of any series (what codebot_exporter_store_retention_seconds shows).
  int64_t retention_ms() const { return max_retention_ms_.load(std::memory_order_relaxed); }

  // Drops chunks whose newest sample is older than the retention and removes the series left
  // empty. Publish() and Write() call it by themselves every 30 s; public for tests and for
  // callers that want the memory back at once.
  void Sweep();

  struct Stats {
    size_t series = 0;
    size_t samples = 0;
    size_t chunks = 0;
    // Estimated heap bytes (malloc's rounding included): the encoded samples and their chunk
    // headers, and the fixed cost of the series (labels, lock, index and scrape-cache entries).
    size_t sample_bytes = 0;
    size_t series_bytes = 0;
    // Series kept longer than the policy's default because a selector reads them further back.
    size_t long_retention_series = 0;
  };
  Stats GetStats() const;

 private:
  using SeriesPtr = std::shared_ptr<detail::Series>;
  using Writers = std::map<std::string, std::shared_ptr<detail::Writer>>;
  enum class Outcome { kAppended, kUnchanged, kOutOfOrder, kDuplicate, kSeriesLimit };
  struct Tally;

  int64_t Now() const;
  std::shared_ptr<const detail::CompiledRetention> CurrentRetention() const;
  // Sets the series' retention and keeps the count of long ones (under the series' lock, or
  // before anyone else can see the series).
  void AssignRetention(detail::Series& series, const detail::SeriesRetention& retention,
                       int64_t default_ms);
  // The series with these labels (normalised), created when absent unless enforce_limit is set
  // and the series limit is reached: null then.
  SeriesPtr GetOrCreate(Labels labels, bool enforce_limit);
  Outcome AppendLocked(detail::Series& series, int64_t t, double v);
  // Into the series' chunks (the newest samples of a series that rules read wait in its
  // `recent` first); returns the change in accounted bytes.
  int64_t EncodeLocked(detail::Series& series, int64_t t, double v);
  // Appends to *series, following it to a fresh series when a sweep removed it meanwhile.
  Outcome Append(SeriesPtr* series, int64_t t, double v, bool enforce_limit);
  void AppendStale(const SeriesPtr& series, int64_t t);

  std::shared_ptr<detail::Writer> WriterFor(Writers& writers, const std::string& name);
  std::shared_ptr<detail::Writer> TakeWriter(Writers& writers, const std::string& name);
  detail::CacheEntry* AddEntry(detail::Writer& writer, const std::string& key, Labels labels);
  Outcome AppendEntry(detail::Writer& writer, detail::CacheEntry& entry, int64_t t, double v,
                      bool explicit_timestamp);
  // Stale-marks and forgets the writer's series that the current collection did not have.
  void EndIngest(detail::Writer& writer, int64_t timestamp_ms);
  void StaleAll(detail::Writer& writer, int64_t timestamp_ms);
  void AfterIngest(const std::string& who, detail::Writer& writer, const Tally& tally);
  void UpdateGauges();

  const size_t max_series_;
  const std::function<int64_t()> clock_;
  std::mutex set_retention_mutex_;      // one SetRetention at a time
  mutable std::mutex retention_mutex_;  // guards retention_ (the pointer, not what it points to)
  std::shared_ptr<const detail::CompiledRetention> retention_;
  std::atomic<int64_t> max_retention_ms_;
  std::atomic<int64_t> next_sweep_ms_{0};

  // The series of one metric name: by label hash for lookups, and in label order for Select,
  // which then returns them as they are instead of sorting its answer on every call.
  struct NameIndex {
    std::unordered_multimap<uint64_t, SeriesPtr> by_hash;
    std::vector<SeriesPtr> sorted;
  };
  // Index: metric name (in order) -> its series. Shared for lookups and Select, exclusive only
  // to add or remove a series.
  mutable std::shared_mutex index_mutex_;
  std::map<std::string, NameIndex, std::less<>> index_;

  std::mutex writers_mutex_;  // guards the two maps, not the writers in them
  Writers sources_;
  Writers rule_writers_;

  std::atomic<size_t> series_count_{0};
  std::atomic<size_t> sample_count_{0};
  std::atomic<size_t> chunk_count_{0};
  std::atomic<size_t> sample_bytes_{0};
  std::atomic<size_t> series_bytes_{0};
  std::atomic<size_t> long_retention_series_{0};

  prometheus::Gauge& series_gauge_;
  prometheus::Gauge& samples_gauge_;
  prometheus::Family<prometheus::Gauge>& bytes_family_;
  prometheus::Gauge& sample_bytes_gauge_;
  prometheus::Gauge& series_bytes_gauge_;
  prometheus::Gauge& retention_gauge_;
  prometheus::Gauge& long_retention_gauge_;
  prometheus::Gauge& limit_gauge_;
  prometheus::Counter& appended_;
  prometheus::Family<prometheus::Counter>& rejected_family_;
  prometheus::Counter& rejected_out_of_order_;
  prometheus::Counter& rejected_duplicate_;
  prometheus::Counter& rejected_series_limit_;
  prometheus::Counter& series_created_;
  prometheus::Counter& series_removed_;
};

}  // namespace codebot::store
