#include "exporter/promql/memory_storage.h"

#include <algorithm>
#include <bit>
#include <mutex>

namespace codebot::promql {
namespace {

bool SameValue(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

}  // namespace

bool MemoryStorage::Append(const Labels& labels, int64_t t, double v) {
  Labels key;
  key.reserve(labels.size());
  for (const auto& l : labels) {
    if (!l.value.empty()) key.push_back(l);
  }
  std::sort(key.begin(), key.end());
  std::unique_lock lock(mu_);
  auto it = by_labels_.find(key);
  if (it == by_labels_.end()) {
    size_t index = series_.size();
    // Each name's list stays in label order, so Select needs no sorting.
    auto& names = by_name_[std::string(LabelValue(key, "__name__"))];
    auto pos = std::upper_bound(names.begin(), names.end(), key,
                                [&](const Labels& k, size_t i) { return k < series_[i].labels; });
    names.insert(pos, index);
    it = by_labels_.emplace(key, index).first;
    series_.push_back(Series{std::move(key), {}});
  }
  auto& points = series_[it->second].points;
  if (!points.empty()) {
    if (t < points.back().t) return false;
    if (t == points.back().t) return SameValue(points.back().v, v);
  }
  points.push_back(Point{t, v});
  return true;
}

void MemoryStorage::Clear() {
  std::unique_lock lock(mu_);
  series_.clear();
  by_labels_.clear();
  by_name_.clear();
}

size_t MemoryStorage::SeriesCount() const {
  std::shared_lock lock(mu_);
  return series_.size();
}

void MemoryStorage::Select(const std::vector<Matcher>& matchers, int64_t mint, int64_t maxt,
                           std::vector<SeriesData>* out) const {
  std::shared_lock lock(mu_);
  const std::vector<size_t>* candidates = nullptr;
  for (const auto& m : matchers) {
    if (m.name() == "__name__" && m.type() == MatchType::kEqual) {
      auto it = by_name_.find(m.value());
      if (it == by_name_.end()) return;
      candidates = &it->second;
      break;
    }
  }
  auto consider = [&](const Series& s) {
    for (const auto& m : matchers) {
      if (!m.Matches(LabelValue(s.labels, m.name()))) return;
    }
    auto lo = std::lower_bound(s.points.begin(), s.points.end(), mint,
                               [](const Point& p, int64_t t) { return p.t < t; });
    auto hi = std::upper_bound(lo, s.points.end(), maxt,
                               [](int64_t t, const Point& p) { return t < p.t; });
    if (lo == hi) return;
    out->push_back(SeriesData{s.labels, std::vector<Point>(lo, hi)});
  };
  // Label order, as Prometheus' storage returns series.
  if (candidates) {
    for (size_t i : *candidates) consider(series_[i]);
  } else {
    for (const auto& [labels, index] : by_labels_) consider(series_[index]);
  }
}

}  // namespace codebot::promql
