// Compressed sample chunks for the sample store: timestamps as delta-of-delta, values XORed with
// the previous value (the Gorilla scheme), so that a scraped series costs one to three bytes per
// sample instead of sixteen. A chunk only grows at its end and has no lock of its own: the series
// that owns it serialises every access. It never reorders or drops samples; order checks are the
// caller's. Decoding can start at a few checkpoints inside the chunk, so that reading the last
// minutes of a series (what rules mostly read) does not decode its whole chunk.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

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
    explicit Reader(const XorChunk& chunk) : chunk_(chunk) {}
    // Before the first Next(): moves to the last checkpoint whose samples so far are all older
    // than t, so that Next() skips most of them without decoding. Samples older than t may
    // still follow; the caller filters them as usual.
    void SkipOlderThan(int64_t t);
    bool Next();  // inline below: it runs once per sample in Select's loops
    int64_t t() const { return t_; }
    double v() const { return std::bit_cast<double>(v_bits_); }
    // Samples Next() has yet to return.
    uint16_t remaining() const { return static_cast<uint16_t>(chunk_.count_ - read_); }

   private:
    // The 64 bits at pos_, first bit in the top bit; zeros past the end.
    uint64_t Peek64() const;
    uint64_t PeekBits(unsigned n) const { return Peek64() >> (64 - n); }  // 1 <= n <= 64
    uint64_t ReadBits(unsigned n) {
      const uint64_t value = PeekBits(n);
      pos_ += n;
      return value;
    }

    const XorChunk& chunk_;
    uint32_t pos_ = 0;  // in bits
    uint16_t read_ = 0;
    int64_t t_ = 0;
    int64_t delta_ = 0;
    uint64_t v_bits_ = 0;
    uint8_t leading_ = 0;
    uint8_t trailing_ = 0;
  };

 private:
  void WriteBits(uint64_t value, unsigned n);
  void WriteTimestamp(int64_t t);
  void WriteValue(uint64_t v_bits);
  void WriteCheckpoint();

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

inline uint64_t XorChunk::Reader::Peek64() const {
  // Reads a whole big-endian word and shifts the ninth byte in: decoding bit by bit made
  // Select spend most of its time here. Near the end the bytes left are copied into a zeroed
  // buffer first (rules mostly read the newest samples, which sit right there).
  const uint8_t* data = chunk_.bits_.data();
  const size_t size = chunk_.bits_.size();
  const size_t byte = pos_ >> 3;
  uint64_t word = 0;
  uint8_t ninth = 0;
  if (byte + 9 <= size) [[likely]] {
    std::memcpy(&word, data + byte, 8);
    ninth = data[byte + 8];
  } else {
    uint8_t buffer[9] = {};
    if (byte < size) std::memcpy(buffer, data + byte, size - byte);
    std::memcpy(&word, buffer, 8);
    ninth = buffer[8];
  }
  if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
  const unsigned offset = pos_ & 7;
  if (offset != 0) word = (word << offset) | (ninth >> (8 - offset));
  return word;
}

inline bool XorChunk::Reader::Next() {
  if (read_ >= chunk_.count_) return false;
  if (read_ == 0) {
    t_ = chunk_.min_t_;
    v_bits_ = ReadBits(64);
    ++read_;
    return true;
  }
  // One 64-bit peek covers the timestamp (at most 24 bits outside the escape) and the value's
  // control and window (13 bits); a second one is needed only when the value's bits run past it.
  uint64_t word = Peek64();
  unsigned used = 0;
  const unsigned ones = std::min(std::countl_one(word), 4);
  int64_t dod = 0;
  if (ones == 0) {
    used = 1;
  } else if (ones < 4) {
    const unsigned bits = detail::kDodBits[ones - 1];
    dod = detail::SignExtend((word << (ones + 1)) >> (64 - bits), bits);
    used = ones + 1 + bits;
  } else {
    pos_ += 4;
    dod = static_cast<int64_t>(ReadBits(64));
    word = Peek64();
  }
  delta_ = detail::WrappingAdd(delta_, dod);
  t_ = detail::WrappingAdd(t_, delta_);
  // Value: 0 (unchanged), 10 (same window), 11 (new window).
  const uint64_t rest = word << used;
  if ((rest >> 63) == 0) {
    pos_ += used + 1;
  } else {
    unsigned head = 2;
    if ((rest >> 62) == 3) {
      const auto window = static_cast<unsigned>((rest << 2) >> 53);
      leading_ = static_cast<uint8_t>(window >> 6);
      unsigned width = window & 63;
      if (width == 0) width = 64;
      trailing_ = static_cast<uint8_t>(64 - leading_ - width);
      head = 13;
    }
    const unsigned width = 64 - leading_ - trailing_;
    if (used + head + width <= 64) {
      pos_ += used + head + width;
      v_bits_ ^= ((rest << head) >> (64 - width)) << trailing_;
    } else {
      pos_ += used + head;
      v_bits_ ^= ReadBits(width) << trailing_;
    }
  }
  ++read_;
  return true;
}

}  // namespace codebot::store
