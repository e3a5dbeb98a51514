#include "exporter/collect/self_collector.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace codebot::collect {
namespace {

// The text format's spelling of a bound ("0.25", "+Inf"): what histogram_quantile parses back
// and what a Prometheus scraping /metrics would store, so both stores hold the same le values.
std::string BoundText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

MetricType TypeOf(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return MetricType::kCounter;
    case prometheus::MetricType::Gauge:
      return MetricType::kGauge;
    case prometheus::MetricType::Summary:
      return MetricType::kSummary;
    case prometheus::MetricType::Histogram:
      return MetricType::kHistogram;
    case prometheus::MetricType::Untyped:
      break;
  }
  return MetricType::kUntyped;
}

Labels LabelsOf(const prometheus::ClientMetric& metric) {
  Labels labels;
  labels.reserve(metric.label.size() + 1);
  for (const auto& label : metric.label) labels.push_back({label.name, label.value});
  return labels;
}

Labels With(Labels labels, std::string name, std::string value) {
  labels.push_back({std::move(name), std::move(value)});
  return labels;
}

}  // namespace

Family ConvertFamily(const prometheus::MetricFamily& family) {
  Family out = Family::Make(family.name, TypeOf(family.type), family.help);
  for (const auto& metric : family.metric) {
    const size_t first = out.samples.size();
    Labels labels = LabelsOf(metric);
    switch (family.type) {
      case prometheus::MetricType::Counter:
        out.Add(std::move(labels), metric.counter.value);
        break;
      case prometheus::MetricType::Gauge:
        out.Add(std::move(labels), metric.gauge.value);
        break;
      case prometheus::MetricType::Untyped:
        out.Add(std::move(labels), metric.untyped.value);
        break;
      case prometheus::MetricType::Summary:
        for (const auto& quantile : metric.summary.quantile) {
          out.Add(With(labels, "quantile", BoundText(quantile.quantile)), quantile.value);
        }
        out.AddNamed(family.name + "_sum", labels, metric.summary.sample_sum);
        out.AddNamed(family.name + "_count", std::move(labels),
                     static_cast<double>(metric.summary.sample_count));
        break;
      case prometheus::MetricType::Histogram: {
        const auto& histogram = metric.histogram;
        for (const auto& bucket : histogram.bucket) {
          out.AddNamed(family.name + "_bucket", With(labels, "le", BoundText(bucket.upper_bound)),
                       static_cast<double>(bucket.cumulative_count));
        }
        // The +Inf bucket is what histogram_quantile needs; a producer may leave it implicit.
        if (histogram.bucket.empty() || !std::isinf(histogram.bucket.back().upper_bound)) {
          out.AddNamed(family.name + "_bucket", With(labels, "le", "+Inf"),
                       static_cast<double>(histogram.sample_count));
        }
        out.AddNamed(family.name + "_sum", labels, histogram.sample_sum);
        out.AddNamed(family.name + "_count", std::move(labels),
                     static_cast<double>(histogram.sample_count));
        break;
      }
    }
    if (metric.timestamp_ms != 0) {
      for (size_t i = first; i < out.samples.size(); ++i) {
        out.samples[i].timestamp_ms = metric.timestamp_ms;
      }
    }
  }
  return out;
}

SelfCollector::SelfCollector(std::vector<const prometheus::Collectable*> collectables,
                             std::string instance)
    : collectables_(std::move(collectables)), instance_(std::move(instance)) {}

CollectResult SelfCollector::Collect(Deadline /*deadline*/) {
  CollectResult result;
  for (const auto* collectable : collectables_) {
    for (const auto& family : collectable->Collect()) {
      result.families.push_back(ConvertFamily(family));
    }
  }
  return result;
}

}  // namespace codebot::collect
