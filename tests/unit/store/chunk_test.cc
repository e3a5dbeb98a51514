#include "exporter/store/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "exporter/core/series.h"

namespace codebot::store {
namespace {

struct Raw {
  int64_t t;
  uint64_t bits;
};

std::vector<Raw> Decode(const XorChunk& chunk) {
  std::vector<Raw> out;
  XorChunk::Reader reader(chunk);
  while (reader.Next()) out.push_back({reader.t(), std::bit_cast<uint64_t>(reader.v())});
  return out;
}

// Appends everything and checks that every timestamp and every value bit comes back.
void ExpectRoundTrip(const std::vector<std::pair<int64_t, double>>& samples) {
  XorChunk chunk;
  for (const auto& [t, v] : samples) chunk.Append(t, v);
  ASSERT_EQ(chunk.count(), samples.size());
  EXPECT_EQ(chunk.min_t(), samples.front().first);
  EXPECT_EQ(chunk.max_t(), samples.back().first);
  const auto decoded = Decode(chunk);
  ASSERT_EQ(decoded.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(decoded[i].t, samples[i].first) << "sample " << i;
    EXPECT_EQ(decoded[i].bits, std::bit_cast<uint64_t>(samples[i].second)) << "sample " << i;
  }
  chunk.Seal();
  EXPECT_EQ(Decode(chunk).size(), samples.size());
}

TEST(XorChunkTest, EmptyChunkHasNoSamples) {
  XorChunk chunk;
  EXPECT_TRUE(chunk.empty());
  EXPECT_TRUE(Decode(chunk).empty());
}

TEST(XorChunkTest, SingleSample) { ExpectRoundTrip({{1700000000123, 42.5}}); }

TEST(XorChunkTest, ScrapeIntervalWithJitterAndCounters) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> jitter(-3, 3);
  std::uniform_int_distribution<int> increment(0, 50);
  std::vector<std::pair<int64_t, double>> samples;
  double counter = 1000;
  for (int i = 0; i < XorChunk::kMaxSamples; ++i) {
    samples.emplace_back(1700000000000 + i * 15000 + jitter(rng), counter);
    counter += increment(rng);
  }
  ExpectRoundTrip(samples);
}

TEST(XorChunkTest, RandomDoublesAndIrregularTimes) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> value(-1e12, 1e12);
  std::uniform_int_distribution<int64_t> gap(1, 10'000'000);  // up to ~3 hours, every bucket
  std::vector<std::pair<int64_t, double>> samples;
  int64_t t = -5'000'000;  // before the epoch works too
  for (int i = 0; i < XorChunk::kMaxSamples; ++i) {
    t += gap(rng);
    samples.emplace_back(t, value(rng));
  }
  ExpectRoundTrip(samples);
}

TEST(XorChunkTest, SpecialValuesKeepTheirBits) {
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  const double kInf = std::numeric_limits<double>::infinity();
  ExpectRoundTrip({{1000, 0.0},
                   {2000, -0.0},
                   {3000, kNaN},
                   {4000, StaleNaN()},
                   {5000, kInf},
                   {6000, -kInf},
                   {7000, std::numeric_limits<double>::denorm_min()},
                   {8000, std::numeric_limits<double>::max()},
                   {9000, std::numeric_limits<double>::lowest()},
                   {10000, 1.0},
                   {11000, 1.0},
                   {12000, StaleNaN()}});
}

TEST(XorChunkTest, ExtremeTimestampGapsUseTheEscape) {
  const int64_t kMin = std::numeric_limits<int64_t>::min() / 2;
  const int64_t kMax = std::numeric_limits<int64_t>::max() / 2;
  ExpectRoundTrip({{kMin, 1}, {kMin + 1, 2}, {0, 3}, {kMax, 4}, {kMax + 1, 5}});
}

TEST(XorChunkTest, RegularSeriesCompressToAFewBitsPerSample) {
  // The point of the encoding: a steady gauge at a steady interval is nearly free.
  XorChunk chunk;
  for (int i = 0; i < XorChunk::kMaxSamples; ++i) chunk.Append(int64_t{15000} * i, 1.0);
  chunk.Seal();
  // 8 bytes for the first value, then 2 bits per sample (plus the first delta).
  EXPECT_LT(chunk.EncodedBytes(), 8 + XorChunk::kMaxSamples / 4 + 8);
  EXPECT_EQ(chunk.HeapBytes(), chunk.EncodedBytes());
}

