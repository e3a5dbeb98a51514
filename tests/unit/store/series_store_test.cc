#include "exporter/store/series_store.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"

namespace codebot::store {
namespace {

constexpr int64_t kT0 = 1700000000000;
constexpr int64_t kMinute = 60 * 1000;

Sample MakeSample(std::string name, Labels labels, double value,
                  std::optional<int64_t> timestamp_ms = std::nullopt) {
  Sample sample;
  sample.name = std::move(name);
  sample.labels = std::move(labels);
  sample.value = value;
  sample.timestamp_ms = timestamp_ms;
  return sample;
}

collect::Collection MakeCollection(int64_t t, std::vector<Sample> samples, bool ok = true,
                                   std::string source = "bot", std::string job = "bot",
                                   std::string instance = "127.0.0.1:8080") {
  Family family;
  family.name = "mixed";
  family.samples = std::move(samples);
  collect::Collection collection;
  collection.source = std::move(source);
  collection.job = std::move(job);
  collection.instance = std::move(instance);
  collection.timestamp_ms = t;
  collection.ok = ok;
  collection.families = std::make_shared<const std::vector<Family>>(std::vector<Family>{family});
  return collection;
}

double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [key, value] : labels) {
        bool found = false;
        for (const auto& label : metric.label) found |= label.name == key && label.value == value;
        match &= found;
      }
      if (!match) continue;
      return family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                            : metric.gauge.value;
    }
  }
  return NAN;
}

class SeriesStoreTest : public ::testing::Test {
 protected:
  SeriesStoreTest() { Reset({}); }

  void Reset(SeriesStoreOptions options) {
    store_.reset();
    registry_ = std::make_unique<prometheus::Registry>();
    options.clock = [this] { return now_.load(); };
    store_ = std::make_unique<SeriesStore>(*registry_, options);
  }

  std::vector<SeriesData> Select(std::vector<Matcher> matchers, int64_t mint = 0,
                                 int64_t maxt = std::numeric_limits<int64_t>::max()) {
    std::vector<SeriesData> out;
    store_->Select(matchers, mint, maxt, &out);
    return out;
  }
  std::vector<SeriesData> SelectName(const std::string& name, int64_t mint = 0,
                                     int64_t maxt = std::numeric_limits<int64_t>::max()) {
    return Select({Matcher(MatchType::kEqual, "__name__", name)}, mint, maxt);
  }
  double Rejected(const std::string& reason) {
    return MetricValue(*registry_, "codebot_exporter_store_rejected_samples_total",
                       {{"reason", reason}});
  }

  std::atomic<int64_t> now_{kT0};
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<SeriesStore> store_;
};

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels labels;
  for (const auto& [name, value] : pairs) labels.push_back({name, value});
  return labels;
}

TEST_F(SeriesStoreTest, SeriesGetTargetLabelsLikeAPrometheusScrape) {
  store_->Publish(MakeCollection(
      kT0, {MakeSample("requests_total", L({{"path", "/sync"}, {"code", "200"}, {"empty", ""}}), 5),
            MakeSample("relayed", L({{"job", "worker"}, {"instance", "pod-1"}}), 1),
            MakeSample("clash", L({{"job", "a"}, {"exported_job", "b"}}), 2)}));

  auto requests = SelectName("requests_total");
  ASSERT_EQ(requests.size(), 1u);
  // Sorted by name, __name__ first, empty labels dropped, job and instance from the source.
  EXPECT_EQ(requests[0].labels, L({{"__name__", "requests_total"},
                                   {"code", "200"},
                                   {"instance", "127.0.0.1:8080"},
                                   {"job", "bot"},
                                   {"path", "/sync"}}));
  ASSERT_EQ(requests[0].points.size(), 1u);
  EXPECT_EQ(requests[0].points[0].t, kT0);
  EXPECT_EQ(requests[0].points[0].v, 5);

  auto relayed = SelectName("relayed");
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].labels, L({{"__name__", "relayed"},
                                  {"exported_instance", "pod-1"},
                                  {"exported_job", "worker"},
                                  {"instance", "127.0.0.1:8080"},
                                  {"job", "bot"}}));

  auto clash = SelectName("clash");
  ASSERT_EQ(clash.size(), 1u);
  EXPECT_EQ(LabelValue(clash[0].labels, "exported_exported_job"), "a");
  EXPECT_EQ(LabelValue(clash[0].labels, "exported_job"), "b");
  EXPECT_EQ(LabelValue(clash[0].labels, "job"), "bot");
}

TEST_F(SeriesStoreTest, LabelOrderAndOddValuesDoNotChangeIdentity) {
  const std::string long_value(300, 'x');
  const std::string odd_value("a\xff\0b\n\"", 7);
  Labels ab{{"a", long_value}, {"b", odd_value}};
  Labels ba{{"b", odd_value}, {"a", long_value}};
  store_->Publish(MakeCollection(kT0, {MakeSample("m", ab, 1), MakeSample("m", ba, 2)}));
  store_->Publish(MakeCollection(kT0 + 15000, {MakeSample("m", ba, 3)}));
  auto m = SelectName("m");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].labels, (Labels{{"__name__", "m"},
                                 {"a", long_value},
                                 {"b", odd_value},
                                 {"instance", "127.0.0.1:8080"},
                                 {"job", "bot"}}));
  // The second spelling of the same series in one collection is a conflicting duplicate.
  ASSERT_EQ(m[0].points.size(), 2u);
  EXPECT_EQ(m[0].points[0].v, 1);
  EXPECT_EQ(m[0].points[1].v, 3);
  EXPECT_EQ(Rejected("duplicate"), 1);
  EXPECT_EQ(Select({Matcher(MatchType::kEqual, "b", odd_value)}).size(), 1u);
}

