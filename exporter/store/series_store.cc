#include "exporter/store/series_store.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <utility>

#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "exporter/store/chunk.h"

namespace codebot::store {
namespace detail {
namespace {

// What glibc's malloc really takes for a request: 8 bytes of header, rounded up to 16, at least
// 32. Estimates that ignore it undercount small allocations (label strings, chunk buffers) by
// a third or more.
size_t MallocSize(size_t request) {
  if (request == 0) return 0;
  return std::max<size_t>(32, (request + 8 + 15) & ~size_t{15});
}

size_t StringHeapBytes(const std::string& s) {
  // Short strings live inside the std::string object.
  return s.capacity() > 15 ? MallocSize(s.capacity() + 1) : 0;
}

void AppendVarint(std::string* out, size_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

}  // namespace

// A series' labels in one allocation (varint length, bytes; name then value; sorted by name):
// a vector of std::string pairs costs 64 bytes per label before any text, and the labels are
// most of a series' fixed cost.
class PackedLabels {
 public:
  explicit PackedLabels(const Labels& labels) {
    for (const auto& label : labels) {
      AppendVarint(&data_, label.name.size());
      data_.append(label.name);
      AppendVarint(&data_, label.value.size());
      data_.append(label.value);
    }
    data_.shrink_to_fit();
  }

  // Calls fn(name, value) in order until it returns false.
  template <typename Fn>
  void ForEach(Fn fn) const {
    size_t pos = 0;
    while (pos < data_.size()) {
      const std::string_view name = Next(&pos);
      const std::string_view value = Next(&pos);
      if (!fn(name, value)) return;
    }
  }
  // The value of a label, "" when absent.
  std::string_view Get(std::string_view name) const {
    std::string_view found;
    ForEach([&](std::string_view n, std::string_view v) {
      if (n != name) return true;
      found = v;
      return false;
    });
    return found;
  }
  Labels Unpack() const {
    size_t count = 0;
    ForEach([&](std::string_view, std::string_view) {
      ++count;
      return true;
    });
    Labels labels;
    labels.reserve(count);
    ForEach([&](std::string_view n, std::string_view v) {
      labels.push_back({std::string(n), std::string(v)});
      return true;
    });
    return labels;
  }
  bool Equals(const Labels& labels) const {
    size_t i = 0;
    bool equal = true;
    ForEach([&](std::string_view n, std::string_view v) {
      equal = i < labels.size() && labels[i].name == n && labels[i].value == v;
      ++i;
      return equal;
    });
    return equal && i == labels.size();
  }
  // Labels' order (name, then value, label by label; a prefix first), on the packed form.
  bool Less(const PackedLabels& other) const {
    size_t a = 0;
    size_t b = 0;
    while (a < data_.size() && b < other.data_.size()) {
      for (int part = 0; part < 2; ++part) {
        const int order = Next(&a).compare(other.Next(&b));
        if (order != 0) return order < 0;
      }
    }
    return a >= data_.size() && b < other.data_.size();
  }
  const std::string& data() const { return data_; }

 private:
  std::string_view Next(size_t* pos) const {
    size_t size = 0;
    for (unsigned shift = 0;; shift += 7) {
      const auto byte = static_cast<uint8_t>(data_[(*pos)++]);
      size |= static_cast<size_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    const std::string_view part(data_.data() + *pos, size);
    *pos += size;
    return part;
  }

  std::string data_;
};

class Series {
 public:
  Series(const Labels& labels_in, uint64_t hash_in)
      : labels(labels_in), hash(hash_in), fixed_bytes(FixedBytes(labels)) {}

  // Immutable once the series is in the index: read without the lock.
  const PackedLabels labels;
  const uint64_t hash;
  const size_t fixed_bytes;

  std::mutex mutex;
  // Set (under the index's exclusive lock) when a sweep removes the series; an appender that
  // still holds it then goes through the index again.
  bool dead = false;
  std::vector<XorChunk> chunks;  // ascending time; the last one is the head being appended to
  size_t chunk_bytes = 0;        // as accounted in SeriesStore::sample_bytes_
  size_t samples = 0;

