#include "exporter/promql/sorting.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace codebot::promql::detail {

std::vector<size_t> SortOrder(const std::vector<double>& values, bool descending) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  // Go's sort.Sort(sort.Reverse(heap)) compares element j with j-1 as heap.Less(j-1, j).
  auto before = [&](size_t a, size_t b) {
    double va = values[a];
    double vb = values[b];
    if (std::isnan(vb)) return !std::isnan(va);
    if (std::isnan(va)) return false;
    return descending ? va > vb : va < vb;
  };
  if (order.size() <= 12) {
    // Go sorts up to 12 elements by insertion sort, which keeps ties in input order.
    for (size_t i = 1; i < order.size(); ++i) {
      for (size_t j = i; j > 0; --j) {
        double prev = values[order[j - 1]];
        double cur = values[order[j]];
        bool move = std::isnan(prev) || (descending ? prev < cur : prev > cur);
        if (!move) break;
        std::swap(order[j], order[j - 1]);
      }
    }
    return order;
  }
  std::stable_sort(order.begin(), order.end(), before);
  return order;
}

double Quantile(double q, std::vector<double>* values) {
  if (values->empty() || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values->begin(), values->end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a < b;
  });
  const double n = static_cast<double>(values->size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return (*values)[static_cast<size_t>(lower)] * (1 - weight) +
         (*values)[static_cast<size_t>(upper)] * weight;
}

}  // namespace codebot::promql::detail