TEST_F(SeriesStoreTest, UpAndSamplesScrapedPerSource) {
  store_->Publish(MakeCollection(kT0, {MakeSample("a", {}, 1), MakeSample("b", {}, 2)}));
  store_->Publish(MakeCollection(kT0 + 15000, {MakeSample("pg_up", {}, 0)}, /*ok=*/false));

  auto up = SelectName("up");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].labels, L({{"__name__", "up"}, {"instance", "127.0.0.1:8080"}, {"job", "bot"}}));
  ASSERT_EQ(up[0].points.size(), 2u);
  EXPECT_EQ(up[0].points[0].v, 1);
  EXPECT_EQ(up[0].points[1].v, 0);
  EXPECT_EQ(up[0].points[1].t, kT0 + 15000);

  auto scraped = SelectName("scrape_samples_scraped");
  ASSERT_EQ(scraped.size(), 1u);
  ASSERT_EQ(scraped[0].points.size(), 2u);
  EXPECT_EQ(scraped[0].points[0].v, 2);
  EXPECT_EQ(scraped[0].points[1].v, 1);
}

TEST_F(SeriesStoreTest, VanishedSeriesGetAStaleMarkerAndCanComeBack) {
  store_->Publish(MakeCollection(kT0, {MakeSample("a", {}, 1), MakeSample("b", {}, 2)}));
  store_->Publish(MakeCollection(kT0 + 15000, {MakeSample("a", {}, 1)}));
  store_->Publish(MakeCollection(kT0 + 30000, {MakeSample("a", {}, 1)}));
  store_->Publish(MakeCollection(kT0 + 45000, {MakeSample("a", {}, 1), MakeSample("b", {}, 3)}));

  auto b = SelectName("b");
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(b[0].points.size(), 3u);  // one marker, not one per collection it was missing from
  EXPECT_EQ(b[0].points[0].v, 2);
  EXPECT_EQ(b[0].points[1].t, kT0 + 15000);
  EXPECT_TRUE(IsStaleNaN(b[0].points[1].v));
  EXPECT_EQ(b[0].points[2].t, kT0 + 45000);
  EXPECT_EQ(b[0].points[2].v, 3);

  auto a = SelectName("a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].points.size(), 4u);
  for (const auto& point : a[0].points) EXPECT_FALSE(std::isnan(point.v));
}

TEST_F(SeriesStoreTest, FailedCollectionStalesWhatItDoesNotCarry) {
  store_->Publish(MakeCollection(kT0, {MakeSample("pg_up", {}, 1), MakeSample("pg_size", {}, 9)}));
  store_->Publish(MakeCollection(kT0 + 15000, {MakeSample("pg_up", {}, 0)}, /*ok=*/false));

  auto size = SelectName("pg_size");
  ASSERT_EQ(size.size(), 1u);
  ASSERT_EQ(size[0].points.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(size[0].points[1].v));

  auto pg_up = SelectName("pg_up");
  ASSERT_EQ(pg_up.size(), 1u);
  ASSERT_EQ(pg_up[0].points.size(), 2u);
  EXPECT_EQ(pg_up[0].points[1].v, 0);
  // `up` itself is never stale while the source exists: it says the source is down.
  auto up = SelectName("up");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].points.back().v, 0);
}

TEST_F(SeriesStoreTest, ForgetStalesEverySeriesOfTheSourceOnly) {
  store_->Publish(MakeCollection(kT0, {MakeSample("a", {}, 1)}));
  store_->Publish(MakeCollection(kT0, {MakeSample("gh", {}, 1)}, true, "github", "github",
                                 "api.github.com:443"));
  now_ = kT0 + 5000;
  store_->Forget("bot");

  for (const char* name : {"a", "up", "scrape_samples_scraped"}) {
    auto bot = Select(
        {Matcher(MatchType::kEqual, "__name__", name), Matcher(MatchType::kEqual, "job", "bot")});
    ASSERT_EQ(bot.size(), 1u) << name;
    ASSERT_EQ(bot[0].points.size(), 2u) << name;
    EXPECT_EQ(bot[0].points[1].t, kT0 + 5000) << name;
    EXPECT_TRUE(IsStaleNaN(bot[0].points[1].v)) << name;
  }
  auto github_up = Select(
      {Matcher(MatchType::kEqual, "__name__", "up"), Matcher(MatchType::kEqual, "job", "github")});
  ASSERT_EQ(github_up.size(), 1u);
  EXPECT_EQ(github_up[0].points.size(), 1u);
  EXPECT_EQ(github_up[0].points[0].v, 1);

  // A source added again starts afresh.
  store_->Publish(MakeCollection(kT0 + 15000, {MakeSample("a", {}, 7)}));
  auto a = SelectName("a");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(a[0].points.size(), 3u);
  EXPECT_EQ(a[0].points[2].v, 7);
}

TEST_F(SeriesStoreTest, ChangedTargetOfASourceStalesTheOldOne) {
  store_->Publish(MakeCollection(kT0, {MakeSample("a", {}, 1)}, true, "bot", "bot", "old:1"));
  store_->Publish(
      MakeCollection(kT0 + 15000, {MakeSample("a", {}, 1)}, true, "bot", "bot", "new:2"));
  auto old_up = Select({Matcher(MatchType::kEqual, "__name__", "up"),
                        Matcher(MatchType::kEqual, "instance", "old:1")});
  ASSERT_EQ(old_up.size(), 1u);
  ASSERT_EQ(old_up[0].points.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(old_up[0].points[1].v));
  auto old_a = Select({Matcher(MatchType::kEqual, "__name__", "a"),
                       Matcher(MatchType::kEqual, "instance", "old:1")});
  ASSERT_EQ(old_a.size(), 1u);
  EXPECT_TRUE(IsStaleNaN(old_a[0].points.back().v));
  EXPECT_EQ(Select({Matcher(MatchType::kEqual, "instance", "new:2")}).size(), 3u);
}

TEST_F(SeriesStoreTest, ExplicitTimestampsAreKeptAndNeverStaleMarked) {
  store_->Publish(MakeCollection(kT0, {MakeSample("job_last_run", {}, 10, kT0 - 60000)}));
  store_->Publish(MakeCollection(kT0 + 15000, {MakeSample("job_last_run", {}, 11, kT0 - 30000)}));
  store_->Publish(MakeCollection(kT0 + 30000, {}));
  now_ = kT0 + 40000;
  store_->Forget("bot");

  auto series = SelectName("job_last_run");
  ASSERT_EQ(series.size(), 1u);
  ASSERT_EQ(series[0].points.size(), 2u);
  EXPECT_EQ(series[0].points[0].t, kT0 - 60000);
  EXPECT_EQ(series[0].points[1].t, kT0 - 30000);
  EXPECT_EQ(series[0].points[1].v, 11);
}

