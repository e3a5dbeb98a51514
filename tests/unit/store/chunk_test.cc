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

}  // namespace
}  // namespace codebot::store
