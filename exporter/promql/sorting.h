// Internal to the engine: the orderings Prometheus produces for topk/bottomk, sort()/sort_desc()
// and quantiles. It uses Go's container/heap and sort.Sort with a comparator that puts NaN
// first; reproducing the same heap moves and, for up to 12 elements, the same (insertion) sort
// gives the same order for ties and NaN, which eval_ordered cases and alert labels can see.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace codebot::promql::detail {

// Prometheus' heap "less": the topk heap (`top`) keeps the smallest on top, the bottomk heap the
// largest; a NaN always counts as less.
inline bool HeapLess(double a, double b, bool top) {
  if (std::isnan(a)) return true;
  return top ? a < b : a > b;
}

template <typename ValueOf>
void HeapUp(std::vector<uint32_t>* h, size_t j, bool top, ValueOf value_of) {
  while (j > 0) {
    size_t i = (j - 1) / 2;
    if (!HeapLess(value_of((*h)[j]), value_of((*h)[i]), top)) break;
    std::swap((*h)[i], (*h)[j]);
    j = i;
  }
}

template <typename ValueOf>
void HeapDown(std::vector<uint32_t>* h, size_t i, size_t n, bool top, ValueOf value_of) {
  while (true) {
    size_t j1 = 2 * i + 1;
    if (j1 >= n) break;
    size_t j = j1;
    if (j1 + 1 < n && HeapLess(value_of((*h)[j1 + 1]), value_of((*h)[j1]), top)) j = j1 + 1;
    if (!HeapLess(value_of((*h)[j]), value_of((*h)[i]), top)) break;
    std::swap((*h)[i], (*h)[j]);
    i = j;
  }
}

template <typename ValueOf>
void HeapPush(std::vector<uint32_t>* h, uint32_t x, bool top, ValueOf value_of) {
  h->push_back(x);
  HeapUp(h, h->size() - 1, top, value_of);
}

template <typename ValueOf>
void HeapPop(std::vector<uint32_t>* h, bool top, ValueOf value_of) {
  size_t n = h->size() - 1;
  std::swap((*h)[0], (*h)[n]);
  HeapDown(h, 0, n, top, value_of);
  h->pop_back();
}

// Positions of `values` in the order Prometheus leaves them: descending (sort_desc, topk) or
// ascending (sort, bottomk), NaN last.
std::vector<size_t> SortOrder(const std::vector<double>& values, bool descending);

// Prometheus' quantile(): NaN for no values or a NaN q, -Inf/+Inf outside [0, 1], else linear
// interpolation between the closest ranks. Sorts `values`.
double Quantile(double q, std::vector<double>* values);

}  // namespace codebot::promql::detail