TEST_F(SeriesStoreTest, OutOfOrderAndDuplicateSamplesAreDroppedAndCounted) {
  store_->Publish(MakeCollection(kT0, {MakeSample("x", {}, 1, kT0 - 1000)}));
  // Older than the stored sample.
  store_->Publish(MakeCollection(kT0 + 15000, {MakeSample("x", {}, 2, kT0 - 2000)}));
  EXPECT_EQ(Rejected("out_of_order"), 1);
  // Same time, another value: a conflict.
  store_->Publish(MakeCollection(kT0 + 30000, {MakeSample("x", {}, 3, kT0 - 1000)}));
  EXPECT_EQ(Rejected("duplicate"), 1);
  // Same time, same value: the exposition simply repeated it.
  store_->Publish(MakeCollection(kT0 + 45000, {MakeSample("x", {}, 1, kT0 - 1000)}));
  EXPECT_EQ(Rejected("duplicate"), 1);
  EXPECT_EQ(Rejected("out_of_order"), 1);
  // The same series twice in one collection.
  store_->Publish(MakeCollection(kT0 + 60000, {MakeSample("y", {}, 1), MakeSample("y", {}, 2)}));
  EXPECT_EQ(Rejected("duplicate"), 2);
  // A collection whose timestamp went backwards (a clock step).
  store_->Publish(MakeCollection(kT0 + 50000, {MakeSample("y", {}, 1)}));
  EXPECT_GE(Rejected("out_of_order"), 2);

  auto x = SelectName("x");
  ASSERT_EQ(x.size(), 1u);
  ASSERT_EQ(x[0].points.size(), 1u);
  EXPECT_EQ(x[0].points[0].v, 1);
  auto y = SelectName("y");
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].points.size(), 1u);
  EXPECT_EQ(y[0].points[0].v, 1);
}

TEST_F(SeriesStoreTest, RetentionDropsOldSamplesAndEmptySeries) {
  store_->SetRetention(5 * kMinute);
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_retention_seconds"), 300);
  const int64_t end = kT0 + 60 * kMinute;
  for (int64_t t = kT0; t <= end; t += 15000) {
    std::vector<Sample> samples{MakeSample("kept", {}, static_cast<double>(t))};
    if (t < kT0 + 10 * kMinute) samples.push_back(MakeSample("gone", {}, 1));
    now_ = t;
    store_->Publish(MakeCollection(t, samples));
  }
  now_ = end;
  store_->Sweep();

  // Everything the retention promises is there...
  auto kept = SelectName("kept", end - 5 * kMinute, end);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].points.size(), 21u);
  // ...and nothing older than twice the retention (whole chunks are dropped).
  EXPECT_TRUE(SelectName("kept", 0, end - 10 * kMinute - 1).empty());
  // The series that vanished 50 minutes ago is gone altogether, stale marker included.
  EXPECT_TRUE(SelectName("gone").empty());
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_series_removed_total"), 1);
  // kept, up, scrape_samples_scraped.
  EXPECT_EQ(store_->GetStats().series, 3u);
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_series"), 3);
  const auto stats = store_->GetStats();
  EXPECT_LE(stats.samples, 3u * 41u);
  EXPECT_GE(stats.samples, 3u * 21u);
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_samples"),
            static_cast<double>(stats.samples));

  // A series the sweep removed comes back when the source shows it again.
  store_->Publish(
      MakeCollection(end + 15000, {MakeSample("kept", {}, 1), MakeSample("gone", {}, 5)}));
  auto gone = SelectName("gone");
  ASSERT_EQ(gone.size(), 1u);
  ASSERT_EQ(gone[0].points.size(), 1u);
  EXPECT_EQ(gone[0].points[0].v, 5);
}

TEST_F(SeriesStoreTest, RetentionSweepRunsFromTheAppendPath) {
  store_->SetRetention(5 * kMinute);
  store_->Publish(MakeCollection(kT0, {MakeSample("once", {}, 1)}));
  store_->Publish(MakeCollection(kT0 + 15000, {}));
  for (int64_t t = kT0 + 30000; t <= kT0 + 30 * kMinute; t += 15000) {
    now_ = t;
    store_->Publish(MakeCollection(t, {}));
  }
  EXPECT_TRUE(SelectName("once").empty());
}

// The shipped SLO rules read rate(codebot_requests_total[3d]); nothing else needs more than the
// 5-minute lookback. Only the series such a selector matches (its name and label matchers) may
// cost three days of samples.
RetentionPolicy SloPolicy() {
  RetentionPolicy policy;
  policy.selectors.push_back(
      {{Matcher(MatchType::kEqual, "__name__", "requests_total")}, 3 * 24 * 60 * kMinute});
  policy.selectors.push_back({{Matcher(MatchType::kEqual, "__name__", "scrapes_total"),
                               Matcher(MatchType::kEqual, "source", "bot")},
                              24 * 60 * kMinute});
  // A selector without a metric name (matched on every series) and a shorter duplicate.
  policy.selectors.push_back(
      {{Matcher(MatchType::kRegexMatch, "slo", "errors|latency")}, 60 * kMinute});
  policy.selectors.push_back(
      {{Matcher(MatchType::kEqual, "__name__", "requests_total")}, 60 * kMinute});
  return policy;
}

// Collections every 15 s from `from` to `to` (inclusive) of the given samples.
void Scrape(SeriesStore& store, std::atomic<int64_t>& now, int64_t from, int64_t to,
            const std::function<std::vector<Sample>(int64_t)>& samples) {
  for (int64_t t = from; t <= to; t += 15000) {
    now = t;
    store.Publish(MakeCollection(t, samples(t)));
  }
}

