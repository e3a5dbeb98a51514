#include "exporter/collect/bot/json_mapper.h"

#include <gtest/gtest.h>

namespace codebot::collect::bot {
namespace {

config::JsonMapping Mapping(std::string path, std::string name, std::vector<std::string> labels,
                            MetricType type = MetricType::kGauge) {
  config::JsonMapping mapping;
  mapping.path = std::move(path);
  mapping.name = std::move(name);
  mapping.type = type;
  mapping.help = "help";
  mapping.wildcard_labels = std::move(labels);
  return mapping;
}

TEST(JsonMapper, WildcardKeysBecomeLabels) {
  const std::string doc = R"({
    "handlers": {"start": {"errors": 3, "calls": 10}, "sync": {"errors": 0, "calls": 5}},
    "queue": {"depth": 7, "healthy": true, "lag": "1.5", "note": "n/a", "missing": null},
    "shards": [{"load": 0.5}, {"load": 0.25}]
  })";
  auto result = MapJson(doc, {Mapping("handlers.*.errors", "codebot_handler_errors_total",
                                      {"handler"}, MetricType::kCounter),
                              Mapping("queue.depth", "codebot_queue_depth", {}),
                              Mapping("queue.healthy", "codebot_queue_healthy", {}),
                              Mapping("queue.lag", "codebot_queue_lag_seconds", {}),
                              Mapping("queue.note", "codebot_queue_note", {}),
                              Mapping("queue.missing", "codebot_queue_missing", {}),
                              Mapping("shards.*.load", "codebot_shard_load", {"shard"})});
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.families.size(), 7u);
  const Family& errors = result.families[0];
  EXPECT_EQ(errors.type, MetricType::kCounter);
  ASSERT_EQ(errors.samples.size(), 2u);
  EXPECT_EQ(errors.samples[0].name, "codebot_handler_errors_total");
  EXPECT_EQ(LabelValue(errors.samples[0].labels, "handler"), "start");
  EXPECT_EQ(errors.samples[0].value, 3);
  EXPECT_EQ(LabelValue(errors.samples[1].labels, "handler"), "sync");
  EXPECT_EQ(result.families[1].samples.at(0).value, 7);
  EXPECT_EQ(result.families[2].samples.at(0).value, 1);    // true -> 1
  EXPECT_EQ(result.families[3].samples.at(0).value, 1.5);  // numeric string
  EXPECT_TRUE(result.families[4].samples.empty());         // not a number: skipped
  EXPECT_TRUE(result.families[5].samples.empty());         // null: skipped
  ASSERT_EQ(result.families[6].samples.size(), 2u);
  EXPECT_EQ(LabelValue(result.families[6].samples[1].labels, "shard"), "1");
}

TEST(JsonMapper, MalformedJsonIsAParseError) {
  auto result = MapJson("{\"a\": 1,", {Mapping("a", "a", {})});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("invalid JSON"), std::string::npos);
}

}  // namespace
}  // namespace codebot::collect::bot
