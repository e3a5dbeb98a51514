// The bot's JSON body is outside input: whatever it holds, mapping it yields families or an error,
// never an exception (found by fuzz/json_mapper_fuzz.cc: a number beyond double's range made
// nlohmann throw out_of_range, which nothing caught, and the collector's thread died).
#include <gtest/gtest.h>

#include <string>

#include "exporter/collect/bot/json_mapper.h"

namespace codebot::collect::bot {
namespace {

config::JsonMapping Mapping(std::string path, std::vector<std::string> labels = {}) {
  config::JsonMapping mapping;
  mapping.path = std::move(path);
  mapping.name = "codebot_mapped";
  mapping.help = "help";
  mapping.wildcard_labels = std::move(labels);
  return mapping;
}

TEST(JsonMapperLimits, NumberOutOfRangeIsAnErrorNotAnException) {
  JsonMapResult result;
  ASSERT_NO_THROW(result = MapJson(R"({"queue": {"depth": 1e400}})", {Mapping("queue.depth")}));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("invalid JSON"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("number overflow"), std::string::npos) << result.error;
  ASSERT_NO_THROW(result = MapJson("[-1e999]", {Mapping("*", {"i"})}));
  EXPECT_FALSE(result.ok);
}

TEST(JsonMapperLimits, DeepNestingAndOddKeysMapOrFailCleanly) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  JsonMapResult result;
  ASSERT_NO_THROW(result = MapJson(deep, {Mapping("*.*", {"a", "b"})}));
  EXPECT_TRUE(result.ok) << result.error;
  ASSERT_NO_THROW(result = MapJson(std::string(100'000, '['), {Mapping("*")}));
  EXPECT_FALSE(result.ok);
  // Keys become label values as they are, escapes and all.
  result = MapJson(R"({"a\"b\n\u00e9": 2})", {Mapping("*", {"key"})});
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.families.at(0).samples.size(), 1u);
  EXPECT_EQ(LabelValue(result.families[0].samples[0].labels, "key"), "a\"b\n\xc3\xa9");
}

}  // namespace
}  // namespace codebot::collect::bot
