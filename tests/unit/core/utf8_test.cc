#include "exporter/core/utf8.h"

#include <gtest/gtest.h>

namespace codebot::utf8 {
namespace {

TEST(Utf8, DecodesRunesOfEveryWidth) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  size_t width = 0;
  EXPECT_EQ(DecodeRune(text, 0, &width), U'a');
  EXPECT_EQ(width, 1u);
  EXPECT_EQ(DecodeRune(text, 1, &width), U'é');
  EXPECT_EQ(width, 2u);
  EXPECT_EQ(DecodeRune(text, 3, &width), U'€');
  EXPECT_EQ(width, 3u);
  EXPECT_EQ(DecodeRune(text, 6, &width), U'😀');
  EXPECT_EQ(width, 4u);
  EXPECT_EQ(RuneCount(text), 4u);
}

TEST(Utf8, InvalidSequencesAreOneByteRuneErrors) {
  for (const std::string bad : {"\x80", "\xC0\xAF", "\xC3", "\xE0\x80\xAF", "\xED\xA0\x80",
                                "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xFF"}) {
    size_t width = 0;
    EXPECT_EQ(DecodeRune(bad, 0, &width), kRuneError) << bad;
    EXPECT_EQ(width, 1u) << bad;
    EXPECT_FALSE(Valid(bad)) << bad;
    EXPECT_FALSE(Valid("ok" + bad + "ok")) << bad;
  }
}

TEST(Utf8, ValidTextIncludingAnEncodedReplacementCharacter) {
  EXPECT_TRUE(Valid(""));
  EXPECT_TRUE(Valid("plain"));
  EXPECT_TRUE(Valid("\xEF\xBF\xBD"));      // U+FFFD itself is a valid rune
  EXPECT_TRUE(Valid("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8, AppendRuneReplacesWhatIsNotARune) {
  std::string out;
  AppendRune(&out, U'é');
  AppendRune(&out, 0xD800);
  AppendRune(&out, 0x110000);
  EXPECT_EQ(out, "\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace codebot::utf8
