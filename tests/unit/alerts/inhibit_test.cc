#include "exporter/alerts/inhibit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exporter/core/label_matchers.h"

namespace codebot::alerts {
namespace {

std::vector<Matcher> M(std::string_view text) {
  std::string error;
  auto matchers = ParseLabelMatchers(text, &error);
  EXPECT_TRUE(matchers.has_value()) << error;
  return matchers.value_or(std::vector<Matcher>{});
}

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (const auto& [n, v] : pairs) out.push_back(Label{n, v});
  std::sort(out.begin(), out.end());
  return out;
}

config::InhibitRule Rule(std::string_view source, std::string_view target,
                         std::vector<std::string> equal) {
  return config::InhibitRule{M(source), M(target), std::move(equal)};
}

TEST(Inhibitor, CriticalMutesWarningWithEqualLabels) {
  Inhibitor inhibitor(
      {Rule(R"(severity="critical")", R"(severity="warning")", {"alertname", "service"})});
  const Labels critical =
      L({{"alertname", "Errors"}, {"service", "bot"}, {"severity", "critical"}});
  inhibitor.SetSources({&critical});
  EXPECT_TRUE(
      inhibitor.Mutes(L({{"alertname", "Errors"}, {"service", "bot"}, {"severity", "warning"}})));
  // Another service: the equal labels differ.
  EXPECT_FALSE(
      inhibitor.Mutes(L({{"alertname", "Errors"}, {"service", "db"}, {"severity", "warning"}})));
  // Not a target.
  EXPECT_FALSE(
      inhibitor.Mutes(L({{"alertname", "Errors"}, {"service", "bot"}, {"severity", "info"}})));
  // An equal label absent on both sides is equal (both empty), present on one side is not.
  EXPECT_FALSE(inhibitor.Mutes(L({{"alertname", "Errors"}, {"severity", "warning"}})));
  const Labels no_service = L({{"alertname", "Errors"}, {"severity", "critical"}});
  inhibitor.SetSources({&no_service});
  EXPECT_TRUE(inhibitor.Mutes(L({{"alertname", "Errors"}, {"severity", "warning"}})));
  // Without sources nothing is muted.
  inhibitor.SetSources({});
  EXPECT_FALSE(
      inhibitor.Mutes(L({{"alertname", "Errors"}, {"service", "bot"}, {"severity", "warning"}})));
}

TEST(Inhibitor, AnAlertOnBothSidesDoesNotMuteItselfNorItsLikes) {
  // Alertmanager's rule: when the target also matches the source side, sources that match the
  // target side too are ignored.
  Inhibitor inhibitor({Rule(R"(kind="down")", R"(kind="down")", {"cluster"})});
  const Labels a = L({{"alertname", "A"}, {"cluster", "c1"}, {"kind", "down"}});
  const Labels b = L({{"alertname", "B"}, {"cluster", "c1"}, {"kind", "down"}});
  inhibitor.SetSources({&a, &b});
  EXPECT_FALSE(inhibitor.Mutes(a));
  EXPECT_FALSE(inhibitor.Mutes(b));

  // A source on the source side only still mutes an alert that is on both sides.
  Inhibitor wider({Rule(R"(kind=~"down|outage")", R"(kind="down")", {"cluster"})});
  const Labels outage = L({{"alertname", "O"}, {"cluster", "c1"}, {"kind", "outage"}});
  wider.SetSources({&a, &outage});
  EXPECT_TRUE(wider.Mutes(a));
  wider.SetSources({&a});
  EXPECT_FALSE(wider.Mutes(a));
}

TEST(Inhibitor, AnyRuleMayMute) {
  Inhibitor inhibitor({Rule(R"(alertname="NodeDown")", R"(alertname="X")", {"node"}),
                       Rule(R"(alertname="ClusterDown")", R"(alertname=~".+")", {})});
  const Labels node = L({{"alertname", "NodeDown"}, {"node", "n1"}});
  inhibitor.SetSources({&node});
  EXPECT_TRUE(inhibitor.Mutes(L({{"alertname", "X"}, {"node", "n1"}})));
  EXPECT_FALSE(inhibitor.Mutes(L({{"alertname", "X"}, {"node", "n2"}})));
  const Labels cluster = L({{"alertname", "ClusterDown"}});
  inhibitor.SetSources({&node, &cluster});
  EXPECT_TRUE(inhibitor.Mutes(L({{"alertname", "X"}, {"node", "n2"}})));
  // ClusterDown is on both sides of the second rule and the only source: it stays.
  EXPECT_FALSE(inhibitor.Mutes(cluster));
  EXPECT_TRUE(Inhibitor({}).empty());
}

}  // namespace
}  // namespace codebot::alerts
