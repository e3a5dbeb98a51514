#include "exporter/alerts/route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/core/label_matchers.h"

namespace codebot::alerts {
namespace {

std::vector<Matcher> M(std::string_view text) {
  std::string error;
  auto matchers = ParseLabelMatchers(text, &error);
  EXPECT_TRUE(matchers.has_value()) << error;
  return matchers.value_or(std::vector<Matcher>{});
}

config::Route R(std::string receiver, std::string_view matchers = "",
                std::vector<config::Route> children = {}, bool cont = false) {
  config::Route r;
  r.receiver = std::move(receiver);
  if (!matchers.empty()) r.matchers = M(matchers);
  r.routes = std::move(children);
  r.continue_matching = cont;
  return r;
}

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (const auto& [n, v] : pairs) out.push_back(Label{n, v});
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Receivers(const Router& router, const Labels& labels) {
  std::vector<std::string> out;
  for (const RouteNode* node : router.Match(labels)) out.push_back(node->opts.receiver);
  return out;
}

// The tree of Alertmanager's own route tests, reduced: a first match stops the search unless the
// matching route says continue; a route none of whose children match is itself the match.
config::Route Tree() {
  config::Route root = R("default", "",
                         {
                             R("db", R"(team="db")", {R("", R"(severity="critical")")}, true),
                             R("web", R"(team=~"db|web")"),
                             R("never", R"(team="web")"),
                         });
  root.group_by = {"alertname"};
  return root;
}

TEST(Router, DepthFirstWithContinueAndTheRootAsDefault) {
  Router router(Tree());
  // db's child matches (and inherits db's receiver); db continues, so web matches too.
  EXPECT_EQ(Receivers(router, L({{"team", "db"}, {"severity", "critical"}})),
            (std::vector<std::string>{"db", "web"}));
  // No child of db matches: db itself; then web.
  EXPECT_EQ(Receivers(router, L({{"team", "db"}, {"severity", "warning"}})),
            (std::vector<std::string>{"db", "web"}));
  // web matches and doesn't continue: "never" is never reached.
  EXPECT_EQ(Receivers(router, L({{"team", "web"}})), (std::vector<std::string>{"web"}));
  EXPECT_EQ(Receivers(router, L({{"team", "other"}})), (std::vector<std::string>{"default"}));
  EXPECT_EQ(Receivers(router, L({{"alertname", "X"}})), (std::vector<std::string>{"default"}));
}

TEST(Router, InheritsTheReceiverAndKeepsLoadedOptions) {
  config::Route tree = Tree();
  tree.routes[0].routes[0].group_by = {"instance", "alertname"};
  tree.routes[0].routes[0].group_wait = std::chrono::seconds(5);
  Router router(tree);
  auto matches = router.Match(L({{"team", "db"}, {"severity", "critical"}}));
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0]->opts.receiver, "db");
  EXPECT_EQ(matches[0]->opts.group_by, (std::vector<std::string>{"alertname", "instance"}));
  EXPECT_EQ(matches[0]->opts.group_wait_ms, 5000);
  EXPECT_EQ(matches[1]->opts.group_wait_ms, 30000);
}

TEST(Router, KeysAndIdsAreAlertmanagers) {
  config::Route root = R("default", "",
                         {R("a", R"(team="db", severity=~"critical|page")"),
                          R("b", R"(team="db",severity=~"critical|page")")});
  Router router(root);
  ASSERT_EQ(router.nodes().size(), 3u);
  EXPECT_EQ(router.root().key, "{}");
  EXPECT_EQ(router.root().id, "{}");
  // Matchers sorted by name; siblings with the same matchers share a key, not an id.
  EXPECT_EQ(router.nodes()[1].key, R"({}/{severity=~"critical|page",team="db"})");
  EXPECT_EQ(router.nodes()[1].id, R"({}/{severity=~"critical|page",team="db"}/0)");
  EXPECT_EQ(router.nodes()[2].key, router.nodes()[1].key);
  EXPECT_EQ(router.nodes()[2].id, R"({}/{severity=~"critical|page",team="db"}/1)");
  EXPECT_EQ(router.FindById(router.nodes()[2].id), &router.nodes()[2]);
  EXPECT_EQ(router.FindById("{}/nope"), nullptr);
}

