// Compressed sample chunks for the sample store: timestamps as delta-of-delta, values XORed with
// the previous value (the Gorilla scheme), so that a scraped series costs one to three bytes per
// sample instead of sixteen. A chunk only grows at its end and has no lock of its own: the series
// that owns it serialises every access. It never reorders or drops samples; order checks are the
// caller's. Decoding can start at a few checkpoints inside the chunk, so that reading the last
// minutes of a series (what rules mostly read) does not decode its whole chunk.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "exporter/core/series.h"

namespace codebot::store {

namespace detail {

// Delta-of-delta buckets: a prefix of 1s ended by a 0 (or four 1s), then a signed value of this
// many bits. Scheduled collections jitter by a few milliseconds, so the 7-bit bucket is the
// common case once the interval is known; the first delta of a chunk lands in the 20-bit one.
inline constexpr unsigned kDodBits[] = {7, 14, 20};

inline int64_t SignExtend(uint64_t value, unsigned bits) {
  const unsigned shift = 64 - bits;
  return static_cast<int64_t>(value << shift) >> shift;
}

// Deltas are computed in unsigned arithmetic: any pair of int64 timestamps round-trips through
// the 64-bit escape without signed overflow.
inline int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// Reads the encoded bits from the top: `buf` holds the next bits, the first in its top bit, and
// `avail` of them are loaded; below them are zeros or, after a refill, the bits that follow.
// A refill loads a whole big-endian word, so that a sample costs one load instead of one per
// field (reading bit by bit, then a word per field, was most of Select's time).
struct BitCursor {
  const uint8_t* next = nullptr;  // the first byte not yet in buf
  const uint8_t* end = nullptr;
  uint64_t buf = 0;
  int avail = 0;

  // Afterwards at least 56 bits are loaded, unless the chunk ends before.
  [[gnu::always_inline]] void Refill() {
    if (end - next >= 8) [[likely]] {
      uint64_t word;
      std::memcpy(&word, next, 8);
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
      buf |= word >> avail;
      const int bytes = (63 - avail) >> 3;  // avail stays below 64: shifts stay defined
      next += bytes;
      avail += bytes * 8;
    } else {
      while (avail <= 56 && next < end) {
        buf |= uint64_t{*next++} << (56 - avail);
        avail += 8;
      }
    }
  }
  // 1 <= n <= 63 and n <= avail.
  [[gnu::always_inline]] void Skip(unsigned n) {
    buf <<= n;
    avail -= static_cast<int>(n);
  }
  // 1 <= n <= 64; refills as needed.
  [[gnu::always_inline]] uint64_t Read(unsigned n) {
    if (static_cast<int>(n) > avail) Refill();
    if (n < 64 && static_cast<int>(n) <= avail) [[likely]] {
      const uint64_t value = buf >> (64 - n);
      Skip(n);
      return value;
    }
    return ReadInHalves(n);
  }
  // More than a refill guarantees (a 64-bit escape or window, or the end of the chunk).
  [[gnu::noinline]] uint64_t ReadInHalves(unsigned n) {
    const unsigned low_bits = n / 2;
    const uint64_t high = Read(n - low_bits);
    return (high << low_bits) | Read(low_bits);
  }
};

// The decoder's state: the last sample decoded and the encoding context.
struct DecodeState {
  BitCursor bits;
  int64_t t = 0;
  int64_t delta = 0;
  uint64_t v_bits = 0;
  uint16_t read = 0;  // samples decoded so far
  uint8_t leading = 0;
  uint8_t trailing = 0;