// What a reader started with SkipOlderThan(t) returns at or after t must be exactly the samples
// at or after t, whatever t is relative to the checkpoints; and it must really have skipped:
// fewer than kCheckpointEvery older samples are decoded once a checkpoint lies before t.
void ExpectSkipMatchesFullDecode(const XorChunk& chunk) {
  const auto all = Decode(chunk);
  std::vector<int64_t> probes{std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max()};
  for (const auto& sample : all) {
    probes.insert(probes.end(), {sample.t - 1, sample.t, sample.t + 1});
  }
  for (int64_t t : probes) {
    XorChunk::Reader reader(chunk);
    reader.SkipOlderThan(t);
    const size_t left = reader.remaining();
    std::vector<Raw> got;
    size_t older = 0;
    while (reader.Next()) {
      if (reader.t() < t) {
        ++older;
        continue;
      }
      got.push_back({reader.t(), std::bit_cast<uint64_t>(reader.v())});
    }
    std::vector<Raw> want;
    for (const auto& sample : all) {
      if (sample.t >= t) want.push_back(sample);
    }
    ASSERT_EQ(got.size(), want.size()) << "t=" << t;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].t, want[i].t) << "t=" << t << " i=" << i;
      EXPECT_EQ(got[i].bits, want[i].bits) << "t=" << t << " i=" << i;
    }
    EXPECT_EQ(left, older + got.size()) << "t=" << t;
    EXPECT_LE(older, all.size() - want.size()) << "t=" << t;
  }
}

std::vector<std::pair<int64_t, double>> MixedSamples(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> jitter(-3, 3);
  std::uniform_real_distribution<double> value(-1e9, 1e9);
  std::vector<std::pair<int64_t, double>> samples;
  double counter = 100;
  for (int i = 0; i < n; ++i) {
    // Runs of steady counters, random doubles, repeats and stale markers: every value encoding
    // ends up at some checkpoint.
    double v = counter;
    switch ((i / 7) % 4) {
      case 0:
        counter += static_cast<double>(rng() % 20);
        v = counter;
        break;
      case 1:
        v = value(rng);
        break;
      case 2:
        v = 42;
        break;
      case 3:
        v = i % 2 == 0 ? StaleNaN() : 0.1 * i;
        break;
    }
    samples.emplace_back(1700000000000 + i * 15000 + jitter(rng), v);
  }
  return samples;
}

TEST(XorChunkTest, SkipOlderThanStartsAtTheLastCheckpointBefore) {
  // Full, and cut right before, at and after each checkpoint.
  for (int n : {1, 29, 30, 31, 32, 59, 60, 61, 89, 90, 91, 92, 119, 120}) {
    XorChunk chunk;
    for (const auto& [t, v] : MixedSamples(n, 100 + n)) chunk.Append(t, v);
    SCOPED_TRACE(n);
    ExpectSkipMatchesFullDecode(chunk);
    chunk.Seal();
    ExpectSkipMatchesFullDecode(chunk);
  }
}

TEST(XorChunkTest, SkipReallySkips) {
  XorChunk chunk;
  const auto samples = MixedSamples(XorChunk::kMaxSamples, 5);
  for (const auto& [t, v] : samples) chunk.Append(t, v);
  // The last 20 samples (the 5 minutes a rule reads): decoding starts at the last checkpoint.
  XorChunk::Reader reader(chunk);
  reader.SkipOlderThan(samples[100].first);
  EXPECT_EQ(reader.remaining(), XorChunk::kMaxSamples - 3 * XorChunk::kCheckpointEvery);
  ASSERT_TRUE(reader.Next());
  EXPECT_EQ(reader.t(), samples[90].first);
  // Nothing older than t in the chunk: no skipping.
  XorChunk::Reader from_start(chunk);
  from_start.SkipOlderThan(samples[0].first);
  EXPECT_EQ(from_start.remaining(), XorChunk::kMaxSamples);
  // Only once, before the first sample.
  XorChunk::Reader started(chunk);
  ASSERT_TRUE(started.Next());
  started.SkipOlderThan(samples[100].first);
  EXPECT_EQ(started.remaining(), XorChunk::kMaxSamples - 1);
}

