#include "exporter/store/chunk.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace codebot::store {
namespace {

// Delta-of-delta buckets: a prefix of 1s ended by a 0 (or four 1s), then a signed value of this
// many bits. Scheduled collections jitter by a few milliseconds, so the 7-bit bucket is the
// common case once the interval is known; the first delta of a chunk lands in the 20-bit one.
constexpr unsigned kDodBits[] = {7, 14, 20};

bool FitsSigned(int64_t value, unsigned bits) {
  const int64_t limit = int64_t{1} << (bits - 1);
  return value >= -limit && value < limit;
}

int64_t SignExtend(uint64_t value, unsigned bits) {
  const unsigned shift = 64 - bits;
  return static_cast<int64_t>(value << shift) >> shift;
}

// Deltas are computed in unsigned arithmetic: any pair of int64 timestamps round-trips through
// the 64-bit escape without signed overflow.
int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// Grows the buffer by half again (at least 16 bytes) instead of doubling: a head chunk then
// carries at most a third of slack, and Seal() drops it when the chunk is cut.
void Reserve(std::vector<uint8_t>& bits, size_t needed) {
  if (needed <= bits.capacity()) return;
  bits.reserve(std::max(needed, bits.capacity() + std::max<size_t>(16, bits.capacity() / 2)));
}

}  // namespace

void XorChunk::WriteBits(uint64_t value, unsigned n) {
  Reserve(bits_, (static_cast<size_t>(nbits_) + n + 7) / 8);
  while (n > 0) {
    const unsigned used = nbits_ & 7;
    if (used == 0) bits_.push_back(0);
    const unsigned space = 8 - used;
    const unsigned take = std::min(space, n);
    const uint64_t part = (value >> (n - take)) & ((uint64_t{1} << take) - 1);
    bits_.back() |= static_cast<uint8_t>(part << (space - take));
    n -= take;
    nbits_ += take;
  }
}

void XorChunk::WriteTimestamp(int64_t t) {
  const int64_t delta = WrappingSub(t, max_t_);
  const int64_t dod = WrappingSub(delta, delta_);
  if (dod == 0) {
    WriteBits(0, 1);
  } else {
    unsigned bucket = 0;
    while (bucket < std::size(kDodBits) && !FitsSigned(dod, kDodBits[bucket])) ++bucket;
    if (bucket < std::size(kDodBits)) {
      // bucket + 1 ones then a zero: 10, 110, 1110.
      WriteBits((uint64_t{1} << (bucket + 2)) - 2, bucket + 2);
      const unsigned bits = kDodBits[bucket];
      WriteBits(static_cast<uint64_t>(dod) & ((uint64_t{1} << bits) - 1), bits);
    } else {
      WriteBits(0b1111, 4);
      WriteBits(static_cast<uint64_t>(dod), 64);
    }
  }
  delta_ = delta;
  max_t_ = t;
}

void XorChunk::WriteValue(uint64_t v_bits) {
  const uint64_t x = v_bits ^ v_bits_;
  v_bits_ = v_bits;
  if (x == 0) {
    WriteBits(0, 1);
    return;
  }
  // Leading zeros are stored in 5 bits, so at most 31 of them are taken as leading.
  const unsigned leading = std::min(std::countl_zero(x), 31);
  const unsigned trailing = std::countr_zero(x);
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    // The meaningful bits fit the previous window: reuse it without describing it again.
    const unsigned width = 64 - leading_ - trailing_;
    WriteBits(0b10, 2);
    WriteBits(x >> trailing_, width);
    return;
  }
  const unsigned width = 64 - leading - trailing;
  WriteBits(0b11, 2);
  WriteBits(leading, 5);
  WriteBits(width & 63, 6);  // 64 does not fit in 6 bits and can't be 0: 0 stands for it
  WriteBits(x >> trailing, width);
  leading_ = static_cast<uint8_t>(leading);
  trailing_ = static_cast<uint8_t>(trailing);
}

void XorChunk::Append(int64_t t, double v) {
  const uint64_t v_bits = std::bit_cast<uint64_t>(v);
  if (count_ == 0) {
    min_t_ = t;
    max_t_ = t;
    delta_ = 0;
    v_bits_ = v_bits;
    WriteBits(v_bits, 64);
  } else {
    WriteTimestamp(t);
    WriteValue(v_bits);
  }
  ++count_;
}

void XorChunk::Seal() { bits_.shrink_to_fit(); }

bool XorChunk::Reader::Next() {
  if (read_ >= chunk_.count_) return false;
  if (read_ == 0) {
    t_ = chunk_.min_t_;
    v_bits_ = ReadBits(64);
    ++read_;
    return true;
  }
  // Timestamp: the prefix (0, 10, 110, 1110, 1111) and, for the short buckets, the value are
  // cut from one peek; reading bit by bit cost half of Select's time.
  const auto head = static_cast<unsigned>(PeekBits(4));
  const unsigned ones = std::countl_one(static_cast<uint8_t>(head << 4));
  int64_t dod = 0;
  if (ones >= 4) {
    pos_ += 4;
    dod = static_cast<int64_t>(ReadBits(64));
  } else if (ones > 0) {
    pos_ += ones + 1;
    const unsigned bits = kDodBits[ones - 1];
    dod = SignExtend(ReadBits(bits), bits);
  } else {
    pos_ += 1;
  }
  delta_ = WrappingAdd(delta_, dod);
  t_ = WrappingAdd(t_, delta_);
  // Value: 0 (unchanged), 10 (same window), 11 (new window).
  const auto control = static_cast<unsigned>(PeekBits(2));
  if (control < 2) {
    pos_ += 1;
  } else {
    pos_ += 2;
    if (control == 3) {
      const auto window = static_cast<unsigned>(ReadBits(11));
      leading_ = static_cast<uint8_t>(window >> 6);
      unsigned width = window & 63;
      if (width == 0) width = 64;
      trailing_ = static_cast<uint8_t>(64 - leading_ - width);
    }
    const unsigned width = 64 - leading_ - trailing_;
    v_bits_ ^= ReadBits(width) << trailing_;
  }
  ++read_;
  return true;
}

double XorChunk::Reader::v() const { return std::bit_cast<double>(v_bits_); }

}  // namespace codebot::store
