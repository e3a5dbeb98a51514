#include "exporter/collect/self_collector.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "exporter/collect/process_metrics.h"
#include "exporter/core/time.h"

namespace codebot::collect {
namespace {

const Family* FindFamily(const std::vector<Family>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

// The value of the sample with this series name whose labels include all of `labels`.
std::optional<double> Value(const Family& family, const std::string& series, const Labels& labels) {
  for (const auto& sample : family.samples) {
    if (sample.name != series) continue;
    bool match = true;
    for (const auto& label : labels) match &= LabelValue(sample.labels, label.name) == label.value;
    if (match) return sample.value;
  }
  return std::nullopt;
}

class SelfCollectorTest : public ::testing::Test {
 protected:
  CollectResult CollectAll() {
    SelfCollector collector({&registry_, &process_}, "localhost:9100");
    EXPECT_EQ(collector.Instance(), "localhost:9100");
    return collector.Collect(SteadyClock::now() + std::chrono::seconds(1));
  }

  prometheus::Registry registry_;
  ProcessMetrics process_;
};

TEST_F(SelfCollectorTest, CountersAndGaugesKeepNamesLabelsAndValues) {
  auto& errors = prometheus::BuildCounter()
                     .Name("codebot_exporter_test_errors_total")
                     .Help("Errors.")
                     .Register(registry_);
  errors.Add({{"reason", "timeout"}}).Increment(3);
  errors.Add({{"reason", "http_status"}}).Increment(1);
  prometheus::BuildGauge()
      .Name("codebot_exporter_test_depth")
      .Help("Depth.")
      .Register(registry_)
      .Add({})
      .Set(7.5);

  const CollectResult result = CollectAll();
  ASSERT_TRUE(result.ok);
  const Family* counter = FindFamily(result.families, "codebot_exporter_test_errors_total");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->type, MetricType::kCounter);
  EXPECT_EQ(counter->help, "Errors.");
  ASSERT_EQ(counter->samples.size(), 2u);
  EXPECT_EQ(Value(*counter, "codebot_exporter_test_errors_total", {{"reason", "timeout"}}), 3);
  EXPECT_EQ(Value(*counter, "codebot_exporter_test_errors_total", {{"reason", "http_status"}}), 1);
  for (const auto& sample : counter->samples) EXPECT_FALSE(sample.timestamp_ms.has_value());

  const Family* gauge = FindFamily(result.families, "codebot_exporter_test_depth");
  ASSERT_NE(gauge, nullptr);
  EXPECT_EQ(gauge->type, MetricType::kGauge);
  EXPECT_EQ(Value(*gauge, "codebot_exporter_test_depth", {}), 7.5);
}

TEST_F(SelfCollectorTest, HistogramsBecomeCumulativeBucketsSumAndCount) {
  auto& histogram =
      prometheus::BuildHistogram()
          .Name("codebot_exporter_test_duration_seconds")
          .Help("Durations.")
          .Register(registry_)
          .Add({{"source", "bot"}}, prometheus::Histogram::BucketBoundaries{0.1, 1, 2.5});
  for (double v : {0.05, 0.2, 0.7, 3.0}) histogram.Observe(v);

  const CollectResult result = CollectAll();
  const Family* family = FindFamily(result.families, "codebot_exporter_test_duration_seconds");
  ASSERT_NE(family, nullptr);
  EXPECT_EQ(family->type, MetricType::kHistogram);
  const std::string bucket = "codebot_exporter_test_duration_seconds_bucket";
  EXPECT_EQ(Value(*family, bucket, {{"le", "0.1"}, {"source", "bot"}}), 1);
  EXPECT_EQ(Value(*family, bucket, {{"le", "1"}}), 3);
  EXPECT_EQ(Value(*family, bucket, {{"le", "2.5"}}), 3);
  EXPECT_EQ(Value(*family, bucket, {{"le", "+Inf"}}), 4);
  int inf_buckets = 0;
  for (const auto& sample : family->samples) {
    inf_buckets += sample.name == bucket && LabelValue(sample.labels, "le") == "+Inf";
  }
  EXPECT_EQ(inf_buckets, 1);
  EXPECT_DOUBLE_EQ(
      *Value(*family, "codebot_exporter_test_duration_seconds_sum", {{"source", "bot"}}), 3.95);
  EXPECT_EQ(Value(*family, "codebot_exporter_test_duration_seconds_count", {{"source", "bot"}}), 4);
  // _sum and _count carry no le label.
  for (const auto& sample : family->samples) {
    if (sample.name != bucket) {
      EXPECT_EQ(LabelValue(sample.labels, "le"), "");
    }
  }
}

TEST_F(SelfCollectorTest, SummariesBecomeQuantilesSumAndCount) {
  auto& summary = prometheus::BuildSummary()
                      .Name("codebot_exporter_test_latency_seconds")
                      .Help("Latency.")
                      .Register(registry_)
                      .Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.99, 0.001}});
  for (int i = 1; i <= 100; ++i) summary.Observe(i);

  const CollectResult result = CollectAll();
  const Family* family = FindFamily(result.families, "codebot_exporter_test_latency_seconds");
  ASSERT_NE(family, nullptr);
  EXPECT_EQ(family->type, MetricType::kSummary);
  const auto median =
      Value(*family, "codebot_exporter_test_latency_seconds", {{"quantile", "0.5"}});
  ASSERT_TRUE(median.has_value());
  EXPECT_NEAR(*median, 50, 6);
  EXPECT_TRUE(Value(*family, "codebot_exporter_test_latency_seconds", {{"quantile", "0.99"}}));
  EXPECT_EQ(Value(*family, "codebot_exporter_test_latency_seconds_sum", {}), 5050);
  EXPECT_EQ(Value(*family, "codebot_exporter_test_latency_seconds_count", {}), 100);
}

