// Alertmanager's matcher syntax, as routes, inhibit rules and playbooks write it.
#include "exporter/core/label_matchers.h"

#include <gtest/gtest.h>

namespace codebot {
namespace {

TEST(LabelMatchers, OneMatcherEveryOperatorQuotedAndBare) {
  std::string error;
  auto m = ParseLabelMatcher(R"(alertname="BotServiceDown")", &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->type(), MatchType::kEqual);
  EXPECT_EQ(m->name(), "alertname");
  EXPECT_EQ(m->value(), "BotServiceDown");
  m = ParseLabelMatcher(" severity =~ warning|critical ", &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->type(), MatchType::kRegexMatch);
  EXPECT_TRUE(m->Matches("critical"));
  EXPECT_FALSE(m->Matches("critical2")) << "anchored";
  m = ParseLabelMatcher(R"(job!="a \"b\" \\ c")", &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->type(), MatchType::kNotEqual);
  EXPECT_EQ(m->value(), R"(a "b" \ c)");
  m = ParseLabelMatcher("x!~", &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->type(), MatchType::kRegexNoMatch);
  EXPECT_EQ(MatcherString(*m), "x!~\"\"");
}

TEST(LabelMatchers, ListsWithBracesAndCommasInsideQuotes) {
  std::string error;
  auto list = ParseLabelMatchers(R"({service="bot", text=~"a,b", severity!=info,})", &error);
  ASSERT_TRUE(list) << error;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].value(), "a,b");
  EXPECT_TRUE(MatchesAll(*list, {{"service", "bot"}, {"severity", "critical"}, {"text", "a,b"}}));
  EXPECT_FALSE(MatchesAll(*list, {{"service", "bot"}, {"severity", "info"}, {"text", "a,b"}}));
  list = ParseLabelMatchers("", &error);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
}

TEST(LabelMatchers, ErrorsSayWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(ParseLabelMatcher("=x", &error));
  EXPECT_NE(error.find("expected a label name"), std::string::npos) << error;
  EXPECT_FALSE(ParseLabelMatcher("a>x", &error));
  EXPECT_NE(error.find("expected =, !=, =~ or !~"), std::string::npos) << error;
  EXPECT_FALSE(ParseLabelMatcher(R"(a="x)", &error));
  EXPECT_NE(error.find("unterminated"), std::string::npos) << error;
  EXPECT_FALSE(ParseLabelMatcher("a=~(", &error));
  EXPECT_NE(error.find("invalid regular expression"), std::string::npos) << error;
  EXPECT_FALSE(ParseLabelMatchers("{a=b", &error));
  EXPECT_FALSE(ParseLabelMatchers("a=b,,c=d", &error));
}

}  // namespace
}  // namespace codebot
