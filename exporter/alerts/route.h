// The route tree of Alertmanager over config::Route: which routes (receiver, grouping, timers) an
// alert with given labels goes to, depth-first with `continue`, the root catching what nothing
// else does; and the names Alertmanager gives routes and groups (Route.Key, Route.ID, group keys),
// so logs and webhook payloads read like Alertmanager's. Pure: no clock, no state, no I/O; never
// used on a path that must not allocate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/notifications.h"
#include "exporter/core/metric.h"
#include "exporter/core/series.h"

namespace codebot::alerts {

// A route's options once inherited down the tree (Alertmanager's RouteOpts).
struct RouteOpts {
  std::string receiver;
  std::vector<std::string> group_by;  // sorted, unique
  bool group_by_all = false;          // group_by: ['...']
  int64_t group_wait_ms = 30'000;
  int64_t group_interval_ms = 300'000;
  int64_t repeat_interval_ms = 14'400'000;
  friend bool operator==(const RouteOpts&, const RouteOpts&) = default;
};

struct RouteNode {
  // Alertmanager's Route.Key(): the matchers of every node from the root, "{}/{a=\"1\"}". Two
  // siblings with the same matchers share it; it is the first half of their group keys.
  std::string key;
  // Alertmanager's Route.ID(): the key plus the position among the parent's children, unique in
  // the tree; what a group's dedup state is tied to across reloads and restarts.
  std::string id;
  std::vector<Matcher> matchers;  // sorted as Alertmanager sorts them (name, value, type)
  bool continue_matching = false;
  RouteOpts opts;
  std::vector<size_t> children;  // indices into Router::nodes()
};

class Router {
 public:
  // The config's values are taken as loaded: the loader has already applied inheritance of
  // group_by and the timers (config::Route can't tell "unset" from a default). An empty receiver
  // is inherited here, as Alertmanager does. The root matches every alert, matchers or not.
  explicit Router(const config::Route& root);

  // The routes an alert with these labels is handed to, in Alertmanager's order: depth-first,
  // left to right, siblings after a match only with `continue`, a node itself when none of its
  // children matched. Never empty.
  std::vector<const RouteNode*> Match(const Labels& labels) const;

  const RouteNode& root() const { return nodes_.front(); }
  const std::vector<RouteNode>& nodes() const { return nodes_; }
  const RouteNode* FindById(std::string_view id) const;

 private:
  void Build(const config::Route& route, const RouteNode* parent, size_t position);
  bool MatchNode(size_t index, const Labels& labels, std::vector<const RouteNode*>* out) const;

  std::vector<RouteNode> nodes_;  // depth-first order, root first
};

// The labels that name an alert's group on a route: those named in group_by, or all of them.
Labels GroupLabels(const Labels& alert_labels, const RouteOpts& opts);

// A label set as Go's model.LabelSet prints it: {a="1", b="2"} (pairs sorted as text, values
// quoted like Go's %q).
std::string LabelSetString(const Labels& labels);

// Matchers as Alertmanager's labels.Matchers prints them: {a="1",b=~"x|y"}.
std::string MatchersString(const std::vector<Matcher>& matchers);

// Alertmanager's group key: "<route key>:<group labels>", e.g. `{}/{team="db"}:{alertname="X"}`.
std::string GroupKey(std::string_view route_key, const Labels& group_labels);

}  // namespace codebot::alerts