// AppendRange is what Select uses: for every [mint, maxt] around the samples it must append
// exactly the samples inside, bit for bit, and never more than DecodeBound(mint) were decoded.
void ExpectAppendRangeMatchesFullDecode(const XorChunk& chunk) {
  const auto all = Decode(chunk);
  std::vector<int64_t> edges{std::numeric_limits<int64_t>::min()};
  for (const auto& sample : all) edges.insert(edges.end(), {sample.t - 1, sample.t, sample.t + 1});
  edges.push_back(std::numeric_limits<int64_t>::max());
  for (size_t a = 0; a < edges.size(); a += 1 + a % 3) {
    for (size_t b = a; b < edges.size(); b += 1 + b % 5) {
      const int64_t mint = edges[a];
      const int64_t maxt = edges[b];
      std::vector<Point> got{{-1, -1}};  // appended after what is there
      chunk.AppendRange(mint, maxt, &got);
      std::vector<Raw> want;
      for (const auto& sample : all) {
        if (sample.t >= mint && sample.t <= maxt) want.push_back(sample);
      }
      ASSERT_EQ(got.size(), want.size() + 1) << mint << ".." << maxt;
      EXPECT_EQ(got[0].t, -1);
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i + 1].t, want[i].t) << mint << ".." << maxt << " i=" << i;
        EXPECT_EQ(std::bit_cast<uint64_t>(got[i + 1].v), want[i].bits)
            << mint << ".." << maxt << " i=" << i;
      }
      EXPECT_GE(chunk.DecodeBound(mint), want.size()) << mint << ".." << maxt;
    }
  }
}

TEST(XorChunkTest, AppendRangeReturnsExactlyTheRange) {
  for (int n : {1, 2, 29, 30, 31, 61, 90, 91, 120}) {
    XorChunk chunk;
    for (const auto& [t, v] : MixedSamples(n, 300 + n)) chunk.Append(t, v);
    SCOPED_TRACE(n);
    ExpectAppendRangeMatchesFullDecode(chunk);
    chunk.Seal();  // no spare capacity after the last byte: the reader's tail path
    ExpectAppendRangeMatchesFullDecode(chunk);
  }
  // Escaped timestamps and 64-bit windows, read in halves.
  std::mt19937_64 rng(3);
  XorChunk chunk;
  int64_t t = 0;
  for (int i = 0; i < XorChunk::kMaxSamples; ++i) {
    t += i % 17 == 0 ? (int64_t{1} << 40) + i : 1 + static_cast<int64_t>(rng() % 100000);
    chunk.Append(t, std::bit_cast<double>(rng()));
  }
  ExpectAppendRangeMatchesFullDecode(chunk);
  // A whole chunk needs no more room than its samples.
  EXPECT_EQ(chunk.DecodeBound(std::numeric_limits<int64_t>::min()), XorChunk::kMaxSamples);
}

TEST(XorChunkTest, CheckpointsAcrossHugeGapsStayCorrect) {
  // Deltas beyond 32 bits can't be checkpointed; readers fall back to an earlier checkpoint or
  // the start, and every timestamp still comes back.
  std::vector<std::pair<int64_t, double>> samples;
  int64_t t = 0;
  for (int i = 0; i < XorChunk::kMaxSamples; ++i) {
    const bool huge = i == 29 || i == 30 || i == 89;
    t += huge ? (int64_t{1} << 40) + i : 15000;
    samples.emplace_back(t, i);
  }
  XorChunk chunk;
  for (const auto& [ts, v] : samples) chunk.Append(ts, v);
  ExpectSkipMatchesFullDecode(chunk);
  XorChunk::Reader reader(chunk);
  reader.SkipOlderThan(samples[95].first);
  // The checkpoint before sample 90 follows a huge delta: the one before sample 60 is used.
  EXPECT_EQ(reader.remaining(), XorChunk::kMaxSamples - 2 * XorChunk::kCheckpointEvery);
}

}  // namespace
}  // namespace codebot::store