TEST_F(SelfCollectorTest, ProcessMetricsAreIncluded) {
  const CollectResult result = CollectAll();
  const Family* rss = FindFamily(result.families, "process_resident_memory_bytes");
  ASSERT_NE(rss, nullptr);
  ASSERT_EQ(rss->samples.size(), 1u);
  EXPECT_GT(rss->samples[0].value, 0);
  const Family* cpu = FindFamily(result.families, "process_cpu_seconds_total");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->type, MetricType::kCounter);
  const Family* start = FindFamily(result.families, "process_start_time_seconds");
  ASSERT_NE(start, nullptr);
  EXPECT_NEAR(start->samples[0].value, NowUnixSeconds(), 24 * 3600);
}

TEST_F(SelfCollectorTest, CollectSeesCurrentValues) {
  auto& counter = prometheus::BuildCounter()
                      .Name("codebot_exporter_test_ticks_total")
                      .Help("Ticks.")
                      .Register(registry_)
                      .Add({});
  SelfCollector collector({&registry_}, "self");
  counter.Increment();
  auto first = collector.Collect(SteadyClock::now());
  counter.Increment(4);
  auto second = collector.Collect(SteadyClock::now());
  EXPECT_EQ(Value(*FindFamily(first.families, "codebot_exporter_test_ticks_total"),
                  "codebot_exporter_test_ticks_total", {}),
            1);
  EXPECT_EQ(Value(*FindFamily(second.families, "codebot_exporter_test_ticks_total"),
                  "codebot_exporter_test_ticks_total", {}),
            5);
  // Only the registry was given: no process_* families.
  EXPECT_EQ(FindFamily(second.families, "process_open_fds"), nullptr);
}

TEST(ConvertFamilyTest, HandBuiltHistogramWithoutInfBucketAndTimestamps) {
  prometheus::MetricFamily family;
  family.name = "queue_wait_seconds";
  family.help = "Wait.";
  family.type = prometheus::MetricType::Histogram;
  prometheus::ClientMetric metric;
  metric.label = {{"queue", "outbox"}};
  metric.histogram.bucket = {{2, 0.5}, {5, 1e6}};
  metric.histogram.sample_count = 9;
  metric.histogram.sample_sum = 12.25;
  metric.timestamp_ms = 1700000000000;
  family.metric.push_back(metric);

  const Family out = ConvertFamily(family);
  ASSERT_EQ(out.samples.size(), 5u);
  EXPECT_EQ(Value(out, "queue_wait_seconds_bucket", {{"le", "0.5"}, {"queue", "outbox"}}), 2);
  EXPECT_EQ(Value(out, "queue_wait_seconds_bucket", {{"le", "1e+06"}}), 5);
  EXPECT_EQ(Value(out, "queue_wait_seconds_bucket", {{"le", "+Inf"}}), 9);
  EXPECT_EQ(Value(out, "queue_wait_seconds_sum", {}), 12.25);
  EXPECT_EQ(Value(out, "queue_wait_seconds_count", {}), 9);
  for (const auto& sample : out.samples) {
    ASSERT_TRUE(sample.timestamp_ms.has_value());
    EXPECT_EQ(*sample.timestamp_ms, 1700000000000);
  }
}

TEST(ConvertFamilyTest, UntypedAndSpecialValues) {
  prometheus::MetricFamily family;
  family.name = "odd";
  family.type = prometheus::MetricType::Untyped;
  prometheus::ClientMetric metric;
  metric.untyped.value = std::numeric_limits<double>::infinity();
  family.metric.push_back(metric);
  const Family out = ConvertFamily(family);
  EXPECT_EQ(out.type, MetricType::kUntyped);
  ASSERT_EQ(out.samples.size(), 1u);
  EXPECT_TRUE(std::isinf(out.samples[0].value));
  EXPECT_EQ(out.samples[0].name, "odd");
}

}  // namespace
}  // namespace codebot::collect