std::vector<Sample> SloSamples(int64_t t) {
  const auto v = static_cast<double>(t / 15000);
  return {MakeSample("requests_total", L({{"status", "ok"}}), v),
          MakeSample("requests_total", L({{"status", "error"}}), v),
          MakeSample("scrapes_total", L({{"source", "bot"}}), v),
          MakeSample("scrapes_total", L({{"source", "github"}}), v),
          MakeSample("burn", L({{"slo", "errors"}}), v),
          MakeSample("other", {}, v)};
}

// The oldest sample the store still has of the series of `name` with these labels.
int64_t Oldest(SeriesStore& store, const std::vector<Matcher>& matchers) {
  std::vector<SeriesData> out;
  store.Select(matchers, 0, std::numeric_limits<int64_t>::max(), &out);
  if (out.empty() || out[0].points.empty()) return std::numeric_limits<int64_t>::max();
  return out[0].points.front().t;
}

TEST_F(SeriesStoreTest, RetentionFollowsTheSelectorsThatMatchEachSeries) {
  store_->SetRetention(SloPolicy());
  EXPECT_EQ(store_->retention_ms(), 3 * 24 * 60 * kMinute);
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_retention_seconds"), 3 * 24 * 3600);
  const int64_t day = 24 * 60 * kMinute;
  const int64_t end = kT0 + 4 * day;
  Scrape(*store_, now_, kT0, end, SloSamples);
  store_->Sweep();

  const auto name = [](const char* n) { return Matcher(MatchType::kEqual, "__name__", n); };
  // Matched by the 3d selector: three days kept (and, whole chunks being dropped, little more).
  for (const char* status : {"ok", "error"}) {
    const int64_t oldest =
        Oldest(*store_, {name("requests_total"), Matcher(MatchType::kEqual, "status", status)});
    EXPECT_LE(oldest, end - 3 * day) << status;
    EXPECT_GE(oldest, end - 3 * day - 60 * kMinute) << status;
  }
  // The 1d selector matches the bot's scrapes_total only, through its label matcher.
  const int64_t bot =
      Oldest(*store_, {name("scrapes_total"), Matcher(MatchType::kEqual, "source", "bot")});
  EXPECT_LE(bot, end - day);
  EXPECT_GE(bot, end - day - 60 * kMinute);
  const int64_t github =
      Oldest(*store_, {name("scrapes_total"), Matcher(MatchType::kEqual, "source", "github")});
  // Everything else: the 5-minute lookback, at most twice that.
  EXPECT_LE(github, end - 5 * kMinute);
  EXPECT_GE(github, end - 10 * kMinute);
  const int64_t other = Oldest(*store_, {name("other")});
  EXPECT_LE(other, end - 5 * kMinute);
  EXPECT_GE(other, end - 10 * kMinute);
  EXPECT_GE(Oldest(*store_, {name("up")}), end - 10 * kMinute);
  // A selector with no metric name matches by its labels alone.
  const int64_t burn = Oldest(*store_, {name("burn")});
  EXPECT_LE(burn, end - 60 * kMinute);
  EXPECT_GE(burn, end - 120 * kMinute);

  EXPECT_EQ(store_->GetStats().long_retention_series, 4u);
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_long_retention_series"), 4);
  // 3 days + 1 day + 1 hour of a few series, not 4 days of all eight.
  const size_t samples_per_day = 24 * 60 * 4;
  EXPECT_LT(store_->GetStats().samples, (2 * 3 + 1 + 1) * samples_per_day * 11 / 10);
}

TEST_F(SeriesStoreTest, ReloadWithoutTheLongRuleShrinksRetention) {
  store_->SetRetention(SloPolicy());
  const int64_t end = kT0 + 2 * 24 * 60 * kMinute;
  Scrape(*store_, now_, kT0, end, SloSamples);
  const auto requests =
      std::vector<Matcher>{Matcher(MatchType::kEqual, "__name__", "requests_total")};
  EXPECT_EQ(Oldest(*store_, requests), kT0);

  // The SLO rules are gone: the series fall back to the default at the next ingest.
  store_->SetRetention(RetentionPolicy{});
  EXPECT_EQ(store_->retention_ms(), 5 * kMinute);
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_retention_seconds"), 300);
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_long_retention_series"), 0);
  Scrape(*store_, now_, end + 15000, end + 15000, SloSamples);
  // The head chunk holds at most 30 minutes; the new ones are cut every 5 minutes.
  EXPECT_GE(Oldest(*store_, requests), end - 30 * kMinute);
  Scrape(*store_, now_, end + 30000, end + 45 * kMinute, SloSamples);
  EXPECT_GE(Oldest(*store_, requests), end + 45 * kMinute - 10 * kMinute);
  EXPECT_LE(store_->GetStats().samples, 8u * 41u);

  // And back: a longer retention keeps what arrives from now on.
  store_->SetRetention(SloPolicy());
  EXPECT_EQ(store_->GetStats().long_retention_series, 4u);
}

TEST_F(SeriesStoreTest, SeriesCreatedLaterGetTheirRetention) {
  store_->SetRetention(SloPolicy());
  const int64_t end = kT0 + 3 * 60 * kMinute;
  // requests_total{status="late"} and a rule result appear an hour in.
  const auto samples = [](int64_t t) {
    std::vector<Sample> out{MakeSample("other", {}, 1)};
    if (t >= kT0 + 60 * kMinute)
      out.push_back(MakeSample("requests_total", L({{"status", "late"}}), 2));
    return out;
  };
  for (int64_t t = kT0; t <= end; t += 15000) {
    now_ = t;
    store_->Publish(MakeCollection(t, samples(t)));
    // Recorded series and ALERTS follow the same selectors.
    store_->Write("slo", t,
                  {{L({{"__name__", "slo:burn"}, {"slo", "latency"}}), 1},
                   {L({{"__name__", "ALERTS"}, {"alertname", "X"}}), 1}});
  }
  store_->Sweep();
  const auto name = [](const char* n) { return Matcher(MatchType::kEqual, "__name__", n); };
  EXPECT_EQ(Oldest(*store_, {name("requests_total")}), kT0 + 60 * kMinute);
  EXPECT_LE(Oldest(*store_, {name("slo:burn")}), end - 60 * kMinute);
  EXPECT_GE(Oldest(*store_, {name("ALERTS")}), end - 10 * kMinute);
  EXPECT_GE(Oldest(*store_, {name("other")}), end - 10 * kMinute);
  EXPECT_EQ(store_->GetStats().long_retention_series, 2u);
}