  // Decodes the sample after the first one (the caller handles that one: it is min_t and 64
  // plain bits). Always inlined: as a call, its state lives in memory and the call's overhead
  // and the loads and stores cost more than the decoding.
  [[gnu::always_inline]] void Step() {
    bits.Refill();
    // Timestamp: delta-of-delta, at most 24 bits outside the escape.
    const uint64_t word = bits.buf;
    const unsigned ones = std::min(std::countl_one(word), 4);
    int64_t dod = 0;
    if (ones == 0) {
      bits.Skip(1);
    } else if (ones < 4) [[likely]] {
      const unsigned width = kDodBits[ones - 1];
      dod = SignExtend((word << (ones + 1)) >> (64 - width), width);
      bits.Skip(ones + 1 + width);
    } else {
      bits.Skip(4);
      dod = static_cast<int64_t>(bits.Read(64));
      bits.Refill();
    }
    delta = WrappingAdd(delta, dod);
    t = WrappingAdd(t, delta);
    // Value: 0 (unchanged), 10 (same window), 11 (new window); at least 32 bits are loaded
    // here, enough for the 13 of a control and window.
    const uint64_t rest = bits.buf;
    if ((rest >> 63) == 0) {
      bits.Skip(1);
    } else {
      if ((rest >> 62) == 3) {
        const auto window = static_cast<unsigned>((rest << 2) >> 53);
        leading = static_cast<uint8_t>(window >> 6);
        unsigned width = window & 63;
        if (width == 0) width = 64;
        trailing = static_cast<uint8_t>(64 - leading - width);
        bits.Skip(13);
      } else {
        bits.Skip(2);
      }
      v_bits ^= bits.Read(64 - leading - trailing) << trailing;
    }
    ++read;
  }
};

}  // namespace detail

class XorChunk {
 public:
  // 120 samples is 30 minutes at a 15 s interval; more saves little and makes retention coarser.
  static constexpr uint16_t kMaxSamples = 120;
  // The encoder notes its state before every 30th sample (3 checkpoints, 72 bytes a chunk, 0.6
  // bytes a sample when full): a reader that wants the last 5 minutes of a full chunk then
  // decodes ~35 samples instead of 120, which was most of the rule evaluation's time.
  static constexpr uint16_t kCheckpointEvery = 30;
  static constexpr size_t kCheckpoints = (kMaxSamples - 1) / kCheckpointEvery;

  // t must be greater than max_t() and count() below kMaxSamples (the series checks both).
  void Append(int64_t t, double v);
  // Returns the spare capacity of a chunk that will not grow any more.
  void Seal();

  uint16_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ >= kMaxSamples; }
  int64_t min_t() const { return min_t_; }
  int64_t max_t() const { return max_t_; }
  // The bits of the last value appended (only meaningful when not empty).
  uint64_t last_value_bits() const { return v_bits_; }
  // Heap bytes the encoded samples hold (capacity, not size: that is what the process pays).
  size_t HeapBytes() const { return bits_.capacity(); }
  size_t EncodedBytes() const { return bits_.size(); }

  // Decodes the samples in order: `while (reader.Next()) use(reader.t(), reader.v());`
  class Reader {
   public:
    explicit Reader(const XorChunk& chunk);
    // Before the first Next(): moves to the last checkpoint whose samples so far are all older
    // than t, so that Next() skips most of them without decoding. Samples older than t may
    // still follow; the caller filters them as usual.
    void SkipOlderThan(int64_t t);
    bool Next();
    int64_t t() const { return state_.t; }
    double v() const { return std::bit_cast<double>(state_.v_bits); }
    // Samples Next() has yet to return.
    uint16_t remaining() const { return static_cast<uint16_t>(chunk_.count_ - state_.read); }

   private:
    const XorChunk& chunk_;
    detail::DecodeState state_;
  };

  // Appends the samples with mint <= t <= maxt to *out, in order: what Select does with every
  // chunk it reads. Decodes from the last checkpoint before mint in one tight loop, with the
  // decoder's state in registers rather than in a Reader.
  void AppendRange(int64_t mint, int64_t maxt, std::vector<Point>* out) const;
  // How many samples AppendRange(mint, ...) decodes at most: what to reserve for it.
  uint16_t DecodeBound(int64_t mint) const;

 private:
  void WriteBits(uint64_t value, unsigned n);
  void WriteTimestamp(int64_t t);
  void WriteValue(uint64_t v_bits);
  void WriteCheckpoint();
  // Where decoding for samples at or after t starts: the number of the last checkpoint whose
  // samples so far are all older than t (1-based), or 0 for the first sample.
  size_t StartIndex(int64_t t) const;
  // Positions a decoder before sample index * kCheckpointEvery.
  void Start(size_t index, detail::DecodeState* state) const;

  // A reader's state before sample (i + 1) * kCheckpointEvery: the sample before it and the
  // encoding context. pos == 0 marks one that was not taken (a delta beyond 32 bits).
  struct Checkpoint {
    uint64_t v_bits;
    int64_t t;
    int32_t delta;
    uint16_t pos;
    uint8_t leading;
    uint8_t trailing;
  };
  // The most bits a chunk can take (every sample with escaped timestamp and full window) fit
  // a checkpoint's position.
  static_assert(64 + (kMaxSamples - 1) * (4 + 64 + 2 + 11 + 64) <= UINT16_MAX);

  std::vector<uint8_t> bits_;
  Checkpoint checkpoints_[kCheckpoints] = {};
  int64_t min_t_ = 0;
  int64_t max_t_ = 0;
  int64_t delta_ = 0;    // max_t_ minus the timestamp before it
  uint64_t v_bits_ = 0;  // the last value's bits
  uint32_t nbits_ = 0;   // bits used in bits_
  uint16_t count_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no XOR window yet
  uint8_t trailing_ = 0;
};

}  // namespace codebot::store
