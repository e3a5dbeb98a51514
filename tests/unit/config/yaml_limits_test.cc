// YAML scalars at their limits (found by fuzzing the config reader, fuzz/config_fuzz.cc, and by
// hand): a duration past Go's range is refused as Prometheus refuses it, and a size too large for
// 64 bits fails instead of wrapping around to a small number.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "exporter/config/yaml.h"

namespace codebot::config {
namespace {

std::string ErrorOf(const std::string& yaml, const std::function<void(const Node&)>& read) {
  try {
    read(LoadYamlString(yaml, "c.yml"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "OK";
}

TEST(YamlLimits, DurationsBeyondGoRangeAreOutOfRange) {
  auto duration = [](const Node& n) { (void)n.AsDuration(); };
  EXPECT_EQ(ErrorOf("300y", duration),
            "c.yml:1:1: invalid duration \"300y\": duration out of range (at most 292y)");
  EXPECT_EQ(
      ErrorOf("9223372036855ms", duration),
      "c.yml:1:1: invalid duration \"9223372036855ms\": duration out of range (at most 292y)");
  EXPECT_EQ(ErrorOf("292y", duration), "OK");
  EXPECT_NE(ErrorOf("1y1y", duration).find("expected a number and a unit"), std::string::npos);
}

TEST(YamlLimits, SizesNeverWrapAround) {
  uint64_t bytes = 0;
  auto size = [&](const Node& n) { bytes = n.AsBytes(); };
  EXPECT_EQ(ErrorOf("999999999999GiB", size),
            "c.yml:1:1: invalid size \"999999999999GiB\": too large");
  EXPECT_EQ(ErrorOf("17179869183GiB", size), "OK");  // 2^64 - 2^30 bytes, just fits
  EXPECT_EQ(bytes, 17179869183ull << 30);
  EXPECT_EQ(ErrorOf("17179869184GiB", size),
            "c.yml:1:1: invalid size \"17179869184GiB\": too large");
}

}  // namespace
}  // namespace codebot::config