// Series a rule reads keep their newest samples plain instead of in chunks, and Select copies
// those instead of decoding them: the answers must be exactly those of decoding, whatever the
// range, the interval, stale markers, and sweeps.
TEST_F(SeriesStoreTest, RecentSamplesOfReadSeriesAnswerExactlyAsDecoding) {
  const int64_t kRetention = 2 * kMinute;
  store_->SetRetention(RetentionPolicy{
      kRetention, {{{Matcher(MatchType::kRegexMatch, "__name__", "read_.*")}, kMinute}}});
  std::vector<Point> written[3];
  const int64_t intervals[3] = {1000, 15000, 5 * kMinute};
  int64_t t = kT0;
  for (int step = 0; step < 2000; ++step, t += 1000) {
    now_ = t;
    for (int i = 0; i < 3; ++i) {
      if ((t - kT0) % intervals[i] != 0) continue;
      const double v = step % 97 == 96 ? StaleNaN() : std::ldexp(step % 13, step % 7);
      written[i].push_back({t, v});
      for (const char* prefix : {"read_", "plain_"}) {
        const std::string name = prefix + std::to_string(i);
        store_->Write(name, t, {{L({{"__name__", name.c_str()}}), v}});
      }
    }
  }
  EXPECT_EQ(store_->GetStats().long_retention_series, 0u) << "1m is within the default";
  // Within the retention both keep everything (beyond it, whole chunks go, and the read series
  // have other chunk boundaries: their newest samples joined the chunks later).
  std::vector<int64_t> edges;
  for (int64_t e = t - kRetention; e <= t + 1000; e += 500) edges.push_back(e);
  for (int i = 0; i < 3; ++i) {
    for (size_t a = 0; a < edges.size(); a += 3) {
      for (size_t b = a; b < edges.size(); b += 7) {
        const auto read = SelectName("read_" + std::to_string(i), edges[a], edges[b]);
        const auto plain = SelectName("plain_" + std::to_string(i), edges[a], edges[b]);
        ASSERT_EQ(read.size(), plain.size()) << i << " " << edges[a] - t << ".." << edges[b] - t;
        if (read.empty()) continue;
        ASSERT_EQ(read[0].points.size(), plain[0].points.size())
            << i << " " << edges[a] - t << ".." << edges[b] - t;
        for (size_t p = 0; p < read[0].points.size(); ++p) {
          EXPECT_EQ(read[0].points[p].t, plain[0].points[p].t);
          EXPECT_EQ(std::bit_cast<uint64_t>(read[0].points[p].v),
                    std::bit_cast<uint64_t>(plain[0].points[p].v));
        }
      }
    }
  }
  // No rule reads them any more: their plain samples move into chunks, intact, and cost less.
  std::vector<SeriesData> before[3];
  for (int i = 0; i < 3; ++i) before[i] = SelectName("read_" + std::to_string(i));
  const auto stats = store_->GetStats();
  store_->SetRetention(RetentionPolicy{kRetention, {}});
  EXPECT_LT(store_->GetStats().sample_bytes, stats.sample_bytes) << "plain samples are encoded";
  EXPECT_EQ(store_->GetStats().samples, stats.samples);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const auto after = SelectName("read_" + std::to_string(i));
    ASSERT_EQ(after.size(), before[i].size());
    if (after.empty()) continue;
    ASSERT_EQ(after[0].points.size(), before[i][0].points.size());
    for (size_t p = 0; p < after[0].points.size(); ++p) {
      EXPECT_EQ(after[0].points[p].t, before[i][0].points[p].t);
      EXPECT_EQ(std::bit_cast<uint64_t>(after[0].points[p].v),
                std::bit_cast<uint64_t>(before[i][0].points[p].v));
    }
  }
  // And read again: new samples wait plain again.
  store_->SetRetention(RetentionPolicy{
      kRetention, {{{Matcher(MatchType::kRegexMatch, "__name__", "read_.*")}, kMinute}}});
  for (int64_t u = t; u < t + 3 * kMinute; u += 1000) {
    now_ = u;
    store_->Write("read_0", u, {{L({{"__name__", "read_0"}}), 1}});
  }
  const auto read0 = SelectName("read_0", t, t + 3 * kMinute);
  ASSERT_EQ(read0.size(), 1u);
  EXPECT_GE(read0[0].points.size(), 121u) << "the retention, at least";
  EXPECT_EQ(read0[0].points.back().t, t + 3 * kMinute - 1000);
}

// A series rules read that stops getting samples expires like any other, plain samples and all.
TEST_F(SeriesStoreTest, ReadSeriesExpireWhenTheyStop) {
  store_->SetRetention(RetentionPolicy{
      5 * kMinute, {{{Matcher(MatchType::kEqual, "__name__", "read")}, 60 * kMinute}}});
  for (int64_t t = kT0; t <= kT0 + 90 * kMinute; t += 15000) {
    now_ = t;
    store_->Write("w", t, {{L({{"__name__", "read"}}), static_cast<double>(t)}});
  }
  store_->Sweep();
  auto read = SelectName("read");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_LE(read[0].points.front().t, kT0 + 30 * kMinute);
  EXPECT_GT(store_->GetStats().sample_bytes, 0u);
  store_->ForgetWriter("w");  // a stale marker, then nothing more
  now_ = kT0 + 90 * kMinute + 59 * kMinute;
  store_->Sweep();
  read = SelectName("read");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_GE(read[0].points.front().t, now_ - 60 * kMinute) << "exactly the retention is left";
  EXPECT_EQ(read[0].points.size(), 6u) << "89:00 to 90:00 and the stale marker";
  now_ = kT0 + 90 * kMinute + 121 * kMinute;
  store_->Sweep();
  EXPECT_TRUE(SelectName("read").empty());
  EXPECT_EQ(store_->GetStats().series, 0u);
  EXPECT_EQ(store_->GetStats().samples, 0u);
  EXPECT_EQ(store_->GetStats().sample_bytes, 0u);
  EXPECT_EQ(store_->GetStats().long_retention_series, 0u);
}

