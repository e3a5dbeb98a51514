// Go's fmt/strconv number and value formatting, and the text helpers (quoting, escaping, case
// mapping) with Go's exact results.
#include <gtest/gtest.h>

#include <cmath>

#include "exporter/core/url_escape.h"
#include "exporter/go/strconv.h"
#include "exporter/template/format.h"
#include "exporter/template/text.h"

namespace codebot::tmpl {
namespace {

TEST(TemplateFormat, ShortestFloatsUseGoExponentRule) {
  // %v of a float64: shortest digits, exponent form below 1e-4 and from 1e6 up (not 1e21).
  EXPECT_EQ(go::FormatFloat(1e6, 'g', -1), "1e+06");
  EXPECT_EQ(go::FormatFloat(999999, 'g', -1), "999999");
  EXPECT_EQ(go::FormatFloat(1234567, 'g', -1), "1.234567e+06");
  EXPECT_EQ(go::FormatFloat(123456789012, 'g', -1), "1.23456789012e+11");
  EXPECT_EQ(go::FormatFloat(0.0001, 'g', -1), "0.0001");
  EXPECT_EQ(go::FormatFloat(0.00001234, 'g', -1), "1.234e-05");
  EXPECT_EQ(go::FormatFloat(1e100, 'g', -1), "1e+100");
  EXPECT_EQ(go::FormatFloat(5e-324, 'g', -1), "5e-324");
  EXPECT_EQ(go::FormatFloat(1.7976931348623157e308, 'g', -1), "1.7976931348623157e+308");
  EXPECT_EQ(go::FormatFloat(0, 'g', -1), "0");
  EXPECT_EQ(go::FormatFloat(-0.0, 'g', -1), "-0");
  EXPECT_EQ(go::FormatFloat(-2.5, 'g', -1), "-2.5");
  EXPECT_EQ(go::FormatFloat(std::nan(""), 'g', -1), "NaN");
  EXPECT_EQ(go::FormatFloat(HUGE_VAL, 'g', -1), "+Inf");
  EXPECT_EQ(go::FormatFloat(-HUGE_VAL, 'e', 3), "-Inf");
}

TEST(TemplateFormat, PrecisionForms) {
  EXPECT_EQ(go::FormatFloat(1234567, 'g', 4), "1.235e+06");
  EXPECT_EQ(go::FormatFloat(100000, 'g', 4), "1e+05");
  EXPECT_EQ(go::FormatFloat(1234, 'g', 4), "1234");
  EXPECT_EQ(go::FormatFloat(12.5, 'g', 4), "12.5");
  EXPECT_EQ(go::FormatFloat(0.5, 'g', 4), "0.5");
  EXPECT_EQ(go::FormatFloat(0.00012345, 'g', 3), "0.000123");
  EXPECT_EQ(go::FormatFloat(0.125, 'g', 2), "0.12");  // round half to even on the exact value
  EXPECT_EQ(go::FormatFloat(1, 'g', 0), "1");
  EXPECT_EQ(go::FormatFloat(1234.5678, 'e', 6), "1.234568e+03");
  EXPECT_EQ(go::FormatFloat(0, 'e', 2), "0.00e+00");
  EXPECT_EQ(go::FormatFloat(1e-100, 'E', 1), "1.0E-100");
  EXPECT_EQ(go::FormatFloat(2.5, 'f', 0), "2");
  EXPECT_EQ(go::FormatFloat(1.005, 'f', 2), "1.00");  // 1.005 is 1.00499999... in binary
  EXPECT_EQ(go::FormatFloat(-0.001, 'f', 2), "-0.00");
  EXPECT_EQ(go::FormatFloat(123.456, 'f', -1), "123.456");
}

TEST(TemplateFormat, SprintSpacing) {
  // Spaces go between operands only when neither side is a string.
  EXPECT_EQ(Sprint({Value::String("a"), Value::Int(1), Value::Int(2), Value::String("b"),
                    Value::Float(3.5), Value::Bool(true), Value::Nil()}),
            "a1 2b3.5 true <nil>");
  EXPECT_EQ(Sprintln({Value::String("a"), Value::String("b")}), "a b\n");
  EXPECT_EQ(Sprint({}), "");
}

TEST(TemplateFormat, SprintfVerbsAndFlags) {
  auto f = [](std::string_view format, std::vector<Value> args) { return Sprintf(format, args); };
  EXPECT_EQ(f("%d|%5d|%-5d|%05d|%+d|% d", {Value::Int(42), Value::Int(42), Value::Int(42),
                                           Value::Int(-42), Value::Int(42), Value::Int(42)}),
            "42|   42|42   |-0042|+42| 42");
  EXPECT_EQ(
      f("%x|%X|%o|%O|%b|%#x|%#o|%c|%q|%U",
        {Value::Int(255), Value::Int(255), Value::Int(8), Value::Int(8), Value::Int(5),
         Value::Int(255), Value::Int(8), Value::Int(65), Value::Int(65), Value::Int(0x1F600)}),
      "ff|FF|10|0o10|101|0xff|010|A|'A'|U+1F600");
  EXPECT_EQ(f("%.3d|%6.3d|%.0d|", {Value::Int(7), Value::Int(7), Value::Int(0)}), "007|   007||");
  EXPECT_EQ(
      f("%f|%.0f|%.3e|%g|%G|%E|%8.2f|%-8.2f|%+.2f|% .2f|%08.2f",
        {Value::Float(3.14159), Value::Float(2.5), Value::Float(1234.5678),
         Value::Float(0.000001234), Value::Float(1e20), Value::Float(1e-10), Value::Float(3.14159),
         Value::Float(3.14159), Value::Float(3.14159), Value::Float(3.14159),
         Value::Float(-3.14159)}),
      "3.141590|2|1.235e+03|1.234e-06|1E+20|1.000000E-10|    3.14|3.14    |+3.14| 3.14|-0003.14");
  EXPECT_EQ(f("%5.1f|%05.1f|%+.1f|%v", {Value::Float(HUGE_VAL), Value::Float(std::nan("")),
                                        Value::Float(std::nan("")), Value::Float(-HUGE_VAL)}),
            " +Inf|  NaN|+NaN|-Inf");
  EXPECT_EQ(f("%s|%5s|%-5s|%.2s|%q|%x|%X|% x|%05s",
              {Value::String("abc"), Value::String("ab"), Value::String("ab"),
               Value::String("abcdef"), Value::String("a\"b\n"), Value::String("hi"),
               Value::String("hi"), Value::String("hi"), Value::String("ab")}),
            "abc|   ab|ab   |ab|\"a\\\"b\\n\"|6869|6869|68 69|000ab");
  EXPECT_EQ(f("%t|%v|%6t|", {Value::Bool(true), Value::Bool(false), Value::Bool(true)}),
            "true|false|  true|");
  EXPECT_EQ(f("%T %T %T %T %T %T", {Value::Int(1), Value::Float(1), Value::String(""),
                                    Value::Bool(true), Value::FromLabels(Labels{}), Value::Nil()}),
            "int float64 string bool map[string]string <nil>");
  EXPECT_EQ(
      f("%v|%d|%s", {Value::StringMap({{"a", "1"}}), Value::List({Value::Int(1), Value::Int(2)}),
                     Value::List({Value::String("a"), Value::Int(1)})}),
      "map[a:1]|[1 2]|[a %!s(int=1)]");
  EXPECT_EQ(f("%+v|%v", {Value::Struct({{"A", Value::Int(1)}, {"B", Value::String("x")}}, "T"),
                         Value::Struct({{"A", Value::Int(1)}}, "*T", true)}),
            "{A:1 B:x}|&{1}");
  EXPECT_EQ(f("%[2]d %[1]d|%*d|%-*d|%.*f", {Value::Int(1), Value::Int(2)}),
            "2 1|%!d(MISSING)|%!(BADWIDTH)%!d(MISSING)|%!(BADPREC)%!f(MISSING)");
  EXPECT_EQ(f("%[3]d|%[0]d", {Value::Int(1)}), "%!d(BADINDEX)|%!d(BADINDEX)");
  EXPECT_EQ(f("%*d|%-*d|%.*f", {Value::Int(5), Value::Int(42), Value::Int(5), Value::Int(42),
                                Value::Int(2), Value::Float(3.14159)}),
            "   42|42   |3.14");
}

TEST(TemplateFormat, SprintfErrorsAreInline) {
  auto f = [](std::string_view format, std::vector<Value> args) { return Sprintf(format, args); };
  EXPECT_EQ(f("%d %s", {Value::Int(1)}), "1 %!s(MISSING)");
  EXPECT_EQ(f("%d", {Value::Int(1), Value::Int(2), Value::String("x")}),
            "1%!(EXTRA int=2, string=x)");
  EXPECT_EQ(f("%", {}), "%!(NOVERB)");
  EXPECT_EQ(f("%z", {Value::Int(1)}), "%!z(int=1)");
  EXPECT_EQ(f("%d", {Value::String("x")}), "%!d(string=x)");
  EXPECT_EQ(f("%s", {Value::Float(1.5)}), "%!s(float64=1.5)");
  EXPECT_EQ(f("%d", {Value::Nil()}), "%!d(<nil>)");
  EXPECT_EQ(f("%!", {}), "%!!(MISSING)");
  EXPECT_EQ(f("100%%", {}), "100%");
  EXPECT_EQ(f("%*d", {Value::String("x"), Value::Int(1)}), "%!(BADWIDTH)1");
}

TEST(TemplateFormat, GoNumberParsing) {
  double v = 0;
  std::string error;
  EXPECT_TRUE(go::ParseFloat("1e3", &v, &error));
  EXPECT_EQ(v, 1000);
  EXPECT_TRUE(go::ParseFloat("0x1p-2", &v, &error));
  EXPECT_EQ(v, 0.25);
  EXPECT_TRUE(go::ParseFloat("-Inf", &v, &error));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  EXPECT_TRUE(go::ParseFloat("nan", &v, &error));
  EXPECT_TRUE(std::isnan(v));
  EXPECT_TRUE(go::ParseFloat("1_000.5", &v, &error));
  EXPECT_EQ(v, 1000.5);
  EXPECT_FALSE(go::ParseFloat(" 1", &v, &error));
  EXPECT_EQ(error, "strconv.ParseFloat: parsing \" 1\": invalid syntax");
  EXPECT_FALSE(go::ParseFloat("+nan", &v, &error));
  EXPECT_FALSE(go::ParseFloat("1e999", &v, &error));
  EXPECT_EQ(error, "strconv.ParseFloat: parsing \"1e999\": value out of range");
  int64_t i = 0;
  EXPECT_TRUE(go::ParseInt("0x_1F", &i));
  EXPECT_EQ(i, 31);
  EXPECT_TRUE(go::ParseInt("017", &i));
  EXPECT_EQ(i, 15);
  EXPECT_TRUE(go::ParseInt("-9223372036854775808", &i));
  EXPECT_FALSE(go::ParseInt("9223372036854775808", &i));
  EXPECT_FALSE(go::ParseInt("1__0", &i));
  EXPECT_FALSE(go::ParseInt("08", &i));
  uint64_t u = 0;
  EXPECT_TRUE(go::ParseUint("18446744073709551615", &u));
  EXPECT_FALSE(go::ParseUint("-1", &u));
}

TEST(TemplateText, QuoteLikeStrconv) {
  EXPECT_EQ(go::Quote("plain"), "\"plain\"");
  EXPECT_EQ(go::Quote("a\"b\\c\n\t\x01\x7f"), "\"a\\\"b\\\\c\\n\\t\\x01\\x7f\"");
  EXPECT_EQ(go::Quote("é\x01", '"', true), "\"\\u00e9\\x01\"");
  EXPECT_EQ(go::QuoteRune('\''), "'\\''");
  EXPECT_EQ(go::QuoteRune('"'), "'\"'");
  EXPECT_EQ(go::QuoteRune(0x110000), "'\xEF\xBF\xBD'");
  EXPECT_EQ(go::Quote("é\xff"), "\"é\\xff\"");
  EXPECT_EQ(go::Quote("\xc2\xa0"), "\"\\u00a0\"");  // NBSP is not printable in Go's sense
}

TEST(TemplateText, UnquoteGoLiterals) {
  std::string out;
  EXPECT_TRUE(go::Unquote("\"a\\x41\\u00e9\\101\\n\"", &out));
  EXPECT_EQ(out, "aAéA\n");
  EXPECT_TRUE(go::Unquote("`raw\\n\r`", &out));
  EXPECT_EQ(out, "raw\\n");  // raw strings drop carriage returns
  EXPECT_FALSE(go::Unquote("\"\\q\"", &out));
  EXPECT_FALSE(go::Unquote("\"\\'\"", &out));
  EXPECT_FALSE(go::Unquote("\"\\ud800\"", &out));
}

TEST(TemplateText, CaseMapping) {
  EXPECT_EQ(text::ToUpper("hello Wörld ß"), "HELLO WÖRLD ß");
  EXPECT_EQ(text::ToLower("HELLO WÖRLD"), "hello wörld");
  EXPECT_EQ(text::Title("ünïcode  words-here a_b o'neil"), "Ünïcode  Words-Here A_b O'Neil");
  EXPECT_EQ(text::ToUpper("abc\xff"), "ABC\xEF\xBF\xBD");  // invalid bytes become U+FFFD
  EXPECT_EQ(text::ToUpper("ABC\xff"), "ABC\xEF\xBF\xBD");
}

TEST(TemplateText, Escapes) {
  EXPECT_EQ(text::HtmlEscape(std::string("<a href=\"x\">'&\0", 15)),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;\xEF\xBF\xBD");
  EXPECT_EQ(text::JsEscape("a=b<c>'\"\\&\n\x01é\xe2\x80\xa8"),
            "a\\u003Db\\u003Cc\\u003E\\'\\\"\\\\\\u0026\\u000A\\u0001é\\u2028");
  EXPECT_EQ(QueryEscape("a b&c=d/é~-_."), "a+b%26c%3Dd%2F%C3%A9~-_.");
}

}  // namespace
}  // namespace codebot::tmpl
