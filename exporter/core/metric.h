// The metric model every stage shares: a family (name, help, type) and its samples, exactly as
// the Prometheus text format 0.0.4 describes them. Collectors produce it, the exposition writer
// and the sample store consume it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codebot {

enum class MetricType { kUntyped, kCounter, kGauge, kHistogram, kSummary };

// "counter", "gauge", "histogram", "summary", "untyped".
std::string_view MetricTypeName(MetricType type);
std::optional<MetricType> ParseMetricType(std::string_view name);

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};
using Labels = std::vector<Label>;

// The data model's name rules, as Prometheus' model package has them: metric names
// [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

// Value of a label, or an empty view when absent (Prometheus treats both the same).
std::string_view LabelValue(const Labels& labels, std::string_view name);

struct Sample {
  std::string name;  // the full series name: "x", "x_total", "x_bucket", "x_sum", ...
  Labels labels;     // without __name__, in the order they were produced
  double value = 0;
  std::optional<int64_t> timestamp_ms;
  friend bool operator==(const Sample&, const Sample&) = default;
};

struct Family {
  std::string name;
  std::string help;  // unescaped text
  bool has_help = false;
  MetricType type = MetricType::kUntyped;
  bool has_type = false;
  std::vector<Sample> samples;

  // Convenience for collectors that build families by hand.
  static Family Make(std::string name, MetricType type, std::string help);
  Sample& Add(Labels labels, double value);
  Sample& AddNamed(std::string series_name, Labels labels, double value);
};

}  // namespace codebot