 private:
  static size_t FixedBytes(const PackedLabels& labels);
};

size_t Series::FixedBytes(const PackedLabels& labels) {
  // make_shared: one allocation for the control block and the series.
  size_t bytes = MallocSize(sizeof(Series) + 16) + StringHeapBytes(labels.data());
  // The index's node (next pointer, hash, shared_ptr) and its bucket slot, and the series' slot
  // in its name's label-ordered list.
  bytes += MallocSize(sizeof(void*) + sizeof(uint64_t) + sizeof(std::shared_ptr<Series>)) + 8;
  bytes += sizeof(std::shared_ptr<Series>);
  return bytes;
}

// What a source (or rule writer) had in its previous collection, keyed by the sample as the
// collector produced it, so that a known series costs one hash lookup and no label sorting
// (Prometheus' scrape cache does the same).
struct CacheEntry {
  std::shared_ptr<Series> series;
  uint64_t seen = 0;  // the writer's epoch when the series was last present
  bool explicit_timestamp = false;
  size_t bytes = 0;  // as accounted in SeriesStore::series_bytes_
};

struct Writer {
  std::mutex mutex;  // one collection (or Forget) of this source at a time
  bool started = false;
  std::string job;
  std::string instance;
  uint64_t epoch = 0;
  int64_t last_timestamp_ms = std::numeric_limits<int64_t>::min();
  std::unordered_map<std::string, CacheEntry> cache;
  std::shared_ptr<Series> up;
  std::shared_ptr<Series> samples_scraped;
  bool had_rejections = false;
};

}  // namespace detail

namespace {

using detail::AppendVarint;
using detail::CacheEntry;
using detail::MallocSize;
using detail::Series;
using detail::StringHeapBytes;
using detail::Writer;

constexpr int64_t kSweepIntervalMs = 30 * 1000;
// A head chunk spans at most the retention, but never less than this: with a tiny retention,
// one-sample chunks would cost more than the samples.
constexpr int64_t kMinChunkSpanMs = 60 * 1000;
constexpr std::string_view kMetricName = "__name__";

size_t EstimateCacheEntryBytes(const std::string& key) {
  // Node: next pointer, key, entry, cached hash; plus the key's heap and a bucket slot.
  return MallocSize(sizeof(void*) + sizeof(std::string) + sizeof(CacheEntry) + sizeof(size_t)) +
         StringHeapBytes(key) + 8;
}

size_t ChunkVectorBytes(const Series& series) {
  return MallocSize(series.chunks.capacity() * sizeof(XorChunk));
}

uint64_t HashLabels(const Labels& labels) {
  // FNV-1a with separators that valid UTF-8 never contains.
  uint64_t hash = 14695981039346656037ull;
  auto add = [&hash](std::string_view text, uint8_t separator) {
    for (char c : text) {
      hash ^= static_cast<uint8_t>(c);
      hash *= 1099511628211ull;
    }
    hash ^= separator;
    hash *= 1099511628211ull;
  };
  for (const auto& label : labels) {
    add(label.name, 0xfe);
    add(label.value, 0xff);
  }
  return hash;
}

void AppendKeyPart(std::string* key, std::string_view part) {
  AppendVarint(key, part.size());
  key->append(part);
}

// The scrape-cache key of a sample as produced: name and labels in their order,
// length-prefixed so that no label value can forge another sample's key.
void SampleKey(const Sample& sample, std::string* key) {
  key->clear();
  AppendKeyPart(key, sample.name);
  for (const auto& label : sample.labels) {
    AppendKeyPart(key, label.name);
    AppendKeyPart(key, label.value);
  }
}

void LabelsKey(const Labels& labels, std::string* key) {
  key->clear();
  for (const auto& label : labels) {
    AppendKeyPart(key, label.name);
    AppendKeyPart(key, label.value);
  }
}

// Sorted by name, empty values dropped (an empty label is an absent one), one value per name.
void Normalise(Labels* labels) {
  std::erase_if(*labels, [](const Label& label) { return label.value.empty(); });
  std::stable_sort(labels->begin(), labels->end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  labels->erase(std::unique(labels->begin(), labels->end(),
                            [](const Label& a, const Label& b) { return a.name == b.name; }),
                labels->end());
  labels->shrink_to_fit();
}

bool HasLabel(const Labels& labels, std::string_view name) {
  return std::any_of(labels.begin(), labels.end(),
                     [name](const Label& label) { return label.name == name; });
}

// The labels Prometheus gives a scraped sample with honor_labels: false: the target's job and
// instance win, the sample's own become exported_job / exported_instance (prefixed again while
// that name is taken too).
Labels TargetLabels(const Sample& sample, const std::string& job, const std::string& instance) {
  Labels labels;
  labels.reserve(sample.labels.size() + 3);
  for (const auto& label : sample.labels) {
    if (!label.value.empty() && label.name != kMetricName) labels.push_back(label);
  }
  for (const auto& [target, value] : {std::pair{"job", &job}, std::pair{"instance", &instance}}) {
    if (value->empty()) continue;
    for (auto& label : labels) {
      if (label.name != target) continue;
      std::string renamed = "exported_" + label.name;
      while (HasLabel(labels, renamed)) renamed = "exported_" + renamed;
      label.name = std::move(renamed);
      break;
    }
    labels.push_back({target, *value});
  }
  labels.push_back({std::string(kMetricName), sample.name});
  Normalise(&labels);
  return labels;
}

Labels ReportLabels(const char* name, const std::string& job, const std::string& instance) {
  Labels labels{{std::string(kMetricName), name}, {"instance", instance}, {"job", job}};
  Normalise(&labels);
  return labels;
}

}  // namespace

struct SeriesStore::Tally {
  size_t appended = 0;
  size_t out_of_order = 0;
  size_t duplicate = 0;
  size_t series_limit = 0;

