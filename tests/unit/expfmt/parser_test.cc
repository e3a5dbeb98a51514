#include "exporter/expfmt/parser.h"

#include <gtest/gtest.h>

#include <cmath>

#include "exporter/expfmt/writer.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::expfmt {
namespace {

const Family* Find(const ParseResult& result, const std::string& name) {
  for (const auto& family : result.families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST(Parser, ReadsEveryConstructOfTheTrickyExposition) {
  const std::string text =
      testing::ReadFile(testing::SourceDir() + "/tests/data/tricky_exposition.prom");
  const ParseResult result = Parse(text);
  ASSERT_TRUE(result.ok) << result.error.ToString();

  const Family* requests = Find(result, "codebot_requests_total");
  ASSERT_NE(requests, nullptr);
  EXPECT_EQ(requests->type, MetricType::kCounter);
  EXPECT_EQ(requests->help, "Requests handled, by handler.\nSecond line with a backslash \\ here.");
  ASSERT_EQ(requests->samples.size(), 6u);
  EXPECT_EQ(LabelValue(requests->samples[1].labels, "handler"), "say \"hi\"");
  EXPECT_EQ(LabelValue(requests->samples[2].labels, "handler"), "C:\\bot\\path");
  EXPECT_EQ(LabelValue(requests->samples[3].labels, "handler"), "multi\nline");
  EXPECT_EQ(requests->samples[3].timestamp_ms, 1700000000123);
  EXPECT_EQ(LabelValue(requests->samples[4].labels, "handler"), "unicode ✓ שלום");
  EXPECT_EQ(LabelValue(requests->samples[5].labels, "handler"), "spaced");

  const Family* queue = Find(result, "codebot_queue_depth");
  ASSERT_NE(queue, nullptr);
  EXPECT_TRUE(std::isnan(queue->samples[0].value));
  EXPECT_EQ(queue->samples[1].value, HUGE_VAL);
  EXPECT_EQ(queue->samples[2].value, -HUGE_VAL);
  EXPECT_EQ(queue->samples[6].value, 9007199254740992.0);  // nearest double, as Go parses it

  const Family* histogram = Find(result, "codebot_request_duration_seconds");
  ASSERT_NE(histogram, nullptr);
  EXPECT_EQ(histogram->type, MetricType::kHistogram);
  EXPECT_EQ(histogram->samples.size(), 12u);
  const Family* summary = Find(result, "codebot_message_size_bytes");
  ASSERT_NE(summary, nullptr);
  EXPECT_EQ(summary->samples.size(), 5u);

  const Family* legacy = Find(result, "codebot_legacy_value");
  ASSERT_NE(legacy, nullptr);
  EXPECT_FALSE(legacy->has_type);
  EXPECT_FALSE(legacy->has_help);
  const Family* help_only = Find(result, "codebot_help_only");
  ASSERT_NE(help_only, nullptr);
  EXPECT_TRUE(help_only->has_help);
  EXPECT_FALSE(help_only->has_type);
}

// Writing what was parsed and parsing it again gives identical families: the relay changes
// nothing about names, labels, values, timestamps, help or type.
TEST(Parser, WriterRoundTripIsExact) {
  const std::string text =
      testing::ReadFile(testing::SourceDir() + "/tests/data/tricky_exposition.prom");
  const ParseResult first = Parse(text);
  ASSERT_TRUE(first.ok);
  std::string written;
  for (const auto& family : first.families) AppendFamily(written, family);
  const ParseResult second = Parse(written);
  ASSERT_TRUE(second.ok) << second.error.ToString() << "\n" << written;
  ASSERT_EQ(first.families.size(), second.families.size());
  for (size_t f = 0; f < first.families.size(); ++f) {
    const Family& a = first.families[f];
    const Family& b = second.families[f];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.help, b.help);
    EXPECT_EQ(a.has_help, b.has_help);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.has_type, b.has_type);
    ASSERT_EQ(a.samples.size(), b.samples.size()) << a.name;
    for (size_t s = 0; s < a.samples.size(); ++s) {
      EXPECT_EQ(a.samples[s].name, b.samples[s].name);
      EXPECT_EQ(a.samples[s].labels, b.samples[s].labels);
      EXPECT_EQ(a.samples[s].timestamp_ms, b.samples[s].timestamp_ms);
      if (std::isnan(a.samples[s].value)) {
        EXPECT_TRUE(std::isnan(b.samples[s].value));
      } else {
        EXPECT_EQ(a.samples[s].value, b.samples[s].value) << a.samples[s].name;
      }
    }
  }
}

// A HELP line does not place its family: foo_bucket, seen before foo became a histogram, is a
// family of its own and must be written before foo's TYPE, or it reads back as a bucket of foo
// without le (found by fuzz_expfmt).
TEST(Parser, FamiliesTakeTheirPlaceAtTypeOrFirstSample) {
  const ParseResult first = Parse("# HELP foo x\nfoo_bucket 1\n# TYPE foo histogram\n");
  ASSERT_TRUE(first.ok) << first.error.ToString();
  ASSERT_EQ(first.families.size(), 2u);
  EXPECT_EQ(first.families[0].name, "foo_bucket");
  EXPECT_EQ(first.families[1].name, "foo");
  std::string written;
  for (const auto& family : first.families) AppendFamily(written, family);
  const ParseResult second = Parse(written);
  ASSERT_TRUE(second.ok) << second.error.ToString() << "\n" << written;
  ASSERT_EQ(second.families.size(), 2u);
  EXPECT_EQ(second.families[0].name, "foo_bucket");
  ASSERT_EQ(second.families[0].samples.size(), 1u);
  EXPECT_EQ(second.families[1].type, MetricType::kHistogram);
  EXPECT_TRUE(second.families[1].samples.empty());
}

TEST(Parser, ShortestRoundTripValues) {
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(1e6), "1e+06");
  EXPECT_EQ(FormatValue(1027), "1027");
  EXPECT_EQ(FormatValue(-0.000123), "-0.000123");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatValue(-HUGE_VAL), "-Inf");
}

