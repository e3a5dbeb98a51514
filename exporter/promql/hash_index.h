// Internal to the engine: an open-addressing table from a 64-bit label hash to positions in
// some array. It stores only (hash, position) pairs, so building it for 10,000 series costs a
// couple of allocations, not 10,000. Several positions may share a hash; lookups take an equality
// predicate over positions, which is where the real labels are compared.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace codebot::promql::detail {

class HashIndex {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  explicit HashIndex(size_t expected = 8) {
    size_t capacity = 16;
    while (capacity < expected * 2) capacity <<= 1;
    slots_.assign(capacity, Slot{0, kNone});
  }

  // The first position with this hash for which same(position) holds, or kNone.
  template <typename Same>
  uint32_t Find(uint64_t hash, Same same) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.value == kNone) return kNone;
      if (s.hash == hash && same(s.value)) return s.value;
    }
  }

  void Insert(uint64_t hash, uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    Place(hash, value);
    ++size_;
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t value;
  };

  void Place(uint64_t hash, uint32_t value) {
    const size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i].value != kNone) i = (i + 1) & mask;
    slots_[i] = Slot{hash, value};
  }

  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Slot{0, kNone});
    for (const Slot& s : old) {
      if (s.value != kNone) Place(s.hash, s.value);
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace codebot::promql::detail
