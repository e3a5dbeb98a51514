#include "exporter/expfmt/writer.h"

#include <gtest/gtest.h>

namespace codebot::expfmt {
namespace {

TEST(Writer, LabelValuesEscapeBackslashQuoteAndNewline) {
  std::string out;
  AppendEscapedLabelValue(out, "C:\\dir \"x\"\nend");
  EXPECT_EQ(out, "C:\\\\dir \\\"x\\\"\\nend");
}

TEST(Writer, HelpEscapesBackslashAndNewlineButKeepsQuotes) {
  std::string out;
  AppendEscapedHelp(out, "C:\\dir \"x\"\nend");
  EXPECT_EQ(out, "C:\\\\dir \"x\"\\nend");
}

TEST(Writer, FamilyWithHelpTypeAndEscapedLabels) {
  Family family = Family::Make("codebot_x_total", MetricType::kCounter, "Say \"hi\"\\n.");
  family.Add({{"path", "a\"b"}}, 3);
  std::string out;
  AppendFamily(out, family);
  EXPECT_EQ(out,
            "# HELP codebot_x_total Say \"hi\"\\\\n.\n"
            "# TYPE codebot_x_total counter\n"
            "codebot_x_total{path=\"a\\\"b\"} 3\n");
}

}  // namespace
}  // namespace codebot::expfmt
