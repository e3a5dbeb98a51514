// Compressed sample chunks for the sample store: timestamps as delta-of-delta, values XORed with
// the previous value (the Gorilla scheme), so that a scraped series costs one to three bytes per
// sample instead of sixteen. A chunk only grows at its end and has no lock of its own: the series
// that owns it serialises every access. It never reorders or drops samples; order checks are the
// caller's.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace codebot::store {

class XorChunk {
 public:
  // 120 samples is 30 minutes at a 15 s interval; more saves little and makes retention coarser.
  static constexpr uint16_t kMaxSamples = 120;

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
    bool Next();
    int64_t t() const { return t_; }
    double v() const;

   private:
    uint64_t PeekBits(unsigned n) const;  // 1 <= n <= 64
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

  std::vector<uint8_t> bits_;
  int64_t min_t_ = 0;
  int64_t max_t_ = 0;
  int64_t delta_ = 0;    // max_t_ minus the timestamp before it
  uint64_t v_bits_ = 0;  // the last value's bits
  uint32_t nbits_ = 0;   // bits used in bits_
  uint16_t count_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no XOR window yet
  uint8_t trailing_ = 0;
};

inline uint64_t XorChunk::Reader::PeekBits(unsigned n) const {
  // Reads a whole big-endian word and cuts the n bits out of it: decoding bit by bit made
  // Select spend most of its time here.
  const uint8_t* data = chunk_.bits_.data();
  const size_t size = chunk_.bits_.size();
  const size_t byte = pos_ >> 3;
  const unsigned offset = pos_ & 7;
  uint64_t word = 0;
  if (byte + 8 <= size) {
    std::memcpy(&word, data + byte, 8);
    if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
  } else {
    for (size_t i = 0; i < 8 && byte + i < size; ++i) {
      word |= static_cast<uint64_t>(data[byte + i]) << (56 - 8 * i);
    }
  }
  uint64_t value = (word << offset) >> (64 - n);
  if (offset + n > 64) {
    // The last few bits are in the ninth byte.
    const unsigned extra = offset + n - 64;
    const uint8_t next = byte + 8 < size ? data[byte + 8] : 0;
    value |= static_cast<uint64_t>(next) >> (8 - extra);
  }
  return value;
}

}  // namespace codebot::store