TEST_F(SeriesStoreTest, AccountingReturnsToZeroWhenEverythingExpires) {
  store_->Publish(MakeCollection(
      kT0, {MakeSample("a", L({{"long_label_name", std::string(40, 'v').c_str()}}), 1)}));
  store_->Write("group", kT0, {{L({{"__name__", "ALERTS"}, {"alertname", "X"}}), 1}});
  EXPECT_GT(store_->GetStats().sample_bytes, 0u);
  EXPECT_GT(store_->GetStats().series_bytes, 0u);
  EXPECT_GT(MetricValue(*registry_, "codebot_exporter_store_bytes", {{"part", "series"}}), 0);
  now_ = kT0 + 1000;
  store_->Forget("bot");
  store_->ForgetWriter("group");
  now_ = kT0 + 60 * kMinute;
  store_->Sweep();
  const auto stats = store_->GetStats();
  EXPECT_EQ(stats.series, 0u);
  EXPECT_EQ(stats.samples, 0u);
  EXPECT_EQ(stats.chunks, 0u);
  EXPECT_EQ(stats.sample_bytes, 0u);
  EXPECT_EQ(stats.series_bytes, 0u);
  EXPECT_EQ(MetricValue(*registry_, "codebot_exporter_store_bytes", {{"part", "samples"}}), 0);
}

TEST_F(SeriesStoreTest, SeriesLimitRejectsNewSeriesButKeepsUp) {
  SeriesStoreOptions options;
  options.max_series = 5;
  Reset(options);
  std::vector<Sample> samples;
  for (int i = 0; i < 10; ++i) {
    samples.push_back(MakeSample("exploding", L({{"user", std::to_string(i).c_str()}}), i));
  }
  store_->Publish(MakeCollection(kT0, samples));
  // up and scrape_samples_scraped count against the limit but are never refused.
  EXPECT_EQ(SelectName("exploding").size(), 3u);
  EXPECT_EQ(Rejected("series_limit"), 7);
  EXPECT_EQ(store_->GetStats().series, 5u);
  ASSERT_EQ(SelectName("up").size(), 1u);

  // Known series keep being appended to; the others keep being refused.
  store_->Publish(MakeCollection(kT0 + 15000, samples));
  EXPECT_EQ(Rejected("series_limit"), 14);
  auto exploding = SelectName("exploding");
  ASSERT_EQ(exploding.size(), 3u);
  EXPECT_EQ(exploding[0].points.size(), 2u);

  // A new source still gets its `up` beyond the limit.
  store_->Publish(MakeCollection(kT0, {}, true, "github", "github", "api:443"));
  EXPECT_EQ(Select({Matcher(MatchType::kEqual, "__name__", "up"),
                    Matcher(MatchType::kEqual, "job", "github")})
                .size(),
            1u);
}

TEST_F(SeriesStoreTest, SelectRangeIsInclusiveAtBothEnds) {
  for (int64_t t : {1000, 2000, 3000}) {
    store_->Publish(MakeCollection(kT0 + t, {MakeSample("r", {}, static_cast<double>(t))}));
  }
  auto all = SelectName("r", kT0 + 1000, kT0 + 3000);
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].points.size(), 3u);
  EXPECT_EQ(all[0].points[0].t, kT0 + 1000);
  EXPECT_EQ(all[0].points[2].t, kT0 + 3000);

  auto middle = SelectName("r", kT0 + 1001, kT0 + 2999);
  ASSERT_EQ(middle.size(), 1u);
  ASSERT_EQ(middle[0].points.size(), 1u);
  EXPECT_EQ(middle[0].points[0].v, 2000);

  auto one = SelectName("r", kT0 + 3000, kT0 + 3000);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].points.size(), 1u);

  // No sample in range: no series at all, not a series without points.
  EXPECT_TRUE(SelectName("r", kT0 + 3001, kT0 + 9000).empty());
  EXPECT_TRUE(SelectName("r", kT0, kT0 + 999).empty());
  EXPECT_TRUE(SelectName("r", kT0 + 3000, kT0 + 1000).empty());
}

TEST_F(SeriesStoreTest, SelectAcrossManyChunks) {
  for (int i = 0; i < 1000; ++i) {
    store_->Publish(MakeCollection(kT0 + i * 1000, {MakeSample("dense", {}, i)}));
  }
  auto range = SelectName("dense", kT0 + 100500, kT0 + 700000);
  ASSERT_EQ(range.size(), 1u);
  ASSERT_EQ(range[0].points.size(), 600u);
  for (size_t i = 0; i < range[0].points.size(); ++i) {
    EXPECT_EQ(range[0].points[i].v, static_cast<double>(101 + i));
  }
  EXPECT_GT(store_->GetStats().chunks, 3u);
}