struct BadCase {
  const char* text;
  size_t line;
  const char* message_part;
};

class ParserErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParserErrors, RejectsWithLineAndReason) {
  const BadCase& c = GetParam();
  const ParseResult result = Parse(c.text);
  ASSERT_FALSE(result.ok) << c.text;
  EXPECT_EQ(result.error.line, c.line) << result.error.ToString();
  EXPECT_NE(result.error.message.find(c.message_part), std::string::npos)
      << result.error.ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParserErrors,
    ::testing::Values(
        BadCase{"<html><body>502 Bad Gateway</body></html>\n", 1, "invalid metric name"},
        BadCase{"ok 1\n1bad 2\n", 2, "invalid metric name"},
        BadCase{"a{b=\"c} 1\n", 1, "unterminated"}, BadCase{"a{b=\"c\"} one\n", 1, "invalid value"},
        BadCase{"a 1 12.5\n", 1, "invalid timestamp"}, BadCase{"a 1 2 3\n", 1, "unexpected text"},
        BadCase{"a{b=\"\\x\"} 1\n", 1, "invalid escape"},
        BadCase{"a{b=\"1\",b=\"2\"} 1\n", 1, "duplicate label"},
        BadCase{"a{0b=\"1\"} 1\n", 1, "invalid label name"},
        BadCase{"# TYPE a counter\n# TYPE a gauge\n", 2, "second TYPE"},
        BadCase{"a 1\n# TYPE a gauge\n", 2, "TYPE reported after samples"},
        BadCase{"# HELP a x\n# HELP a y\n", 2, "second HELP"},
        BadCase{"# TYPE a bogus\n", 1, "unknown metric type"},
        BadCase{"# TYPE h histogram\nh_bucket{x=\"1\"} 1\n", 2, "no le label"},
        BadCase{"# TYPE s summary\ns 1\n", 2, "no quantile label"},
        BadCase{"a{b=\"\xff\"} 1\n", 1, "UTF-8"}, BadCase{"a\n", 1, "missing value"}));

TEST(Parser, AcceptsLenientButValidForms) {
  EXPECT_TRUE(Parse("").ok);
  EXPECT_TRUE(Parse("\n\n# just a comment\n").ok);
  EXPECT_TRUE(Parse("a 1\r\nb 2\r\n").ok);
  EXPECT_TRUE(Parse("a{} 1\n").ok);
  EXPECT_TRUE(Parse("a {x=\"y\"} 1\n").ok);
  EXPECT_TRUE(Parse("a\t1\t-5\n").ok);
  EXPECT_TRUE(Parse("a inf\nb -Inf\nc nan\n").ok);
}

}  // namespace
}  // namespace codebot::expfmt
