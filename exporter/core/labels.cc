#include "exporter/core/labels.h"

#include <algorithm>
#include <cstring>

namespace codebot {
namespace {

constexpr uint64_t kSeed = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kMul1 = 0xff51afd7ed558ccdull;
constexpr uint64_t kMul2 = 0xc4ceb9fe1a85ec53ull;

uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// A word-at-a-time mixing hash: fast for the short strings labels are made of, and good enough
// for hash tables because every lookup also compares the labels themselves.
class Hasher {
 public:
  void Add(std::string_view s) {
    Mix(s.size() | 0x8000000000000000ull);
    const char* p = s.data();
    size_t n = s.size();
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      Mix(w);
      p += 8;
      n -= 8;
    }
    if (n > 0) {
      uint64_t w = 0;
      std::memcpy(&w, p, n);
      Mix(w);
    }
  }
  void AddLabel(const Label& l) {
    Add(l.name);
    Add(l.value);
  }
  uint64_t Finish() const {
    uint64_t h = h_;
    h ^= h >> 33;
    h *= kMul1;
    h ^= h >> 33;
    h *= kMul2;
    h ^= h >> 33;
    return h;
  }

 private:
  void Mix(uint64_t w) {
    h_ ^= w * kMul1;
    h_ = Rotl(h_, 31) * kMul2 + 0x52dce729;
  }
  uint64_t h_ = kSeed;
};

bool Contains(const std::vector<std::string>& sorted, std::string_view name) {
  return std::binary_search(sorted.begin(), sorted.end(), name, [](const auto& a, const auto& b) {
    return std::string_view(a) < std::string_view(b);
  });
}

Labels::iterator LowerBound(Labels* labels, std::string_view name) {
  return std::lower_bound(labels->begin(), labels->end(), name,
                          [](const Label& l, std::string_view n) { return l.name < n; });
}

}  // namespace

uint64_t HashLabels(const Labels& labels) {
  Hasher h;
  for (const auto& l : labels) h.AddLabel(l);
  return h.Finish();
}

uint64_t HashLabelsOn(const Labels& labels, const std::vector<std::string>& sorted_names) {
  Hasher h;
  // Both sides are sorted: merge instead of searching.
  size_t j = 0;
  for (const auto& l : labels) {
    while (j < sorted_names.size() && sorted_names[j] < l.name) ++j;
    if (j == sorted_names.size()) break;
    if (sorted_names[j] == l.name) h.AddLabel(l);
  }
  return h.Finish();
}

uint64_t HashLabelsIgnoring(const Labels& labels, const std::vector<std::string>& sorted_names) {
  Hasher h;
  size_t j = 0;
  for (const auto& l : labels) {
    while (j < sorted_names.size() && sorted_names[j] < l.name) ++j;
    if (j < sorted_names.size() && sorted_names[j] == l.name) continue;
    h.AddLabel(l);
  }
  return h.Finish();
}

bool EqualLabelsOn(const Labels& a, const Labels& b, const std::vector<std::string>& sorted_names) {
  for (const auto& name : sorted_names) {
    const std::string* va = FindLabel(a, name);
    const std::string* vb = FindLabel(b, name);
    std::string_view sa = va ? std::string_view(*va) : std::string_view();
    std::string_view sb = vb ? std::string_view(*vb) : std::string_view();
    if (sa != sb) return false;
  }
  return true;
}

bool EqualLabelsIgnoring(const Labels& a, const Labels& b,
                         const std::vector<std::string>& sorted_names) {
  size_t i = 0;
  size_t j = 0;
  auto skip = [&](const Labels& ls, size_t* k) {
    while (*k < ls.size() && Contains(sorted_names, ls[*k].name)) ++*k;
  };
  while (true) {
    skip(a, &i);
    skip(b, &j);
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (a[i] != b[j]) return false;
    ++i;
    ++j;
  }
}

const std::string* FindLabel(const Labels& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels.end() && it->name == name) return &it->value;
  return nullptr;
}

bool DropMetricName(Labels* labels) {
  auto it = LowerBound(labels, kMetricNameLabel);
  if (it == labels->end() || it->name != kMetricNameLabel) return false;
  labels->erase(it);
  return true;
}

void SetLabel(Labels* labels, std::string_view name, std::string_view value) {
  auto it = LowerBound(labels, name);
  bool present = it != labels->end() && it->name == name;
  if (value.empty()) {
    if (present) labels->erase(it);
    return;
  }
  if (present) {
    it->value.assign(value);
  } else {
    labels->insert(it, Label{std::string(name), std::string(value)});
  }
}

void DeleteLabel(Labels* labels, std::string_view name) { SetLabel(labels, name, {}); }

void KeepOnly(Labels* labels, const std::vector<std::string>& sorted_names) {
  labels->erase(std::remove_if(labels->begin(), labels->end(),
                               [&](const Label& l) { return !Contains(sorted_names, l.name); }),
                labels->end());
}

void DeleteAll(Labels* labels, const std::vector<std::string>& sorted_names) {
  labels->erase(std::remove_if(labels->begin(), labels->end(),
                               [&](const Label& l) { return Contains(sorted_names, l.name); }),
                labels->end());
}

std::vector<std::string> SortedUnique(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace codebot