TEST_F(SeriesStoreTest, SelectStartsInsideChunksAtEveryEdge) {
  // Three chunks (120 + 120 + 60 samples) of values that use every encoding, read from every
  // sample edge: readers start at a checkpoint inside a chunk and must neither lose nor add a
  // sample, stale markers included.
  store_->SetRetention(24 * 60 * kMinute);
  std::vector<Point> written;
  for (int i = 0; i < 300; ++i) {
    const int64_t t = kT0 + i * 15000 + (i * 7919) % 5 - 2;
    double v = i % 3 == 0 ? std::ldexp(static_cast<double>(i * 2654435761u % 1000003), i % 40)
                          : static_cast<double>(i / 4);
    if (i % 50 == 49) v = StaleNaN();
    written.push_back({t, v});
    store_->Write("w", t, {{L({{"__name__", "edges"}}), v}});
  }
  EXPECT_EQ(store_->GetStats().chunks, 3u);
  std::vector<int64_t> edges{kT0 - 60000};
  for (const auto& point : written) edges.insert(edges.end(), {point.t - 1, point.t, point.t + 1});
  edges.push_back(written.back().t + 60000);
  auto check = [&](int64_t mint, int64_t maxt) {
    std::vector<Point> want;
    for (const auto& point : written) {
      if (point.t >= mint && point.t <= maxt) want.push_back(point);
    }
    auto got = SelectName("edges", mint, maxt);
    if (want.empty()) {
      EXPECT_TRUE(got.empty()) << mint - kT0 << ".." << maxt - kT0;
      return;
    }
    ASSERT_EQ(got.size(), 1u) << mint - kT0 << ".." << maxt - kT0;
    ASSERT_EQ(got[0].points.size(), want.size()) << mint - kT0 << ".." << maxt - kT0;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[0].points[i].t, want[i].t) << mint - kT0 << ".." << maxt - kT0;
      ASSERT_EQ(std::bit_cast<uint64_t>(got[0].points[i].v), std::bit_cast<uint64_t>(want[i].v))
          << mint - kT0 << ".." << maxt - kT0;
    }
  };
  // Every start edge with a 5-minute window and with the whole rest; every end edge from the
  // start; and a sweep of short windows across the chunk seams.
  for (int64_t mint : edges) {
    check(mint, mint + 5 * kMinute);
    check(mint, std::numeric_limits<int64_t>::max());
    check(0, mint);
  }
  for (size_t a = 0; a < edges.size(); a += 5) {
    for (size_t b = a; b < edges.size() && b < a + 200; b += 13) check(edges[a], edges[b]);
  }
}

TEST_F(SeriesStoreTest, SeriesComeBackInLabelOrderWithoutSorting) {
  // Series are created in a scrambled order, under several names, with labels that sort before
  // __name__ (upper case), byte values above 0x7f, and label sets that are prefixes of others;
  // Select must return them in Labels' order, as if it had sorted them.
  std::vector<Labels> created;
  for (int i = 0; i < 60; ++i) {
    const int k = (i * 37) % 60;
    Labels labels{{"__name__", k % 3 == 0 ? "alpha" : (k % 3 == 1 ? "beta" : "Gamma")}};
    if (k % 4 == 0) labels.push_back({"Zone", std::string(1, static_cast<char>('a' + k % 5))});
    if (k % 5 != 0) labels.push_back({"path", "/p" + std::to_string(k % 7)});
    if (k % 6 == 0) labels.push_back({"path", std::string("\xc3\xa9") + std::to_string(k)});
    if (k % 2 == 0) labels.push_back({"x", std::to_string(k)});
    std::sort(labels.begin(), labels.end(),
              [](const Label& a, const Label& b) { return a.name < b.name; });
    labels.erase(std::unique(labels.begin(), labels.end(),
                             [](const Label& a, const Label& b) { return a.name == b.name; }),
                 labels.end());
    if (std::find(created.begin(), created.end(), labels) != created.end()) continue;
    created.push_back(labels);
    store_->Write("w" + std::to_string(i), kT0, {{labels, 1}});
  }
  auto expect_order = [&](const std::vector<SeriesData>& got, const std::vector<Labels>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i].labels, want[i]) << i;
  };
  std::vector<Labels> sorted = created;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_TRUE(std::any_of(sorted.begin(), sorted.end(),
                          [](const Labels& l) { return l.front().name == "Zone"; }));
  expect_order(Select({}), sorted);
  expect_order(Select({Matcher(MatchType::kRegexMatch, "__name__", ".+")}), sorted);
  std::vector<Labels> beta;
  for (const auto& labels : sorted) {
    if (LabelValue(labels, "__name__") == "beta") beta.push_back(labels);
  }
  expect_order(SelectName("beta"), beta);

  // Some go away and come back: still in order.
  for (size_t i = 0; i < created.size(); i += 3) store_->ForgetWriter("w" + std::to_string(i));
  now_ = kT0 + 60 * kMinute;
  store_->SetRetention(5 * kMinute);
  store_->Sweep();
  EXPECT_TRUE(Select({}).empty());
  for (size_t i = 0; i < created.size(); ++i) {
    store_->Write("again" + std::to_string(i), now_, {{created[created.size() - 1 - i], 2}});
  }
  expect_order(Select({}), sorted);
}

TEST_F(SeriesStoreTest, MatchersOfEveryKind) {
  store_->Publish(MakeCollection(kT0, {MakeSample("http_requests_total", L({{"code", "200"}}), 1),
                                       MakeSample("http_requests_total", L({{"code", "500"}}), 2),
                                       MakeSample("http_errors_total", L({{"code", "503"}}), 3),
                                       MakeSample("db_size_bytes", {}, 4)}));
  auto names = [](const std::vector<SeriesData>& series) {
    std::vector<std::string> out;
    for (const auto& s : series) {
      out.push_back(std::string(LabelValue(s.labels, "__name__")) + "/" +
                    std::string(LabelValue(s.labels, "code")));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(Select({Matcher(MatchType::kRegexMatch, "__name__", "http_.*")})),
            (V{"http_errors_total/503", "http_requests_total/200", "http_requests_total/500"}));
  // Anchored: "http" alone matches no name.
  EXPECT_TRUE(Select({Matcher(MatchType::kRegexMatch, "__name__", "http")}).empty());
  EXPECT_EQ(names(Select({Matcher(MatchType::kEqual, "__name__", "http_requests_total"),
                          Matcher(MatchType::kRegexMatch, "code", "5..")})),
            (V{"http_requests_total/500"}));
  EXPECT_EQ(names(Select({Matcher(MatchType::kRegexMatch, "code", "5.."),
                          Matcher(MatchType::kNotEqual, "__name__", "http_errors_total")})),
            (V{"http_requests_total/500"}));
  EXPECT_EQ(names(Select({Matcher(MatchType::kRegexNoMatch, "__name__", "http_.*|up|scrape_.*")})),
            (V{"db_size_bytes/"}));
  // An absent label matches "".
  EXPECT_EQ(names(Select({Matcher(MatchType::kEqual, "code", ""),
                          Matcher(MatchType::kEqual, "job", "bot"),
                          Matcher(MatchType::kRegexMatch, "__name__", "db.*")})),
            (V{"db_size_bytes/"}));
  EXPECT_EQ(Select({Matcher(MatchType::kNotEqual, "code", "")}).size(), 3u);
  EXPECT_TRUE(Select({Matcher(MatchType::kEqual, "__name__", "nope")}).empty());
  EXPECT_TRUE(Select({Matcher(MatchType::kEqual, "job", "other")}).empty());
  // up, scrape_samples_scraped and the four above.
  EXPECT_EQ(Select({}).size(), 6u);
}

TEST_F(SeriesStoreTest, RuleResultsKeepTheirLabelsAndGoStale) {
  store_->Write(
      "group-a", kT0,
      {{L({{"alertstate", "firing"}, {"__name__", "ALERTS"}, {"alertname", "Down"}}), 1},
       {L({{"__name__", "ALERTS"}, {"alertname", "Slow"}, {"alertstate", "pending"}}), 1}});
  store_->Write(
      "group-a", kT0 + 15000,
      {{L({{"__name__", "ALERTS"}, {"alertname", "Down"}, {"alertstate", "firing"}}), 1}});
  auto alerts = SelectName("ALERTS");
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].labels,
            L({{"__name__", "ALERTS"}, {"alertname", "Down"}, {"alertstate", "firing"}}));
  EXPECT_EQ(alerts[0].points.size(), 2u);
  EXPECT_FALSE(IsStaleNaN(alerts[0].points[1].v));
  ASSERT_EQ(alerts[1].points.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(alerts[1].points[1].v));
  EXPECT_TRUE(SelectName("up").empty());

  now_ = kT0 + 20000;
  store_->ForgetWriter("group-a");
  alerts = SelectName("ALERTS");
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].points.back().t, kT0 + 20000);
  EXPECT_TRUE(IsStaleNaN(alerts[0].points.back().v));
}