TEST(GroupKey, ReadsLikeAlertmanagers) {
  // The form in the real Alertmanager 0.25 capture (webhook-mixed.json).
  EXPECT_EQ(GroupKey("{}", L({{"alertname", "InstanceDown"}})), R"({}:{alertname="InstanceDown"})");
  EXPECT_EQ(GroupKey("{}/{team=\"db\"}", L({{"alertname", "X"}, {"instance", "a:1"}})),
            R"({}/{team="db"}:{alertname="X", instance="a:1"})");
  EXPECT_EQ(GroupKey("{}", {}), "{}:{}");
  // Go's %q escapes, and its sort of the printed pairs ("a0=" sorts before "a=").
  EXPECT_EQ(LabelSetString(L({{"a", "x\"y\\z\n"}, {"a0", "\t\x01"}})),
            R"({a0="\t\x01", a="x\"y\\z\n"})");
  EXPECT_EQ(LabelSetString(L({{"a", "héllo"}})), R"({a="héllo"})");
}

TEST(GroupLabels, ByNamesOrAll) {
  RouteOpts opts;
  opts.group_by = {"alertname", "service"};
  const Labels alert = L({{"alertname", "X"}, {"instance", "i"}, {"service", "s"}});
  EXPECT_EQ(GroupLabels(alert, opts), L({{"alertname", "X"}, {"service", "s"}}));
  // A grouping label the alert doesn't have is simply absent.
  EXPECT_EQ(GroupLabels(L({{"alertname", "X"}}), opts), L({{"alertname", "X"}}));
  opts.group_by_all = true;
  EXPECT_EQ(GroupLabels(alert, opts), alert);
  opts = RouteOpts{};
  EXPECT_TRUE(GroupLabels(alert, opts).empty());
}

// An empty group_by is Alertmanager 0.25's: on the root it groups every alert together (its
// default, no labels), on a child route it is no setting at all and the parent's grouping applies,
// '...' included. The group keys below are what a real prometheus-alertmanager 0.25 sent to a
// webhook for these alerts under this very config.
TEST(GroupKey, EmptyGroupByAsAlertmanager025) {
  struct Case {
    Labels labels;
    std::string key;
  };
  auto keys = [](const std::string& yaml, const std::vector<Case>& cases) {
    const config::Config loaded = config::LoadString(yaml, "c.yml");
    const Router router(*loaded.delivery.route);
    for (const Case& c : cases) {
      const auto matches = router.Match(c.labels);
      ASSERT_EQ(matches.size(), 1u);
      EXPECT_EQ(GroupKey(matches[0]->key, GroupLabels(c.labels, matches[0]->opts)), c.key);
    }
  };
  keys(R"(route:
  receiver: r
  group_by: [alertname]
  routes:
    - matchers: ['t="empty"']
      group_by: []
    - matchers: ['t="all"']
      group_by: ['...']
      routes:
        - matchers: ['u="empty"']
          group_by: []
    - matchers: ['t="none"']
receivers: [{name: r}]
)",
       {{L({{"alertname", "A"}, {"t", "empty"}, {"x", "1"}}), R"({}/{t="empty"}:{alertname="A"})"},
        {L({{"alertname", "B"}, {"t", "empty"}, {"x", "2"}}), R"({}/{t="empty"}:{alertname="B"})"},
        {L({{"alertname", "A"}, {"t", "all"}, {"x", "1"}}),
         R"({}/{t="all"}:{alertname="A", t="all", x="1"})"},
        {L({{"alertname", "A"}, {"t", "all"}, {"u", "empty"}, {"x", "2"}}),
         R"({}/{t="all"}/{u="empty"}:{alertname="A", t="all", u="empty", x="2"})"},
        {L({{"alertname", "B"}, {"t", "none"}, {"x", "2"}}), R"({}/{t="none"}:{alertname="B"})"}});
  keys(R"(route:
  receiver: r
  group_by: []
  routes:
    - matchers: ['t="child"']
      group_by: []
receivers: [{name: r}]
)",
       {{L({{"alertname", "A"}, {"x", "1"}}), "{}:{}"},
        {L({{"alertname", "B"}, {"x", "2"}}), "{}:{}"},
        {L({{"alertname", "C"}, {"t", "child"}}), R"({}/{t="child"}:{})"}});
}

}  // namespace
}  // namespace codebot::alerts
