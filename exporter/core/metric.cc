#include "exporter/core/metric.h"

#include <algorithm>
#include <utility>

namespace codebot {
namespace {

bool IsLabelNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kUntyped:
      break;
  }
  return "untyped";
}

std::optional<MetricType> ParseMetricType(std::string_view name) {
  if (name == "counter") return MetricType::kCounter;
  if (name == "gauge") return MetricType::kGauge;
  if (name == "histogram") return MetricType::kHistogram;
  if (name == "summary") return MetricType::kSummary;
  if (name == "untyped") return MetricType::kUntyped;
  return std::nullopt;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsLabelNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsLabelNameChar(c) || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsLabelNameStart(name[0])) return false;
  return std::all_of(name.begin(), name.end(), IsLabelNameChar);
}

std::string_view LabelValue(const Labels& labels, std::string_view name) {
  for (const auto& label : labels) {
    if (label.name == name) return label.value;
  }
  return {};
}

Family Family::Make(std::string name, MetricType type, std::string help) {
  Family family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.has_help = true;
  family.type = type;
  family.has_type = true;
  return family;
}

Sample& Family::Add(Labels labels, double value) {
  return AddNamed(name, std::move(labels), value);
}

Sample& Family::AddNamed(std::string series_name, Labels labels, double value) {
  Sample& sample = samples.emplace_back();
  sample.name = std::move(series_name);
  sample.labels = std::move(labels);
  sample.value = value;
  return sample;
}

}  // namespace codebot
