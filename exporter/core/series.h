// Stored series as the PromQL engine reads them: selected by label matchers, with their samples
// in a time range. The sample store implements Queryable for the live sidecar; the engine's
// MemoryStorage implements it for `test rules` and the conformance runner. Regexes are RE2, the
// syntax Prometheus uses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"

namespace codebot {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

// A label matcher. Regex matchers are fully anchored, as in Prometheus.
class Matcher {
 public:
  // Throws std::invalid_argument when a regex does not compile.
  Matcher(MatchType type, std::string name, std::string value);
  bool Matches(std::string_view value) const;  // an absent label matches as ""
  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  // Same type, name and value (so configs holding matchers compare by value).
  friend bool operator==(const Matcher& a, const Matcher& b) {
    return a.type_ == b.type_ && a.name_ == b.name_ && a.value_ == b.value_;
  }

 private:
  MatchType type_;
  std::string name_;
  std::string value_;
  std::shared_ptr<const void> regex_;  // compiled form, owned by the implementation
};

struct Point {
  int64_t t;  // milliseconds since the epoch
  double v;
};

// Series labels are sorted by name and include __name__.
struct SeriesData {
  Labels labels;
  std::vector<Point> points;  // ascending t, stale markers included
};

// Prometheus' stale marker: a NaN with a specific bit pattern, written when a series vanishes.
double StaleNaN();
bool IsStaleNaN(double v);

class Queryable {
 public:
  virtual ~Queryable() = default;
  // Appends to out every series matching all matchers that has at least one sample in
  // [mint, maxt] (both inclusive), with exactly those samples.
  virtual void Select(const std::vector<Matcher>& matchers, int64_t mint, int64_t maxt,
                      std::vector<SeriesData>* out) const = 0;
};

}  // namespace codebot
