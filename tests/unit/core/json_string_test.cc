#include "exporter/core/json_string.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace codebot::json {
namespace {

std::string Quoted(std::string_view text) {
  std::string out;
  AppendString(out, text);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Quoted("plain"), "\"plain\"");
  EXPECT_EQ(Quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quoted("x\ny\rz\t"), "\"x\\ny\\rz\\t\"");
  EXPECT_EQ(Quoted(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(Quoted(std::string("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(Quoted("é\x7f"), "\"é\x7f\"");  // JSON needs no escape above 0x1f
}

TEST(JsonString, AppendsToWhatIsAlreadyThere) {
  std::string out = "{\"k\":";
  AppendString(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

TEST(JsonString, EveryAsciiCharacterReadsBackUnchanged) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(nlohmann::json::parse(Quoted(all)).get<std::string>(), all);
}

}  // namespace
}  // namespace codebot::json
