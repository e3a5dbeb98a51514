#include "exporter/store/chunk.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace codebot::store {
namespace {

using detail::kDodBits;
using detail::WrappingSub;

bool FitsSigned(int64_t value, unsigned bits) {
  const int64_t limit = int64_t{1} << (bits - 1);
  return value >= -limit && value < limit;
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

void XorChunk::WriteCheckpoint() {
  Checkpoint& checkpoint = checkpoints_[count_ / kCheckpointEvery - 1];
  if (delta_ < INT32_MIN || delta_ > INT32_MAX) return;  // left unset: readers skip it
  checkpoint.v_bits = v_bits_;
  checkpoint.t = max_t_;
  checkpoint.delta = static_cast<int32_t>(delta_);
  checkpoint.pos = static_cast<uint16_t>(nbits_);
  // 0xff (no window yet) is harmless in a reader: no sample refers to a window before one is set.
  checkpoint.leading = leading_;
  checkpoint.trailing = trailing_;
}

void XorChunk::Append(int64_t t, double v) {
  const uint64_t v_bits = std::bit_cast<uint64_t>(v);
  if (count_ > 0 && count_ % kCheckpointEvery == 0 && count_ / kCheckpointEvery <= kCheckpoints) {
    WriteCheckpoint();
  }
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

size_t XorChunk::StartIndex(int64_t t) const {
  if (count_ == 0 || t <= min_t_) return 0;
  // The last checkpoint whose samples so far are all older than t.
  for (size_t i = std::min<size_t>((count_ - 1) / kCheckpointEvery, kCheckpoints); i-- > 0;) {
    const Checkpoint& checkpoint = checkpoints_[i];
    if (checkpoint.pos != 0 && checkpoint.t < t) return i + 1;
  }
  return 0;
}

void XorChunk::Start(size_t index, detail::DecodeState* state) const {
  state->bits.next = bits_.data();
  state->bits.end = bits_.data() + bits_.size();
  if (index == 0) return;
  const Checkpoint& checkpoint = checkpoints_[index - 1];
  state->bits.next += checkpoint.pos >> 3;
  state->bits.Refill();
  if ((checkpoint.pos & 7) != 0) state->bits.Skip(checkpoint.pos & 7);
  state->read = static_cast<uint16_t>(index * kCheckpointEvery);
  state->t = checkpoint.t;
  state->delta = checkpoint.delta;
  state->v_bits = checkpoint.v_bits;
  state->leading = checkpoint.leading;
  state->trailing = checkpoint.trailing;
}

XorChunk::Reader::Reader(const XorChunk& chunk) : chunk_(chunk) { chunk_.Start(0, &state_); }

void XorChunk::Reader::SkipOlderThan(int64_t t) {
  if (state_.read != 0) return;
  const size_t index = chunk_.StartIndex(t);
  if (index != 0) chunk_.Start(index, &state_);
}

bool XorChunk::Reader::Next() {
  if (state_.read >= chunk_.count_) return false;
  if (state_.read == 0) {
    state_.t = chunk_.min_t_;
    state_.v_bits = state_.bits.Read(64);
    state_.read = 1;
    return true;
  }
  state_.Step();
  return true;
}

uint16_t XorChunk::DecodeBound(int64_t mint) const {
  return static_cast<uint16_t>(count_ - StartIndex(mint) * kCheckpointEvery);
}

void XorChunk::AppendRange(int64_t mint, int64_t maxt, std::vector<Point>* out) const {
  if (count_ == 0 || max_t_ < mint || min_t_ > maxt) return;
  // A local state (not a member) so that the compiler keeps it in registers across the loop.
  detail::DecodeState state;
  Start(StartIndex(mint), &state);
  if (state.read == 0) {
    state.t = min_t_;
    state.v_bits = state.bits.Read(64);
    state.read = 1;
    if (state.t >= mint) out->push_back({state.t, std::bit_cast<double>(state.v_bits)});
  }
  const uint16_t count = count_;
  // Skips the older samples before the checkpoint's successors reach mint, then copies until
  // maxt: two loops, so that the copying one has no mint test.
  while (state.read < count) {
    state.Step();
    if (state.t < mint) continue;
    if (state.t > maxt) return;
    out->push_back({state.t, std::bit_cast<double>(state.v_bits)});
    break;
  }
  if (max_t_ <= maxt) {
    while (state.read < count) {
      state.Step();
      out->push_back({state.t, std::bit_cast<double>(state.v_bits)});
    }
    return;
  }
  while (state.read < count) {
    state.Step();
    if (state.t > maxt) return;
    out->push_back({state.t, std::bit_cast<double>(state.v_bits)});
  }
}

}  // namespace codebot::store
