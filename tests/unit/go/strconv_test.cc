// The two string-literal dialects that share go::Unquote: Go's (templates) and
// Prometheus' (PromQL). Each assertion names a difference one side depends on.
#include "exporter/go/strconv.h"

#include <gtest/gtest.h>

namespace codebot::go {
namespace {

std::string Unquoted(std::string_view literal, Literal dialect) {
  std::string out;
  EXPECT_TRUE(Unquote(literal, &out, dialect)) << literal;
  return out;
}

bool Rejects(std::string_view literal, Literal dialect) {
  std::string out;
  return !Unquote(literal, &out, dialect);
}

TEST(Unquote, BothReadGoEscapesAndRawStrings) {
  for (Literal dialect : {Literal::kGo, Literal::kPromQL}) {
    EXPECT_EQ(Unquoted(R"("a\x41\u00e9\101\n\t\\\"")", dialect), "aAéA\n\t\\\"");
    EXPECT_EQ(Unquoted("`raw\\n\r`", dialect), "raw\\n");
    EXPECT_TRUE(Rejects(R"("\q")", dialect));
    EXPECT_TRUE(Rejects(R"("\ud800")", dialect));
    EXPECT_TRUE(Rejects(R"("\400")", dialect));
    EXPECT_TRUE(Rejects("\"a\nb\"", dialect));
    EXPECT_TRUE(Rejects(R"("a"b")", dialect));
    EXPECT_TRUE(Rejects(R"("\'")", dialect));  // a double-quoted string escapes only "
  }
}

TEST(Unquote, OnlyPromQLTakesSingleQuotedStrings) {
  EXPECT_EQ(Unquoted(R"('it\'s "x"')", Literal::kPromQL), "it's \"x\"");
  EXPECT_TRUE(Rejects(R"('\"')", Literal::kPromQL));  // a single-quoted string escapes only '
  EXPECT_TRUE(Rejects("'a'", Literal::kGo));
}

TEST(Unquote, GoReadsInvalidUtf8AsReplacementCharacterPromQLKeepsTheByte) {
  EXPECT_EQ(Unquoted("\"a\xff\"", Literal::kGo), "a\xEF\xBF\xBD");
  EXPECT_EQ(Unquoted("\"a\xff\"", Literal::kPromQL), "a\xff");
}

TEST(Unquote, DefaultsToGo) {
  std::string out;
  EXPECT_FALSE(Unquote("'a'", &out));
}

}  // namespace
}  // namespace codebot::go