TEST_F(SeriesStoreTest, MetricsPassPromtoolCheck) {
  CODEBOT_REQUIRE_PROGRAM(testing::HaveProgram("promtool"), "promtool");
  store_->Publish(MakeCollection(kT0, {MakeSample("a", {}, 1), MakeSample("a", {}, 2)}));
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, registry_->Collect());
  ASSERT_NE(
      text.str().find("codebot_exporter_store_rejected_samples_total{reason=\"duplicate\"} 1"),
      std::string::npos)
      << text.str();
  const auto dir =
      std::filesystem::temp_directory_path() / ("store_metrics_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "metrics.txt").string();
  testing::WriteFile(file, text.str());
  std::string output;
  const int code =
      testing::RunCommand({"sh", "-c", "promtool check metrics < '" + file + "'"}, &output);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(output.find("codebot_exporter_store"), std::string::npos) << output;
}

TEST_F(SeriesStoreTest, ConcurrentAppendSelectAndSweep) {
  store_->SetRetention(60 * kMinute);
  constexpr int kSources = 4;
  constexpr int kCollections = 150;
  constexpr int kSeriesPerSource = 200;
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int s = 0; s < kSources; ++s) {
    threads.emplace_back([this, s] {
      const std::string source = "src" + std::to_string(s);
      for (int c = 0; c < kCollections; ++c) {
        std::vector<Sample> samples;
        for (int i = 0; i < kSeriesPerSource; ++i) {
          // Series come and go, so staleness and new series run concurrently too.
          if ((i + c) % 10 == 0) continue;
          samples.push_back(MakeSample("load", L({{"i", std::to_string(i).c_str()}}), c));
        }
        store_->Publish(MakeCollection(kT0 + c * 1000, samples, true, source, source, source));
      }
    });
  }
  size_t selects = 0;
  std::thread reader([&] {
    while (!done) {
      std::vector<SeriesData> out;
      store_->Select({Matcher(MatchType::kEqual, "__name__", "load"),
                      Matcher(MatchType::kRegexMatch, "job", "src[02]")},
                     kT0, kT0 + kCollections * 1000, &out);
      for (const auto& series : out) {
        for (size_t i = 1; i < series.points.size(); ++i) {
          ASSERT_LT(series.points[i - 1].t, series.points[i].t);
        }
      }
      // Label order holds while series are created and removed.
      for (size_t i = 1; i < out.size(); ++i) ASSERT_LT(out[i - 1].labels, out[i].labels);
      ++selects;
    }
  });
  std::thread sweeper([&] {
    while (!done) {
      store_->Sweep();
      std::this_thread::yield();
    }
  });
  // Reloads: half the sources' series are read by a rule, then not, and so on, so that their
  // newest samples move between plain and chunks while everything else goes on.
  size_t reloads = 0;
  std::thread reloader([&] {
    while (!done) {
      RetentionPolicy policy{60 * kMinute, {}};
      if (reloads % 2 == 0) {
        policy.selectors.push_back({{Matcher(MatchType::kEqual, "__name__", "load"),
                                     Matcher(MatchType::kRegexMatch, "job", "src[01]")},
                                    30 * kMinute});
      }
      store_->SetRetention(std::move(policy));
      ++reloads;
      std::this_thread::yield();
    }
  });
  for (auto& thread : threads) thread.join();
  done = true;
  reader.join();
  sweeper.join();
  reloader.join();
  EXPECT_GT(selects, 0u);
  EXPECT_GT(reloads, 0u);

  // Every sample and stale marker is there exactly once.
  auto load = SelectName("load");
  ASSERT_EQ(load.size(), static_cast<size_t>(kSources * kSeriesPerSource));
  size_t points = 0;
  for (const auto& series : load) points += series.points.size();
  size_t expected = 0;
  for (int i = 0; i < kSeriesPerSource; ++i) {
    for (int c = 0; c < kCollections; ++c) {
      const bool present = (i + c) % 10 != 0;
      const bool was_present = c > 0 && (i + c - 1) % 10 != 0;
      expected += present ? 1 : (was_present ? 1 : 0);
    }
  }
  EXPECT_EQ(points, expected * kSources);
  EXPECT_EQ(store_->GetStats().samples, points + 2 * kSources * kCollections);
}

}  // namespace
}  // namespace codebot::store
