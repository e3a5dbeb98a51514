#include "exporter/store/series_store.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <utility>

#include "exporter/core/labels.h"
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
    Labels labels;
    UnpackInto(&labels);
    return labels;
  }
  // Into an empty vector: one pass to count, one to append each name and value to an empty
  // string (a plain copy of the bytes; assigning or building temporaries and moving them took up
  // to a third longer, and Select does this for every series it returns).
  void UnpackInto(Labels* labels) const {
    size_t count = 0;
    ForEach([&](std::string_view, std::string_view) {
      ++count;
      return true;
    });
    labels->resize(count);
    Label* label = labels->data();
    ForEach([&](std::string_view n, std::string_view v) {
      label->name.append(n.data(), n.size());
      label->value.append(v.data(), v.size());
      ++label;
      return true;
    });
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

// The newest samples of a series that rules read, plain instead of in its chunks: Select copies
// them instead of decoding, which was most of a rule evaluation's time (decoding is a chain of
// dependent bit operations, about 15 ns a sample). It holds what the rules that read the series
// reach back to (their longest range + offset, at most kMaxRecentMs); older samples move on
// into the chunks. 12 bytes a sample (a 32-bit offset from a base time, and the value): a
// series read over 5 minutes costs about 300 bytes at 15 s, and series no rule reads have none.
class RecentSamples {
 public:
  // Beyond an hour, the chunks are decoded: days of plain samples would cost more memory than
  // the time they save.
  static constexpr int64_t kMaxRecentMs = int64_t{3600} * 1000;
  // However fast a series is collected.
  static constexpr size_t kMaxSamples = 512;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  int64_t time(size_t i) const { return base_ + Offset(Slot(i)); }
  double value(size_t i) const { return values()[Slot(i)]; }
  int64_t oldest_t() const { return time(0); }
  int64_t newest_t() const { return time(size_ - 1); }
  uint64_t newest_bits() const { return std::bit_cast<uint64_t>(value(size_ - 1)); }

  // Appends a sample newer than every other; there must be fewer than kMaxSamples (the caller
  // moves the oldest out first).
  void Push(int64_t t, double v) {
    if (size_ == capacity_) {
      Resize(std::min<size_t>(kMaxSamples, std::max<size_t>(8, size_t{capacity_} * 2)));
    }
    if (size_ == 0) base_ = t;
    if (t - base_ > INT32_MAX) Rebase(t);
    const uint32_t slot = Slot(size_);
    SetOffset(slot, static_cast<int32_t>(t - base_));
    values()[slot] = v;
    ++size_;
  }
  // Whether the oldest sample is no longer needed here once a sample at `newest` comes: the
  // one after it is older than the window too (the newest sample older than the window stays,
  // so that a read starting anywhere inside the window finds its start here), or there is no
  // room.
  bool OldestExpired(int64_t newest, int64_t window_ms) const {
    return size_ >= kMaxSamples || (size_ > 1 && time(1) < newest - window_ms);
  }
  std::pair<int64_t, double> PopOldest() {
    const std::pair<int64_t, double> oldest{time(0), value(0)};
    head_ = Slot(1);
    --size_;
    return oldest;
  }
  // After samples left: gives back what doubling left spare once the window holds as many
  // samples as it will (give or take the jitter), and again when it shrinks (a reload).
  void Fit() {
    if (size_ == 0) {
      Clear();
    } else if (capacity_ > Fitting(size_ + 1)) {
      Resize(Fitting(size_ + 1));
    }
  }
  void Clear() {
    data_.reset();
    capacity_ = head_ = size_ = 0;
  }
  size_t HeapBytes() const { return Doubles(capacity_) * sizeof(double); }

  // The samples i with mint <= time(i) <= maxt: [*begin, *end).
  void Range(int64_t mint, int64_t maxt, size_t* begin, size_t* end) const {
    size_t lo = 0;
    size_t hi = size_;
    while (lo < hi) {  // the first at or after mint
      const size_t mid = (lo + hi) / 2;
      if (time(mid) < mint) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    *begin = lo;
    // Rules read up to the evaluation time, mostly past the newest sample.
    if (size_ == 0 || newest_t() <= maxt) {
      *end = size_;
      return;
    }
    hi = size_;
    while (lo < hi) {  // the first after maxt
      const size_t mid = (lo + hi) / 2;
      if (time(mid) <= maxt) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    *end = lo;
  }
  void AppendTo(size_t begin, size_t end, std::vector<Point>* out) const {
    for (size_t i = begin; i < end; ++i) {
      const uint32_t slot = Slot(i);
      out->push_back({base_ + Offset(slot), values()[slot]});
    }
  }

 private:
  uint32_t Slot(size_t i) const {
    const size_t slot = head_ + i;
    return static_cast<uint32_t>(slot >= capacity_ ? slot - capacity_ : slot);
  }
  // One allocation: the values, then the offsets.
  double* values() const { return data_.get(); }
  int32_t Offset(uint32_t slot) const {
    int32_t offset;
    std::memcpy(&offset, reinterpret_cast<const char*>(data_.get() + capacity_) + size_t{4} * slot,
                4);
    return offset;
  }
  void SetOffset(uint32_t slot, int32_t offset) {
    std::memcpy(reinterpret_cast<char*>(data_.get() + capacity_) + size_t{4} * slot, &offset, 4);
  }
  // Room for n samples and a little jitter in how many a window holds.
  static size_t Fitting(size_t n) { return std::min<size_t>(kMaxSamples, n + n / 8 + 2); }
  // The values, then the 32-bit offsets two to a double.
  static size_t Doubles(size_t capacity) { return capacity + (capacity + 1) / 2; }
  void Resize(size_t capacity) {
    std::unique_ptr<double[]> data(new double[Doubles(capacity)]);
    std::swap(data, data_);
    const size_t old_capacity = capacity_;
    const uint32_t old_head = head_;
    capacity_ = static_cast<uint32_t>(capacity);
    head_ = 0;
    for (size_t i = 0; i < size_; ++i) {
      size_t old_slot = old_head + i;
      if (old_slot >= old_capacity) old_slot -= old_capacity;
      int32_t offset;
      std::memcpy(&offset,
                  reinterpret_cast<const char*>(data.get() + old_capacity) + size_t{4} * old_slot,
                  4);
      values()[i] = data[old_slot];
      SetOffset(static_cast<uint32_t>(i), offset);
    }
  }
  // Offsets count from the oldest sample again (after 24 days of a series kept in here).
  void Rebase(int64_t t) {
    const int64_t base = size_ > 0 ? oldest_t() : t;
    for (size_t i = 0; i < size_; ++i) {
      SetOffset(Slot(i), static_cast<int32_t>(time(i) - base));
    }
    base_ = base;
  }

  std::unique_ptr<double[]> data_;
  int64_t base_ = 0;
  uint32_t capacity_ = 0;
  uint32_t head_ = 0;  // the oldest
  uint32_t size_ = 0;
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
  // The series' retention (see RetentionPolicy) and whether it is longer than the default.
  bool long_retention = false;
  int64_t retention_ms = 0;
  // How far back the rules that read it reach (0: no rule reads it): `recent` holds that much.
  int64_t recent_ms = 0;
  // Ascending time; the last one is the head being appended to. The newest samples are in
  // `recent` instead while rules read the series.
  std::vector<XorChunk> chunks;
  RecentSamples recent;
  size_t chunk_bytes = 0;  // chunks and recent, as accounted in SeriesStore::sample_bytes_
  size_t samples = 0;

  bool empty() const { return chunks.empty() && recent.empty(); }
  // Of the newest sample; only when not empty.
  int64_t newest_t() const { return !recent.empty() ? recent.newest_t() : chunks.back().max_t(); }
  uint64_t newest_bits() const {
    return !recent.empty() ? recent.newest_bits() : chunks.back().last_value_bits();
  }

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

// What the policy gives one series.
struct SeriesRetention {
  int64_t retention_ms = 0;
  int64_t read_ms = 0;  // the longest reach of the selectors that match it; 0: none does
};

// A RetentionPolicy ready for matching: its selectors found by metric name where they name one.
struct CompiledRetention {
  int64_t default_ms = 0;
  int64_t max_ms = 0;
  std::vector<SelectorRetention> selectors;
  std::map<std::string, std::vector<size_t>, std::less<>> by_name;  // __name__="x" selectors
  std::vector<size_t> any_name;                                     // the others

  explicit CompiledRetention(RetentionPolicy policy) {
    default_ms = std::max<int64_t>(policy.default_ms, 0);
    max_ms = default_ms;
    for (auto& selector : policy.selectors) {
      max_ms = std::max(max_ms, selector.retention_ms);
      const size_t index = selectors.size();
      const auto name = std::find_if(
          selector.matchers.begin(), selector.matchers.end(),
          [](const Matcher& m) { return m.type() == MatchType::kEqual && m.name() == "__name__"; });
      if (name != selector.matchers.end()) {
        by_name[name->value()].push_back(index);
      } else {
        any_name.push_back(index);
      }
      selectors.push_back(std::move(selector));
    }
  }

  // The retention of a series named `name` whose label values get(label name) returns.
  template <typename Get>
  SeriesRetention For(std::string_view name, const Get& get) const {
    SeriesRetention result{default_ms, 0};
    const auto consider = [&](size_t index) {
      const SelectorRetention& selector = selectors[index];
      if (selector.retention_ms <= result.read_ms) return;  // nothing to gain
      for (const auto& matcher : selector.matchers) {
        if (!matcher.Matches(get(matcher.name()))) return;
      }
      result.read_ms = selector.retention_ms;
      result.retention_ms = std::max(result.retention_ms, selector.retention_ms);
    };
    if (auto named = by_name.find(name); named != by_name.end()) {
      for (size_t index : named->second) consider(index);
    }
    for (size_t index : any_name) consider(index);
    return result;
  }
  SeriesRetention For(const Labels& labels) const {
    return For(LabelValue(labels, "__name__"),
               [&labels](std::string_view label) { return LabelValue(labels, label); });
  }
  SeriesRetention For(const PackedLabels& labels) const {
    return For(labels.Get("__name__"),
               [&labels](std::string_view label) { return labels.Get(label); });
  }
};

}  // namespace detail

namespace {

using detail::AppendVarint;
using detail::CacheEntry;
using detail::CompiledRetention;
using detail::MallocSize;
using detail::Series;
using detail::StringHeapBytes;
using detail::Writer;

constexpr int64_t kSweepIntervalMs = int64_t{30} * 1000;
// A head chunk spans at most the retention, but never less than this: with a tiny retention,
// one-sample chunks would cost more than the samples.
constexpr int64_t kMinChunkSpanMs = int64_t{60} * 1000;
constexpr std::string_view kMetricName = "__name__";
constexpr int64_t kRecentSlackMs = int64_t{60} * 1000;
// How many series ahead Select prefetches the series objects, and their labels.
constexpr size_t kPrefetchSeries = 8;
constexpr size_t kPrefetchLabels = 4;

size_t EstimateCacheEntryBytes(const std::string& key) {
  // Node: next pointer, key, entry, cached hash; plus the key's heap and a bucket slot.
  return MallocSize(sizeof(void*) + sizeof(std::string) + sizeof(CacheEntry) + sizeof(size_t)) +
         StringHeapBytes(key) + 8;
}

size_t ChunkVectorBytes(const Series& series) {
  return MallocSize(series.chunks.capacity() * sizeof(XorChunk));
}

size_t RecentBytes(const Series& series) {
  const size_t bytes = series.recent.HeapBytes();
  return bytes > 0 ? MallocSize(bytes) : 0;
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
      std::string renamed = label.name;
      do {
        renamed.insert(0, "exported_");
      } while (HasLabel(labels, renamed));
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
      retention_(
          std::make_shared<const CompiledRetention>(RetentionPolicy{options.retention_ms, {}})),
      max_retention_ms_(retention_->max_ms),
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
                           .Help("How long the sample store keeps the samples of the series "
                                 "kept longest (at least); series no rule reads that far back "
                                 "are kept for less.")
                           .Register(registry)
                           .Add({})),
      long_retention_gauge_(prometheus::BuildGauge()
                                .Name("codebot_exporter_store_long_retention_series")
                                .Help("Series the sample store keeps longer than the 5-minute "
                                      "lookback because a rule reads them further back.")
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
  SetRetention(RetentionPolicy{retention_ms, {}});
}

void SeriesStore::SetRetention(RetentionPolicy policy) {
  std::lock_guard set_lock(set_retention_mutex_);
  auto compiled = std::make_shared<const CompiledRetention>(std::move(policy));
  {
    std::lock_guard lock(retention_mutex_);
    retention_ = compiled;
  }
  max_retention_ms_.store(compiled->max_ms, std::memory_order_relaxed);
  {
    // A series created meanwhile either saw the new policy or is in the index by now (it was
    // added under the exclusive lock, which this shared one waits for).
    std::shared_lock lock(index_mutex_);
    for (const auto& [name, bucket] : index_) {
      for (const auto& series : bucket.sorted) {
        const detail::SeriesRetention retention = compiled->For(series->labels);
        std::lock_guard series_lock(series->mutex);
        AssignRetention(*series, retention, compiled->default_ms);
      }
    }
  }
  // What a shorter retention no longer keeps goes at the next Publish or Write.
  next_sweep_ms_.store(0, std::memory_order_relaxed);
  UpdateGauges();
}

std::shared_ptr<const CompiledRetention> SeriesStore::CurrentRetention() const {
  std::lock_guard lock(retention_mutex_);
  return retention_;
}

void SeriesStore::AssignRetention(Series& series, const detail::SeriesRetention& retention,
                                  int64_t default_ms) {
  series.retention_ms = retention.retention_ms;
  // A minute more than the rules reach: an evaluation a little before the newest sample (its
  // slot came before the collection's) reads from a little further back.
  series.recent_ms =
      retention.read_ms > 0
          ? std::min(retention.read_ms, detail::RecentSamples::kMaxRecentMs) + kRecentSlackMs
          : 0;
  if (!series.recent.empty() || series.recent.capacity() > 0) {
    // What `recent` no longer has to hold moves on into the chunks now (all of it when no rule
    // reads the series any more); a longer window fills as samples come.
    int64_t bytes_delta = -static_cast<int64_t>(RecentBytes(series));
    const int64_t newest = series.newest_t();
    bool moved = false;
    while (!series.recent.empty() &&
           (series.recent_ms == 0 || series.recent.OldestExpired(newest, series.recent_ms))) {
      const auto [old_t, old_v] = series.recent.PopOldest();
      bytes_delta += EncodeLocked(series, old_t, old_v);
      moved = true;
    }
    if (moved || series.recent.empty()) series.recent.Fit();
    bytes_delta += static_cast<int64_t>(RecentBytes(series));
    series.chunk_bytes =
        static_cast<size_t>(static_cast<int64_t>(series.chunk_bytes) + bytes_delta);
    sample_bytes_.fetch_add(static_cast<size_t>(bytes_delta), std::memory_order_relaxed);
  }
  const bool long_retention = retention.retention_ms > default_ms;
  if (series.long_retention == long_retention) return;
  series.long_retention = long_retention;
  if (long_retention) {
    long_retention_series_.fetch_add(1, std::memory_order_relaxed);
  } else {
    long_retention_series_.fetch_sub(1, std::memory_order_relaxed);
  }
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
  // Matched against the retention selectors outside the exclusive lock, and again inside it
  // only if SetRetention replaced the policy meanwhile.
  auto policy = CurrentRetention();
  detail::SeriesRetention retention = policy->For(labels);
  std::unique_lock lock(index_mutex_);
  if (SeriesPtr found = find()) return found;
  if (enforce_limit && series_count_.load(std::memory_order_relaxed) >= max_series_) {
    return nullptr;
  }
  if (auto current = CurrentRetention(); current != policy) {
    policy = std::move(current);
    retention = policy->For(labels);
  }
  auto series = std::make_shared<Series>(labels, hash);
  AssignRetention(*series, retention, policy->default_ms);
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
  if (!series.empty()) {
    const int64_t newest = series.newest_t();
    if (t < newest) return Outcome::kOutOfOrder;
    if (t == newest) {
      // The same sample again is no news (Prometheus accepts it silently); another value at the
      // same time is a conflict.
      return series.newest_bits() == v_bits ? Outcome::kUnchanged : Outcome::kDuplicate;
    }
  }
  int64_t bytes_delta = 0;
  if (series.recent_ms > 0) {
    bytes_delta -= static_cast<int64_t>(RecentBytes(series));
    bool moved = false;
    while (series.recent.OldestExpired(t, series.recent_ms)) {
      const auto [old_t, old_v] = series.recent.PopOldest();
      bytes_delta += EncodeLocked(series, old_t, old_v);
      moved = true;
    }
    if (moved) series.recent.Fit();
    series.recent.Push(t, v);
    bytes_delta += static_cast<int64_t>(RecentBytes(series));
  } else {
    bytes_delta += EncodeLocked(series, t, v);
  }
  series.chunk_bytes = static_cast<size_t>(static_cast<int64_t>(series.chunk_bytes) + bytes_delta);
  ++series.samples;
  // Unsigned wrap-around makes a negative delta a subtraction.
  sample_bytes_.fetch_add(static_cast<size_t>(bytes_delta), std::memory_order_relaxed);
  sample_count_.fetch_add(1, std::memory_order_relaxed);
  return Outcome::kAppended;
}

int64_t SeriesStore::EncodeLocked(Series& series, int64_t t, double v) {
  int64_t bytes_delta = 0;
  const bool cut =
      series.chunks.empty() || series.chunks.back().full() ||
      t - series.chunks.back().min_t() >= std::max(series.retention_ms, kMinChunkSpanMs);
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
  return bytes_delta;
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
  if (series->dead || series->empty()) return;
  if (t <= series->newest_t() || IsStaleNaN(std::bit_cast<double>(series->newest_bits()))) return;
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
  const int64_t now = Now();
  std::vector<SeriesPtr> emptied;
  {
    // Shared: appenders of existing series and Select go on; only new series wait.
    std::shared_lock lock(index_mutex_);
    for (const auto& [name, bucket] : index_) {
      for (const auto& series : bucket.sorted) {
        std::lock_guard series_lock(series->mutex);
        const int64_t cutoff = now - series->retention_ms;
        auto& chunks = series->chunks;
        auto& recent = series->recent;
        auto keep = std::find_if(chunks.begin(), chunks.end(),
                                 [cutoff](const XorChunk& c) { return c.max_t() >= cutoff; });
        // `recent` is newer than every chunk: it loses samples only once the chunks are gone.
        const bool recent_expires =
            keep == chunks.end() && !recent.empty() && recent.oldest_t() < cutoff;
        if (keep != chunks.begin() || recent_expires) {
          size_t dropped_samples = 0;
          for (auto it = chunks.begin(); it != keep; ++it) dropped_samples += it->count();
          chunk_count_.fetch_sub(static_cast<size_t>(keep - chunks.begin()),
                                 std::memory_order_relaxed);
          chunks.erase(chunks.begin(), keep);
          if (chunks.empty()) std::vector<XorChunk>().swap(chunks);
          if (recent_expires) {
            while (!recent.empty() && recent.oldest_t() < cutoff) {
              recent.PopOldest();
              ++dropped_samples;
            }
            recent.Fit();
          }
          size_t bytes = ChunkVectorBytes(*series) + RecentBytes(*series);
          for (const auto& chunk : chunks) bytes += MallocSize(chunk.HeapBytes());
          sample_bytes_.fetch_sub(series->chunk_bytes - bytes, std::memory_order_relaxed);
          series->chunk_bytes = bytes;
          series->samples -= dropped_samples;
          sample_count_.fetch_sub(dropped_samples, std::memory_order_relaxed);
        }
        if (series->empty()) emptied.push_back(series);
      }
    }
  }
  if (!emptied.empty()) {
    std::unique_lock lock(index_mutex_);
    for (const auto& series : emptied) {
      std::lock_guard series_lock(series->mutex);
      // Appended to since the first pass, or already gone: keep / skip.
      if (!series->empty() || series->dead) continue;
      series->dead = true;
      AssignRetention(*series, {}, 0);
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
  out->reserve(first + candidates.size());  // no moving of what is already there as it grows
  std::vector<size_t> seams;                // positions in *out where a new metric name starts
  size_t next_name = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (next_name < name_starts.size() && name_starts[next_name] == i) {
      while (next_name < name_starts.size() && name_starts[next_name] == i) ++next_name;
      if (out->size() > first) seams.push_back(out->size());
    }
    // Reading a series is a handful of dependent cache misses (the series and its lock, its
    // labels, its samples); asking for the next ones early overlaps them with this one's work.
    // Only what needs no lock: the series object and its labels, which never change.
    if (i + kPrefetchSeries < candidates.size()) {
      const char* ahead = reinterpret_cast<const char*>(candidates[i + kPrefetchSeries].get());
      for (size_t line = 0; line < sizeof(Series); line += 64) __builtin_prefetch(ahead + line);
    }
    if (i + kPrefetchLabels < candidates.size()) {
      __builtin_prefetch(candidates[i + kPrefetchLabels]->labels.data().data());
    }
    Series& series = *candidates[i];
    SeriesData& data = out->emplace_back();
    {
      std::lock_guard lock(series.mutex);
      if (series.dead) {
        out->pop_back();
        continue;
      }
      const auto& chunks = series.chunks;
      const detail::RecentSamples& recent = series.recent;
      // The newest samples (when rules read the series) are copied from `recent`; only what
      // lies before them is decoded, from the chunks.
      size_t recent_begin = 0;
      size_t recent_end = 0;
      recent.Range(mint, maxt, &recent_begin, &recent_end);
      int64_t decode_maxt = maxt;
      bool decode = !chunks.empty();
      if (!recent.empty()) {
        const int64_t from = recent.oldest_t();
        if (from <= mint) {
          decode = false;
        } else {
          decode_maxt = std::min(maxt, from - 1);
        }
      }
      // Chunks are in time order: the first one that reaches mint, then on until decode_maxt.
      // Each decodes from its checkpoint closest before mint, so that the last minutes of a
      // chunk cost a fraction of decoding it whole.
      auto begin = chunks.end();
      auto end = chunks.end();
      size_t bound = recent_end - recent_begin;
      if (decode) {
        begin = std::partition_point(chunks.begin(), chunks.end(),
                                     [mint](const XorChunk& c) { return c.max_t() < mint; });
        for (end = begin; end != chunks.end() && end->min_t() <= decode_maxt; ++end) {
          bound += end->DecodeBound(mint);
        }
      }
      if (bound == 0) {
        out->pop_back();
        continue;
      }
      data.points.reserve(bound);
      for (auto chunk = begin; chunk != end; ++chunk) {
        chunk->AppendRange(mint, decode_maxt, &data.points);
      }
      recent.AppendTo(recent_begin, recent_end, &data.points);
    }
    if (data.points.empty()) {
      out->pop_back();
      continue;
    }
    series.labels.UnpackInto(&data.labels);
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
  stats.long_retention_series = long_retention_series_.load(std::memory_order_relaxed);
  return stats;
}

void SeriesStore::UpdateGauges() {
  const Stats stats = GetStats();
  series_gauge_.Set(static_cast<double>(stats.series));
  samples_gauge_.Set(static_cast<double>(stats.samples));
  sample_bytes_gauge_.Set(static_cast<double>(stats.sample_bytes));
  series_bytes_gauge_.Set(static_cast<double>(stats.series_bytes));
  retention_gauge_.Set(static_cast<double>(retention_ms()) / 1000.0);
  long_retention_gauge_.Set(static_cast<double>(stats.long_retention_series));
}

}  // namespace codebot::store