  void Add(Outcome outcome) {
    switch (outcome) {
      case Outcome::kAppended:
        ++appended;
        break;
      case Outcome::kUnchanged:
        break;
      case Outcome::kOutOfOrder:
        ++out_of_order;
        break;
      case Outcome::kDuplicate:
        ++duplicate;
        break;
      case Outcome::kSeriesLimit:
        ++series_limit;
        break;
    }
  }
  size_t rejected() const { return out_of_order + duplicate + series_limit; }
};

SeriesStore::SeriesStore(prometheus::Registry& registry, SeriesStoreOptions options)
    : max_series_(options.max_series),
      clock_(options.clock ? std::move(options.clock) : std::function<int64_t()>(NowUnixMs)),
      retention_ms_(options.retention_ms),
      series_gauge_(prometheus::BuildGauge()
                        .Name("codebot_exporter_store_series")
                        .Help("Series in the sample store the alert rules read.")
                        .Register(registry)
                        .Add({})),
      samples_gauge_(prometheus::BuildGauge()
                         .Name("codebot_exporter_store_samples")
                         .Help("Samples in the sample store, stale markers included.")
                         .Register(registry)
                         .Add({})),
      bytes_family_(prometheus::BuildGauge()
                        .Name("codebot_exporter_store_bytes")
                        .Help("Estimated heap bytes of the sample store: encoded samples and "
                              "their chunk headers (part=samples), labels, locks and index "
                              "entries (part=series).")
                        .Register(registry)),
      sample_bytes_gauge_(bytes_family_.Add({{"part", "samples"}})),
      series_bytes_gauge_(bytes_family_.Add({{"part", "series"}})),
      retention_gauge_(prometheus::BuildGauge()
                           .Name("codebot_exporter_store_retention_seconds")
                           .Help("How long the sample store keeps samples (at least).")
                           .Register(registry)
                           .Add({})),
      limit_gauge_(prometheus::BuildGauge()
                       .Name("codebot_exporter_store_series_limit")
                       .Help("Series the sample store holds at most; new series beyond it are "
                             "rejected.")
                       .Register(registry)
                       .Add({})),
      appended_(prometheus::BuildCounter()
                    .Name("codebot_exporter_store_appended_samples_total")
                    .Help("Samples appended to the sample store, stale markers included.")
                    .Register(registry)
                    .Add({})),
      rejected_family_(prometheus::BuildCounter()
                           .Name("codebot_exporter_store_rejected_samples_total")
                           .Help("Samples the sample store dropped, by reason.")
                           .Register(registry)),
      rejected_out_of_order_(rejected_family_.Add({{"reason", "out_of_order"}})),
      rejected_duplicate_(rejected_family_.Add({{"reason", "duplicate"}})),
      rejected_series_limit_(rejected_family_.Add({{"reason", "series_limit"}})),
      series_created_(prometheus::BuildCounter()
                          .Name("codebot_exporter_store_series_created_total")
                          .Help("Series created in the sample store.")
                          .Register(registry)
                          .Add({})),
      series_removed_(prometheus::BuildCounter()
                          .Name("codebot_exporter_store_series_removed_total")
                          .Help("Series removed from the sample store once retention dropped "
                                "their last sample.")
                          .Register(registry)
                          .Add({})) {
  limit_gauge_.Set(static_cast<double>(max_series_));
  UpdateGauges();
}

SeriesStore::~SeriesStore() = default;

int64_t SeriesStore::Now() const { return clock_(); }

void SeriesStore::SetRetention(int64_t retention_ms) {
  retention_ms_.store(std::max<int64_t>(retention_ms, 0), std::memory_order_relaxed);
  retention_gauge_.Set(static_cast<double>(this->retention_ms()) / 1000.0);
}

SeriesStore::SeriesPtr SeriesStore::GetOrCreate(Labels labels, bool enforce_limit) {
  const uint64_t hash = HashLabels(labels);
  const std::string name(LabelValue(labels, kMetricName));
  auto find = [&]() -> SeriesPtr {
    auto bucket = index_.find(name);
    if (bucket == index_.end()) return nullptr;
    auto [begin, end] = bucket->second.by_hash.equal_range(hash);
    for (auto it = begin; it != end; ++it) {
      if (it->second->labels.Equals(labels)) return it->second;
    }
    return nullptr;
  };
  {
    std::shared_lock lock(index_mutex_);
    if (SeriesPtr found = find()) return found;
  }
  // Checked before the exclusive lock too, so that a cardinality explosion doesn't serialise
  // every collector on the index.
  if (enforce_limit && series_count_.load(std::memory_order_relaxed) >= max_series_) {
    return nullptr;
  }
  std::unique_lock lock(index_mutex_);
  if (SeriesPtr found = find()) return found;
  if (enforce_limit && series_count_.load(std::memory_order_relaxed) >= max_series_) {
    return nullptr;
  }
  auto series = std::make_shared<Series>(labels, hash);
  const size_t fixed_bytes = series->fixed_bytes;
  NameIndex& bucket = index_[name];
  bucket.by_hash.emplace(hash, series);
  auto position = std::upper_bound(
      bucket.sorted.begin(), bucket.sorted.end(), series,
      [](const SeriesPtr& a, const SeriesPtr& b) { return a->labels.Less(b->labels); });
  bucket.sorted.insert(position, series);
  series_count_.fetch_add(1, std::memory_order_relaxed);
  series_bytes_.fetch_add(fixed_bytes, std::memory_order_relaxed);
  series_created_.Increment();
  return series;
}

SeriesStore::Outcome SeriesStore::AppendLocked(Series& series, int64_t t, double v) {
  const uint64_t v_bits = std::bit_cast<uint64_t>(v);
  if (!series.chunks.empty()) {
    const XorChunk& head = series.chunks.back();
    if (t < head.max_t()) return Outcome::kOutOfOrder;
    if (t == head.max_t()) {
      // The same sample again is no news (Prometheus accepts it silently); another value at the
      // same time is a conflict.
      return head.last_value_bits() == v_bits ? Outcome::kUnchanged : Outcome::kDuplicate;
    }
  }
  int64_t bytes_delta = 0;
  const bool cut = series.chunks.empty() || series.chunks.back().full() ||
                   t - series.chunks.back().min_t() >= std::max(retention_ms(), kMinChunkSpanMs);
  if (cut) {
    // Cutting by time as well as by count keeps a head chunk from outliving the retention by
    // more than one retention period, whatever the interval.
    if (!series.chunks.empty()) {
      XorChunk& old = series.chunks.back();
      bytes_delta -= static_cast<int64_t>(MallocSize(old.HeapBytes()));
      old.Seal();
      bytes_delta += static_cast<int64_t>(MallocSize(old.HeapBytes()));
    }
    bytes_delta -= static_cast<int64_t>(ChunkVectorBytes(series));
    series.chunks.emplace_back();
    bytes_delta += static_cast<int64_t>(ChunkVectorBytes(series));
    chunk_count_.fetch_add(1, std::memory_order_relaxed);
  }
  XorChunk& head = series.chunks.back();
  bytes_delta -= static_cast<int64_t>(MallocSize(head.HeapBytes()));
  head.Append(t, v);
  bytes_delta += static_cast<int64_t>(MallocSize(head.HeapBytes()));
  series.chunk_bytes = static_cast<size_t>(static_cast<int64_t>(series.chunk_bytes) + bytes_delta);
  ++series.samples;
  // Unsigned wrap-around makes a negative delta a subtraction.
  sample_bytes_.fetch_add(static_cast<size_t>(bytes_delta), std::memory_order_relaxed);
  sample_count_.fetch_add(1, std::memory_order_relaxed);
  return Outcome::kAppended;
}

SeriesStore::Outcome SeriesStore::Append(SeriesPtr* series, int64_t t, double v,
                                         bool enforce_limit) {
  for (;;) {
    Series& current = **series;
    {
      std::lock_guard lock(current.mutex);
      if (!current.dead) return AppendLocked(current, t, v);
    }
    // A sweep removed the series after its last sample expired: it starts again.
    *series = GetOrCreate(current.labels.Unpack(), enforce_limit);
    if (*series == nullptr) return Outcome::kSeriesLimit;
  }
}

void SeriesStore::AppendStale(const SeriesPtr& series, int64_t t) {
  if (series == nullptr) return;
  std::lock_guard lock(series->mutex);
  // A removed series has nothing left to end; a series already stale, or with a sample at or
  // after t (a clock step), gets no marker: Prometheus ignores those errors for markers too.
  if (series->dead || series->chunks.empty()) return;
  const XorChunk& head = series->chunks.back();
  if (t <= head.max_t() || IsStaleNaN(std::bit_cast<double>(head.last_value_bits()))) return;
  if (AppendLocked(*series, t, StaleNaN()) == Outcome::kAppended) appended_.Increment();
}

CacheEntry* SeriesStore::AddEntry(Writer& writer, const std::string& key, Labels labels) {
  SeriesPtr series = GetOrCreate(std::move(labels), true);
  if (series == nullptr) return nullptr;
  CacheEntry& entry = writer.cache[key];
  entry.series = std::move(series);
  entry.bytes = EstimateCacheEntryBytes(key);
  series_bytes_.fetch_add(entry.bytes, std::memory_order_relaxed);
  return &entry;
}

SeriesStore::Outcome SeriesStore::AppendEntry(Writer& writer, CacheEntry& entry, int64_t t,
                                              double v, bool explicit_timestamp) {
  entry.seen = writer.epoch;
  entry.explicit_timestamp = explicit_timestamp;
  const Outcome outcome = Append(&entry.series, t, v, true);
  // The series was swept and could not come back under the limit: drop the entry at the end.
  if (entry.series == nullptr) entry.seen = 0;
  return outcome;
}

void SeriesStore::EndIngest(Writer& writer, int64_t timestamp_ms) {
  for (auto it = writer.cache.begin(); it != writer.cache.end();) {
    CacheEntry& entry = it->second;
    if (entry.seen == writer.epoch) {
      ++it;
      continue;
    }
    // Gone since the previous collection: stale from now, unless its samples carried their own
    // timestamps (Prometheus can't tell when such a series ends, so it never marks them).
    if (!entry.explicit_timestamp) AppendStale(entry.series, timestamp_ms);
    series_bytes_.fetch_sub(entry.bytes, std::memory_order_relaxed);
    it = writer.cache.erase(it);
  }
}

void SeriesStore::StaleAll(Writer& writer, int64_t timestamp_ms) {
  ++writer.epoch;  // nothing is present any more
  EndIngest(writer, timestamp_ms);
  AppendStale(writer.up, timestamp_ms);
  AppendStale(writer.samples_scraped, timestamp_ms);
  writer.up = nullptr;
  writer.samples_scraped = nullptr;
}

std::shared_ptr<Writer> SeriesStore::WriterFor(
    std::map<std::string, std::shared_ptr<Writer>>& writers, const std::string& name) {
  std::lock_guard lock(writers_mutex_);
  auto& writer = writers[name];
  if (writer == nullptr) writer = std::make_shared<Writer>();
  return writer;
}

std::shared_ptr<Writer> SeriesStore::TakeWriter(
    std::map<std::string, std::shared_ptr<Writer>>& writers, const std::string& name) {
  std::lock_guard lock(writers_mutex_);
  auto it = writers.find(name);
  if (it == writers.end()) return nullptr;
  std::shared_ptr<Writer> writer = std::move(it->second);
  writers.erase(it);
  return writer;
}

void SeriesStore::Publish(const collect::Collection& collection) {
  const std::shared_ptr<Writer> writer = WriterFor(sources_, collection.source);
  std::lock_guard lock(writer->mutex);
  const int64_t ts = collection.timestamp_ms;
  if (writer->started &&
      (writer->job != collection.job || writer->instance != collection.instance)) {
    // Another target under the same source name: what the old one had ends here.
    StaleAll(*writer, ts);
  }
  writer->started = true;
  writer->job = collection.job;
  writer->instance = collection.instance;
  writer->last_timestamp_ms = std::max(writer->last_timestamp_ms, ts);
  ++writer->epoch;

  static const std::vector<Family> kNoFamilies;
  const std::vector<Family>& families = collection.families ? *collection.families : kNoFamilies;
  size_t sample_count = 0;
  for (const auto& family : families) sample_count += family.samples.size();

  Tally tally;
  // The report series first, so that a relayed sample that collides with them is the one
  // dropped. They are exempt from the series limit: `up` must exist for the alerts about it.
  if (writer->up == nullptr) {
    writer->up = GetOrCreate(ReportLabels("up", writer->job, writer->instance), false);
  }
  if (writer->samples_scraped == nullptr) {
    writer->samples_scraped =
        GetOrCreate(ReportLabels("scrape_samples_scraped", writer->job, writer->instance), false);
  }
  tally.Add(Append(&writer->up, ts, collection.ok ? 1 : 0, false));
  tally.Add(Append(&writer->samples_scraped, ts, static_cast<double>(sample_count), false));

  std::string key;
  for (const auto& family : families) {
    for (const auto& sample : family.samples) {
      SampleKey(sample, &key);
      auto it = writer->cache.find(key);
      CacheEntry* entry = it != writer->cache.end() ? &it->second : nullptr;
      if (entry == nullptr) {
        entry = AddEntry(*writer, key, TargetLabels(sample, writer->job, writer->instance));
        if (entry == nullptr) {
          tally.Add(Outcome::kSeriesLimit);
          continue;
        }
      }
      tally.Add(AppendEntry(*writer, *entry, sample.timestamp_ms.value_or(ts), sample.value,
                            sample.timestamp_ms.has_value()));
    }
  }
  EndIngest(*writer, ts);
  AfterIngest(collection.source, *writer, tally);
}

void SeriesStore::Forget(const std::string& source) {
  const std::shared_ptr<Writer> writer = TakeWriter(sources_, source);
  if (writer == nullptr) return;
  std::lock_guard lock(writer->mutex);
  if (writer->started) {
    StaleAll(*writer, std::max(Now(), writer->last_timestamp_ms + 1));
  }
  UpdateGauges();
}

void SeriesStore::Write(const std::string& writer_name, int64_t timestamp_ms,
                        const std::vector<LabeledSample>& samples) {
  const std::shared_ptr<Writer> writer = WriterFor(rule_writers_, writer_name);
  std::lock_guard lock(writer->mutex);
  writer->started = true;
  writer->last_timestamp_ms = std::max(writer->last_timestamp_ms, timestamp_ms);
  ++writer->epoch;
  Tally tally;
  std::string key;
  for (const auto& sample : samples) {
    Labels labels = sample.labels;
    Normalise(&labels);
    LabelsKey(labels, &key);
    auto it = writer->cache.find(key);
    CacheEntry* entry = it != writer->cache.end() ? &it->second : nullptr;
    if (entry == nullptr) {
      entry = AddEntry(*writer, key, std::move(labels));
      if (entry == nullptr) {
        tally.Add(Outcome::kSeriesLimit);
        continue;
      }
    }
    tally.Add(AppendEntry(*writer, *entry, timestamp_ms, sample.value, false));
  }
  EndIngest(*writer, timestamp_ms);
  AfterIngest(writer_name, *writer, tally);
}

void SeriesStore::ForgetWriter(const std::string& writer_name) {
  const std::shared_ptr<Writer> writer = TakeWriter(rule_writers_, writer_name);
  if (writer == nullptr) return;
  std::lock_guard lock(writer->mutex);
  if (writer->started) {
    StaleAll(*writer, std::max(Now(), writer->last_timestamp_ms + 1));
  }
  UpdateGauges();
}

void SeriesStore::AfterIngest(const std::string& who, Writer& writer, const Tally& tally) {
  appended_.Increment(static_cast<double>(tally.appended));
  if (tally.out_of_order > 0) rejected_out_of_order_.Increment(tally.out_of_order);
  if (tally.duplicate > 0) rejected_duplicate_.Increment(tally.duplicate);
  if (tally.series_limit > 0) rejected_series_limit_.Increment(tally.series_limit);
  if (tally.rejected() > 0) {
    // One warning when a writer starts having rejections; debug while it goes on.
    log::Write(writer.had_rejections ? log::Level::kDebug : log::Level::kWarn,
               "sample store dropped samples",
               {{"source", who},
                {"out_of_order", tally.out_of_order},
                {"duplicate", tally.duplicate},
                {"series_limit", tally.series_limit},
                {"max_series", max_series_}});
  }
  writer.had_rejections = tally.rejected() > 0;

  const int64_t now = Now();
  int64_t next = next_sweep_ms_.load(std::memory_order_relaxed);
  if (now >= next && next_sweep_ms_.compare_exchange_strong(next, now + kSweepIntervalMs)) {
    Sweep();
  } else {
    UpdateGauges();
  }
}

void SeriesStore::Sweep() {
  const int64_t cutoff = Now() - retention_ms();
  std::vector<SeriesPtr> emptied;
  {
    // Shared: appenders of existing series and Select go on; only new series wait.
    std::shared_lock lock(index_mutex_);
    for (const auto& [name, bucket] : index_) {
      for (const auto& series : bucket.sorted) {
        std::lock_guard series_lock(series->mutex);
        auto& chunks = series->chunks;
        auto keep = std::find_if(chunks.begin(), chunks.end(),
                                 [cutoff](const XorChunk& c) { return c.max_t() >= cutoff; });
        if (keep != chunks.begin()) {
          size_t dropped_samples = 0;
          for (auto it = chunks.begin(); it != keep; ++it) dropped_samples += it->count();
          chunk_count_.fetch_sub(static_cast<size_t>(keep - chunks.begin()),
                                 std::memory_order_relaxed);
          chunks.erase(chunks.begin(), keep);
          if (chunks.empty()) std::vector<XorChunk>().swap(chunks);
          size_t bytes = ChunkVectorBytes(*series);
          for (const auto& chunk : chunks) bytes += MallocSize(chunk.HeapBytes());
          sample_bytes_.fetch_sub(series->chunk_bytes - bytes, std::memory_order_relaxed);
          series->chunk_bytes = bytes;
          series->samples -= dropped_samples;
          sample_count_.fetch_sub(dropped_samples, std::memory_order_relaxed);
        }
        if (chunks.empty()) emptied.push_back(series);
      }
    }
  }
  if (!emptied.empty()) {
    std::unique_lock lock(index_mutex_);
    for (const auto& series : emptied) {
      std::lock_guard series_lock(series->mutex);
      // Appended to since the first pass, or already gone: keep / skip.
      if (!series->chunks.empty() || series->dead) continue;
      series->dead = true;
      auto bucket = index_.find(series->labels.Get(kMetricName));
      if (bucket == index_.end()) continue;
      auto& by_hash = bucket->second.by_hash;
      auto [begin, end] = by_hash.equal_range(series->hash);
      for (auto it = begin; it != end; ++it) {
        if (it->second == series) {
          by_hash.erase(it);
          break;
        }
      }
      auto& sorted = bucket->second.sorted;
      auto position = std::lower_bound(
          sorted.begin(), sorted.end(), series,
          [](const SeriesPtr& a, const SeriesPtr& b) { return a->labels.Less(b->labels); });
      if (position != sorted.end() && *position == series) sorted.erase(position);
      if (by_hash.empty()) index_.erase(bucket);
      series_count_.fetch_sub(1, std::memory_order_relaxed);
      series_bytes_.fetch_sub(series->fixed_bytes, std::memory_order_relaxed);
      series_removed_.Increment();
    }
  }
  UpdateGauges();
}

void SeriesStore::Select(const std::vector<Matcher>& matchers, int64_t mint, int64_t maxt,
                         std::vector<SeriesData>* out) const {
  if (mint > maxt) return;
  const Matcher* name_equal = nullptr;
  for (const auto& matcher : matchers) {
    if (matcher.name() == kMetricName && matcher.type() == MatchType::kEqual) {
      name_equal = &matcher;
      break;
    }
  }
  std::vector<SeriesPtr> candidates;
  // Where each metric name's series start in `candidates`: within a name they are in label
  // order already, across names only the seams need a look.
  std::vector<size_t> name_starts;
  {
    std::shared_lock lock(index_mutex_);
    auto consider = [&](const std::string& name, const NameIndex& bucket) {
      // Name matchers are decided once per metric name, the others per series.
      for (const auto& matcher : matchers) {
        if (matcher.name() == kMetricName && !matcher.Matches(name)) return;
      }
      name_starts.push_back(candidates.size());
      for (const auto& series : bucket.sorted) {
        const bool match = std::all_of(matchers.begin(), matchers.end(), [&](const Matcher& m) {
          return m.name() == kMetricName || m.Matches(series->labels.Get(m.name()));
        });
        if (match) candidates.push_back(series);
      }
    };
    if (name_equal != nullptr) {
      auto bucket = index_.find(name_equal->value());
      if (bucket != index_.end()) consider(bucket->first, bucket->second);
    } else {
      for (const auto& [name, bucket] : index_) consider(name, bucket);
    }
  }
  const size_t first = out->size();
  std::vector<size_t> seams;  // positions in *out where a new metric name starts
  size_t next_name = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (next_name < name_starts.size() && name_starts[next_name] == i) {
      while (next_name < name_starts.size() && name_starts[next_name] == i) ++next_name;
      if (out->size() > first) seams.push_back(out->size());
    }
    Series& series = *candidates[i];
    SeriesData data;
    {
      std::lock_guard lock(series.mutex);
      if (series.dead) continue;
      // Readers start at the chunk checkpoint closest before mint, so that the last minutes of
      // a chunk cost a fraction of decoding it whole.
      size_t upper_bound = 0;
      for (const auto& chunk : series.chunks) {
        if (chunk.max_t() < mint) continue;
        if (chunk.min_t() > maxt) break;
        XorChunk::Reader reader(chunk);
        if (chunk.min_t() < mint) reader.SkipOlderThan(mint);
        upper_bound += reader.remaining();
      }
      if (upper_bound == 0) continue;
      data.points.reserve(upper_bound);
      for (const auto& chunk : series.chunks) {
        if (chunk.max_t() < mint) continue;
        if (chunk.min_t() > maxt) break;
        XorChunk::Reader reader(chunk);
        if (chunk.min_t() < mint) {
          reader.SkipOlderThan(mint);
          while (reader.Next()) {
            if (reader.t() < mint) continue;
            if (reader.t() <= maxt) data.points.push_back({reader.t(), reader.v()});
            break;
          }
        }
        while (reader.Next() && reader.t() <= maxt) data.points.push_back({reader.t(), reader.v()});
      }
    }
    if (data.points.empty()) continue;
    data.labels = series.labels.Unpack();
    out->push_back(std::move(data));
  }
  // Names in order give series in label order unless a label name sorts before __name__
  // (an upper-case one, say): only then is there something to sort.
  const auto less = [](const SeriesData& a, const SeriesData& b) { return a.labels < b.labels; };
  for (size_t seam : seams) {
    if (seam < out->size() && less((*out)[seam], (*out)[seam - 1])) {
      std::sort(out->begin() + static_cast<ptrdiff_t>(first), out->end(), less);
      break;
    }
  }
}

SeriesStore::Stats SeriesStore::GetStats() const {
  Stats stats;
  stats.series = series_count_.load(std::memory_order_relaxed);
  stats.samples = sample_count_.load(std::memory_order_relaxed);
  stats.chunks = chunk_count_.load(std::memory_order_relaxed);
  stats.sample_bytes = sample_bytes_.load(std::memory_order_relaxed);
  stats.series_bytes = series_bytes_.load(std::memory_order_relaxed);
  return stats;
}

void SeriesStore::UpdateGauges() {
  const Stats stats = GetStats();
  series_gauge_.Set(static_cast<double>(stats.series));
  samples_gauge_.Set(static_cast<double>(stats.samples));
  sample_bytes_gauge_.Set(static_cast<double>(stats.sample_bytes));
  series_bytes_gauge_.Set(static_cast<double>(stats.series_bytes));
  retention_gauge_.Set(static_cast<double>(retention_ms()) / 1000.0);
}

}  // namespace codebot::store
