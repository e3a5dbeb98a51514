// Enrichment: which playbook an alert gets (first match, default, none), and the Grafana links it
// carries: the window around the alert's start, template variables from its labels, escaping.
#include "exporter/alerts/enrich.h"

#include <gtest/gtest.h>

#include "exporter/core/label_matchers.h"
#include "tests/support/env.h"

namespace codebot::alerts {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kStart = 1'700'000'000'000;    // 2023-11-14T22:13:20Z
constexpr int64_t kNow = kStart + 10 * kMinute;  // ten minutes later

std::vector<Matcher> Parse(const std::string& text) {
  std::string error;
  auto matchers = ParseLabelMatchers(text, &error);
  EXPECT_TRUE(matchers) << error;
  return matchers.value_or(std::vector<Matcher>{});
}

config::Playbook MakePlaybook(const std::string& matchers, const std::string& summary) {
  config::Playbook playbook;
  playbook.matchers = Parse(matchers);
  playbook.summary = summary;
  playbook.actions = {summary + ": first", summary + ": second"};
  return playbook;
}

Alert MakeAlert(Labels labels, Labels annotations = {}) {
  Alert alert;
  alert.labels = std::move(labels);
  std::sort(alert.labels.begin(), alert.labels.end());
  alert.annotations = std::move(annotations);
  alert.starts_at_ms = kStart;
  alert.ends_at_ms = kNow + 4 * kMinute;  // still valid: firing
  return alert;
}

Enricher::Clock FixedClock() {
  return [] { return kNow; };
}

TEST(Enricher, FirstMatchingPlaybookWins) {
  config::Playbooks playbooks;
  playbooks.playbooks.push_back(
      MakePlaybook(R"(alertname="BotErrorRatioHigh", operation="github_sync")", "github"));
  playbooks.playbooks.push_back(MakePlaybook(R"(alertname="BotErrorRatioHigh")", "any operation"));
  playbooks.playbooks.back().runbook_url = "https://runbooks.example.com/errors";
  playbooks.playbooks.back().affected_services = {"search"};
  playbooks.fallback = MakePlaybook("", "default");
  const Enricher enricher(playbooks, "", FixedClock());

  // A github_sync alert matches both playbooks: the first in file order wins.
  const Enrichment github = enricher.Enrich(
      MakeAlert({{"alertname", "BotErrorRatioHigh"}, {"operation", "github_sync"}}));
  EXPECT_EQ(github.summary, "github");
  EXPECT_EQ(github.actions, (std::vector<std::string>{"github: first", "github: second"}));
  EXPECT_FALSE(github.from_default);

  // A search alert matches the general playbook only.
  const Enrichment search =
      enricher.Enrich(MakeAlert({{"alertname", "BotErrorRatioHigh"}, {"operation", "search"}}));
  EXPECT_EQ(search.summary, "any operation");
  EXPECT_EQ(search.runbook_url, "https://runbooks.example.com/errors");
  EXPECT_EQ(search.affected_services, std::vector<std::string>{"search"});
  EXPECT_FALSE(search.from_default);

  // Swapped order: the general playbook now hides the specific one.
  std::swap(playbooks.playbooks[0], playbooks.playbooks[1]);
  const Enricher swapped(playbooks, "", FixedClock());
  EXPECT_EQ(
      swapped.Enrich(MakeAlert({{"alertname", "BotErrorRatioHigh"}, {"operation", "github_sync"}}))
          .summary,
      "any operation");
}

TEST(Enricher, DefaultWhenNothingMatches) {
  config::Playbooks playbooks;
  playbooks.playbooks.push_back(MakePlaybook(R"(alertname="A")", "a"));
  playbooks.fallback = MakePlaybook("", "default");
  playbooks.fallback->runbook_url = "https://runbooks.example.com/";
  const Enricher enricher(playbooks, "", FixedClock());
  const Enrichment e = enricher.Enrich(
      MakeAlert({{"alertname", "Unknown"}}, {{"runbook_url", "https://own.example.com/unknown"}}));
  EXPECT_TRUE(e.from_default);
  EXPECT_EQ(e.summary, "default");
  EXPECT_EQ(e.runbook_url, "https://runbooks.example.com/");  // the playbook's comes first
  EXPECT_EQ(enricher.Find({{"alertname", "Unknown"}}), &*enricher.playbooks().fallback);
}

TEST(Enricher, NoPlaybookLeavesTheAlertsOwnRunbook) {
  config::Playbooks playbooks;
  playbooks.playbooks.push_back(MakePlaybook(R"(alertname="A")", "a"));
  const Enricher enricher(playbooks, "https://grafana.example.com", FixedClock());
  const Enrichment e = enricher.Enrich(
      MakeAlert({{"alertname", "B"}}, {{"runbook_url", "https://own.example.com/b"}}));
  EXPECT_EQ(e, (Enrichment{.summary = "",
                           .actions = {},
                           .runbook_url = "https://own.example.com/b",
                           .affected_services = {},
                           .dashboards = {},
                           .from_default = false}));
  EXPECT_EQ(enricher.Find({{"alertname", "B"}}), nullptr);
}

TEST(Enricher, PlaybookWithoutRunbookFallsBackToTheAnnotation) {
  config::Playbooks playbooks;
  playbooks.playbooks.push_back(MakePlaybook(R"(alertname="A")", "a"));
  const Enricher enricher(playbooks, "", FixedClock());
  const Enrichment e = enricher.Enrich(
      MakeAlert({{"alertname", "A"}}, {{"runbook_url", "https://own.example.com/a"}}));
  EXPECT_EQ(e.summary, "a");
  EXPECT_EQ(e.runbook_url, "https://own.example.com/a");
}

config::Playbooks WithDashboards() {
  config::Playbooks playbooks;
  playbooks.playbooks.push_back(MakePlaybook(R"(alertname="BotErrorRatioHigh")", "errors"));
  playbooks.playbooks.back().dashboards = {
      {"Errors", "errors", std::chrono::minutes(30)},
      {"Odd uid", "a b/c?d", std::chrono::hours(2)},
  };
  return playbooks;
}

TEST(Enricher, FiringLinksShowTheWindowBeforeTheStartUpToNow) {
  const Enricher enricher(WithDashboards(), "https://grafana.example.com/", FixedClock());
  const Enrichment e = enricher.Enrich(MakeAlert(
      {{"alertname", "BotErrorRatioHigh"}, {"operation", "db_query"}, {"severity", "critical"}}));
  ASSERT_EQ(e.dashboards.size(), 2u);
  EXPECT_EQ(e.dashboards[0].title, "Errors");
  // from = start - 30m; to = now (Grafana's relative time); alertname is no variable.
  EXPECT_EQ(e.dashboards[0].url,
            "https://grafana.example.com/d/errors?from=1699998200000&to=now"
            "&var-operation=db_query&var-severity=critical");
  // The uid is a path segment: escaped as one.
  EXPECT_EQ(e.dashboards[1].url,
            "https://grafana.example.com/d/a%20b%2Fc%3Fd?from=1699992800000&to=now"
            "&var-operation=db_query&var-severity=critical");
}

TEST(Enricher, ResolvedLinksEndHalfAWindowAfterTheResolution) {
  const Enricher enricher(WithDashboards(), "http://127.0.0.1:3000", FixedClock());
  Alert alert = MakeAlert({{"alertname", "BotErrorRatioHigh"}});
  alert.ends_at_ms = kStart + 5 * kMinute;  // resolved five minutes before now
  const Enrichment e = enricher.Enrich(alert);
  ASSERT_EQ(e.dashboards.size(), 2u);
  EXPECT_EQ(e.dashboards[0].url,
            "http://127.0.0.1:3000/d/errors?from=" + std::to_string(kStart - 30 * kMinute) +
                "&to=" + std::to_string(kStart + 5 * kMinute + 15 * kMinute));
}

TEST(Enricher, LabelValuesAreEscapedAndJobInstanceLeftOut) {
  const Enricher enricher(WithDashboards(), "https://g.example.com", FixedClock());
  const Enrichment e = enricher.Enrich(MakeAlert({{"alertname", "BotErrorRatioHigh"},
                                                  {"instance", "10.0.0.1:9877"},
                                                  {"job", "codebot-exporter"},
                                                  {"name", "bot pat&x=1#frag"},
                                                  {"path", "/a?b=c"},
                                                  {"empty", ""},
                                                  {"datname", "Ünïcode"}}));
  ASSERT_FALSE(e.dashboards.empty());
  EXPECT_EQ(e.dashboards[0].url,
            "https://g.example.com/d/errors?from=1699998200000&to=now"
            "&var-datname=%C3%9Cn%C3%AFcode&var-name=bot+pat%26x%3D1%23frag"
            "&var-path=%2Fa%3Fb%3Dc");
}

TEST(Enricher, UnknownStartCountsAsNow) {
  const Enricher enricher(WithDashboards(), "https://g.example.com", FixedClock());
  Alert alert = MakeAlert({{"alertname", "BotErrorRatioHigh"}});
  alert.starts_at_ms = kNoTime;
  alert.ends_at_ms = kNoTime;
  const Enrichment e = enricher.Enrich(alert);
  ASSERT_FALSE(e.dashboards.empty());
  EXPECT_EQ(e.dashboards[0].url, "https://g.example.com/d/errors?from=" +
                                     std::to_string(kNow - 30 * kMinute) + "&to=now");
}

TEST(Enricher, NoGrafanaUrlNoLinks) {
  const Enricher enricher(WithDashboards(), "", FixedClock());
  const Enrichment e = enricher.Enrich(MakeAlert({{"alertname", "BotErrorRatioHigh"}}));
  EXPECT_EQ(e.summary, "errors");
  EXPECT_TRUE(e.dashboards.empty());
}

// The shipped playbooks: an operation-specific playbook for the operations that have one, the
// general one for the rest, and the default for what no rule produces.
TEST(Enricher, ShippedPlaybooks) {
  const Enricher enricher(
      config::LoadPlaybookFiles({testing::SourceDir() + "/rules/playbooks.yml"}),
      "https://grafana.example.com", FixedClock());
  auto playbook_of = [&](const Labels& labels) {
    const config::Playbook* playbook = enricher.Find(labels);
    return playbook == nullptr ? std::string("none") : playbook->summary;
  };
  const std::string github =
      playbook_of({{"alertname", "BotErrorRatioHigh"}, {"operation", "github_sync"}});
  const std::string db =
      playbook_of({{"alertname", "BotErrorRatioHigh"}, {"operation", "db_query"}});
  const std::string save =
      playbook_of({{"alertname", "BotErrorRatioHigh"}, {"operation", "file_save"}});
  const std::string search =
      playbook_of({{"alertname", "BotErrorRatioHigh"}, {"operation", "search"}});
  EXPECT_NE(github, db);
  EXPECT_EQ(db, save);
  EXPECT_NE(search, db);
  EXPECT_NE(search, github);
  const Enrichment unknown = enricher.Enrich(MakeAlert({{"alertname", "SomebodyElses"}}));
  EXPECT_TRUE(unknown.from_default);
  ASSERT_FALSE(unknown.dashboards.empty());
  EXPECT_EQ(unknown.dashboards[0].url.rfind("https://grafana.example.com/d/main?from=", 0), 0u);
}

}  // namespace
}  // namespace codebot::alerts
