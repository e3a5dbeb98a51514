// SHA-256 (core/sha256), which PagerDuty's per-group dedup_key depends on: FIPS 180-4's vectors,
// every padding case around the block boundary, and Alertmanager's own dedup_keys from the real
// captures (../shared/reference/alertmanager-0.25/pagerduty-*.json) recomputed from the group
// keys of the webhook captures of the same notifications.
#include "exporter/core/sha256.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "exporter/notify/pagerduty/pagerduty.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot {
namespace {

std::string Pattern(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += static_cast<char>((i * 7) % 256);
  return out;
}

TEST(Sha256, StandardVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// 55 bytes is the longest tail that pads within one block, 56 the shortest that needs two.
TEST(Sha256, PaddingAroundTheBlockBoundary) {
  const std::vector<std::pair<size_t, std::string>> cases = {
      {55, "576a1bf8d4478657e6dc4af9398544765c2a92cde28478b019235cfed315fc09"},
      {56, "9b20501dfd1d99161c257950f3444f3e49230c351c5c8e0943ef369f85f5205d"},
      {63, "30b345906b493f06f69444b6521113511c242f30e29840462950035043682f1e"},
      {64, "d8bc63b4fc1156e5e7d95a418b9bf54cd3174bedbc2db40f74895349b229b3c0"},
      {65, "1ee23b0fbcaecc1aff4a9e8f1645f35ab2c8e13609cd73b68df8b5e3f63ce073"},
      {119, "7a6589821178918ca8d9edaba5abfc1e9b2669564f4469b66885379c1530b2c8"},
      {120, "655250427d56b1b0eeb8497d21428704273458a01772d6881b65c0abac0f8a98"},
      {128, "54c9eb041badfd7064645067b107661fed6113197ce2dd066ba69618abd3732f"}};
  for (const auto& [size, hex] : cases) EXPECT_EQ(Sha256Hex(Pattern(size)), hex) << size;
}

TEST(Sha256, AlertmanagersGroupDedupKeys) {
  const std::string dir = testing::SharedDir() + "/reference/alertmanager-0.25/";
  for (const auto& [webhook, pagerduty] : std::vector<std::pair<std::string, std::string>>{
           {"webhook-firing.json", "pagerduty-firing.json"},
           {"webhook-mixed.json", "pagerduty-mixed.json"}}) {
    const auto group_key =
        nlohmann::json::parse(testing::ReadFile(dir + webhook))["body"]["groupKey"];
    const auto dedup_key =
        nlohmann::json::parse(testing::ReadFile(dir + pagerduty))["body"]["dedup_key"];
    EXPECT_EQ(notify::pagerduty::GroupDedupKey(group_key.get<std::string>()),
              dedup_key.get<std::string>())
        << webhook;
  }
}

}  // namespace
}  // namespace codebot
