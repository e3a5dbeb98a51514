// The message every integration renders: markers by severity, firing before resolved, titles
// from the summary, how long a resolved alert fired, the headline naming the group.
#include "exporter/notify/message.h"

#include <gtest/gtest.h>

namespace codebot::notify {
namespace {

alerts::NotifiedAlert Notified(Labels labels, Labels annotations, alerts::Status status,
                               int64_t starts, int64_t ends) {
  alerts::NotifiedAlert n;
  n.alert.labels = std::move(labels);
  n.alert.annotations = std::move(annotations);
  n.alert.starts_at_ms = starts;
  n.alert.ends_at_ms = ends;
  n.status = status;
  return n;
}

TEST(Message, SeverityMarkersAndNames) {
  EXPECT_EQ(ParseSeverity("critical"), Severity::kCritical);
  EXPECT_EQ(ParseSeverity("high"), Severity::kCritical);
  EXPECT_EQ(ParseSeverity("ERROR"), Severity::kError);
  EXPECT_EQ(ParseSeverity("info"), Severity::kInfo);
  EXPECT_EQ(ParseSeverity("page"), Severity::kCritical);
  EXPECT_EQ(ParseSeverity("Emergency"), Severity::kCritical);
  EXPECT_EQ(ParseSeverity(""), Severity::kWarning);
  EXPECT_EQ(ParseSeverity("bogus"), Severity::kWarning);
  // The bot's guide's scale.
  EXPECT_EQ(SeverityMarker(Severity::kInfo, false), "ℹ️");
  EXPECT_EQ(SeverityMarker(Severity::kWarning, false), "⚠️");
  EXPECT_EQ(SeverityMarker(Severity::kError, false), "🚨");
  EXPECT_EQ(SeverityMarker(Severity::kCritical, false), "🔴");
  EXPECT_EQ(SeverityMarker(Severity::kCritical, true), "✅");
  EXPECT_EQ(SeverityName(Severity::kCritical), "critical");
}

// A group of info alerts reads as info, headline included (it used to start from warning).
TEST(Message, InfoAlertsAreInfoAllTheWayUp) {
  alerts::Notification n;
  n.common_labels = {{"alertname", "DeployStarted"}, {"severity", "info"}};
  n.alerts.push_back(Notified({{"alertname", "DeployStarted"}, {"severity", "info"}}, {},
                              alerts::Status::kFiring, 1'000, kNoTime));
  const Message m = BuildMessage(n);
  EXPECT_EQ(m.severity, Severity::kInfo);
  EXPECT_EQ(m.alerts[0].marker, "ℹ️");
  EXPECT_EQ(m.headline, "ℹ️ FIRING · DeployStarted");
  // A critical among them wins.
  n.alerts.push_back(Notified({{"alertname", "DeployStarted"}, {"severity", "critical"}}, {},
                              alerts::Status::kFiring, 1'000, kNoTime));
  EXPECT_EQ(BuildMessage(n).headline, "🔴 FIRING 2 · DeployStarted");
  // No alerts at all: warning, the severity of what nobody ranked.
  n.alerts.clear();
  EXPECT_EQ(BuildMessage(n).severity, Severity::kWarning);
}

TEST(Message, HumanDuration) {
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(45'000), "45s");
  EXPECT_EQ(HumanDuration(750'000), "12m 30s");
  EXPECT_EQ(HumanDuration(3'600'000), "1h");
  EXPECT_EQ(HumanDuration(11'100'000), "3h 5m");
  EXPECT_EQ(HumanDuration(187'200'000), "2d 4h");
}

TEST(Message, FiringFirstHighestSeverityFirstAndResolvedSaysHowLong) {
  alerts::Notification n;
  n.group_labels = {{"alertname", "BotErrorRatioHigh"}, {"operation", "search"}};
  n.common_labels = {{"alertname", "BotErrorRatioHigh"}, {"operation", "search"}};
  n.alerts.push_back(Notified({{"alertname", "BotErrorRatioHigh"},
                               {"instance", "a"},
                               {"operation", "search"},
                               {"severity", "warning"}},
                              {{"summary", "Errors high"}}, alerts::Status::kResolved, 1'000,
                              751'000));
  n.alerts.push_back(Notified({{"alertname", "BotErrorRatioHigh"},
                               {"instance", "b"},
                               {"operation", "search"},
                               {"severity", "warning"}},
                              {}, alerts::Status::kFiring, 1'000, kNoTime));
  n.alerts.push_back(Notified({{"alertname", "BotErrorRatioHigh"},
                               {"instance", "c"},
                               {"operation", "search"},
                               {"severity", "critical"}},
                              {{"description", "12% fail"}}, alerts::Status::kFiring, 1'000,
                              kNoTime));
  n.alerts[0].enrichment.actions = {"Check logs", "Check DB"};
  const Message m = BuildMessage(n);
  ASSERT_EQ(m.alerts.size(), 3u);
  EXPECT_FALSE(m.resolved);
  EXPECT_EQ(m.severity, Severity::kCritical);
  EXPECT_EQ(m.headline, "🔴 FIRING 2 · BotErrorRatioHigh (operation=search)");
  EXPECT_EQ(m.alerts[0].severity, Severity::kCritical);
  EXPECT_EQ(m.alerts[0].description, "12% fail");
  EXPECT_EQ(m.alerts[0].title, "BotErrorRatioHigh");
  EXPECT_EQ(m.alerts[0].details, (Labels{{"instance", "c"}}));
  EXPECT_EQ(m.alerts[1].severity, Severity::kWarning);
  EXPECT_TRUE(m.alerts[2].resolved);
  EXPECT_EQ(m.alerts[2].marker, "✅");
  EXPECT_EQ(m.alerts[2].title, "Errors high");
  EXPECT_EQ(m.alerts[2].fired_for, "12m 30s");
  EXPECT_EQ(m.alerts[2].actions, (std::vector<std::string>{"Check logs", "Check DB"}));

  n.alerts.erase(n.alerts.begin() + 1, n.alerts.end());
  EXPECT_EQ(BuildMessage(n).headline, "✅ RESOLVED · BotErrorRatioHigh (operation=search)");
}

}  // namespace
}  // namespace codebot::notify
