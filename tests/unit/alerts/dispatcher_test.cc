#include "exporter/alerts/dispatcher.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "exporter/core/label_matchers.h"
#include "exporter/core/log.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::alerts {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::TempDir;
using testing::WaitFor;

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kS = 1000;
constexpr int64_t kM = 60 * kS;

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

// The outbox, recording; refuses the next `refuse` notifications as a full disk would.
class RecordingSink : public NotificationSink {
 public:
  bool Enqueue(const Notification& notification) override {
    std::lock_guard lock(mutex_);
    ++attempts_;
    if (refuse_ > 0) {
      --refuse_;
      return false;
    }
    got_.push_back(notification);
    return true;
  }
  std::vector<Notification> Take() {
    std::lock_guard lock(mutex_);
    return std::exchange(got_, {});
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return got_.size();
  }
  void Refuse(int n) {
    std::lock_guard lock(mutex_);
    refuse_ = n;
  }
  int attempts() const {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Notification> got_;
  int refuse_ = 0;
  int attempts_ = 0;
};

config::Receiver WebhookReceiver(std::string name, bool send_resolved = true) {
  config::Receiver r;
  r.name = std::move(name);
  config::WebhookConfig webhook;
  webhook.send_resolved = send_resolved;
  r.webhook_configs.push_back(webhook);
  return r;
}

// A route tree with loaded (already inherited) values.
config::Route Route(std::string receiver, std::vector<std::string> group_by,
                    std::string_view matchers = "") {
  config::Route r;
  r.receiver = std::move(receiver);
  r.group_by = std::move(group_by);
  if (!matchers.empty()) r.matchers = M(matchers);
  r.group_wait = seconds(30);
  r.group_interval = minutes(5);
  r.repeat_interval = hours(1);
  return r;
}

config::Delivery Delivery(config::Route root,
                          const std::vector<std::string>& receivers = {"team"}) {
  config::Delivery d;
  d.route = std::move(root);
  for (auto& name : receivers) d.receivers.push_back(WebhookReceiver(name));
  return d;
}

Enrichment TrivialEnricher(const Alert& alert) {
  Enrichment e;
  e.summary = "playbook for " + std::string(alert.Name());
  e.actions = {"look at " + std::string(alert.Label("instance"))};
  return e;
}

Alert Firing(std::string_view name, std::string_view instance, int64_t starts_at,
             int64_t ends_at = kNoTime) {
  Alert a;
  a.labels = L({{"alertname", std::string(name).c_str()},
                {"instance", std::string(instance).c_str()},
                {"severity", "warning"}});
  a.annotations = L({{"summary", "something is wrong"}});
  a.starts_at_ms = starts_at;
  a.ends_at_ms = ends_at;
  return a;
}

Alert Resolved(Alert a, int64_t ends_at) {
  a.ends_at_ms = ends_at;
  return a;
}

// A notification in one line: "receiver group_key firing alerts | resolved alerts", each part
// sorted by name (the order within a part is checked on its own).
std::string Show(const Notification& n) {
  std::vector<std::string> parts[2];
  for (const auto& a : n.alerts) {
    parts[a.status == Status::kFiring ? 0 : 1].push_back(std::string(a.alert.Name()) + "/" +
                                                         std::string(a.alert.Label("instance")));
  }
  std::string out = n.receiver + " " + n.group_key + " ";
  for (int i = 0; i < 2; ++i) {
    std::sort(parts[i].begin(), parts[i].end());
    for (size_t j = 0; j < parts[i].size(); ++j) out += (j > 0 ? "," : "") + parts[i][j];
    if (i == 0) out += " | ";
  }
  return out;
}

std::vector<std::string> ShowAll(const std::vector<Notification>& notifications) {
  std::vector<std::string> out;
  out.reserve(notifications.size());
  for (const auto& n : notifications) out.push_back(Show(n));
  return out;
}

double Value(prometheus::Registry& registry, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : metric.label) found = found || (l.name == k && l.value == v);
        match = match && found;
      }
      if (!match) continue;
      if (family.type == prometheus::MetricType::Counter) return metric.counter.value;
      return metric.gauge.value;
    }
  }
  return -1;
}

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherOptions Options(std::string state_dir = "") {
    DispatcherOptions o;
    o.sink = &sink_;
    o.registry = &registry_;
    o.now = [this] { return now_.load(); };
    o.external_url = "http://sidecar:9188";
    o.state_dir = std::move(state_dir);
    return o;
  }
  std::unique_ptr<Dispatcher> Make(const config::Delivery& delivery, std::string state_dir = "") {
    return std::make_unique<Dispatcher>(Options(std::move(state_dir)), delivery, TrivialEnricher);
  }
  // Moves the clock and runs what is due.
  std::vector<std::string> At(Dispatcher& d, int64_t t) {
    now_ = t;
    d.Tick();
    return ShowAll(sink_.Take());
  }

  std::atomic<int64_t> now_{kT0};
  RecordingSink sink_;
  prometheus::Registry registry_;
};

using V = std::vector<std::string>;

TEST_F(DispatcherTest, GroupsByLabelsAfterGroupWait) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  d->Send({Firing("A", "i1", kT0), Firing("A", "i2", kT0), Firing("B", "i1", kT0)});
  EXPECT_EQ(At(*d, kT0 + 29 * kS), V{});
  EXPECT_EQ(At(*d, kT0 + 30 * kS),
            (V{R"(team {}:{alertname="A"} A/i1,A/i2 | )", R"(team {}:{alertname="B"} B/i1 | )"}));
  EXPECT_EQ(Value(registry_, "codebot_exporter_alert_groups"), 2);
  EXPECT_EQ(
      Value(registry_, "codebot_exporter_dispatcher_notifications_total", {{"receiver", "team"}}),
      2);
}

TEST_F(DispatcherTest, GroupByAllGivesEveryAlertItsGroup) {
  config::Route root = Route("team", {});
  root.group_by_all = true;
  auto d = Make(Delivery(root));
  d->Send({Firing("A", "i1", kT0), Firing("A", "i2", kT0)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS),
            (V{R"(team {}:{alertname="A", instance="i1", severity="warning"} A/i1 | )",
               R"(team {}:{alertname="A", instance="i2", severity="warning"} A/i2 | )"}));
}

TEST_F(DispatcherTest, NoGroupByPutsEverythingInOneGroup) {
  auto d = Make(Delivery(Route("team", {})));
  d->Send({Firing("A", "i1", kT0), Firing("B", "i2", kT0)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{"team {}:{} A/i1,B/i2 | "});
}

// Alertmanager's timers and dedup stage, step by step (group_wait 30s, group_interval 5m,
// repeat_interval 1h): flushes happen at 30s and then every 5m after.
TEST_F(DispatcherTest, TimersAndDedupAsAlertmanagerDecides) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  const std::string g = R"(team {}:{alertname="A"} )";
  const Alert a1 = Firing("A", "i1", kT0);
  const Alert a2 = Firing("A", "i2", kT0 + kM);
  struct Step {
    int64_t t;
    std::vector<Alert> send;
    V expect;
    const char* why;
  };
  const int64_t first = kT0 + 30 * kS;
  const std::vector<Step> steps = {
      {kT0, {a1}, {}, "a new group waits group_wait"},
      {first - 1, {}, {}, "not before group_wait"},
      {first, {}, {g + "A/i1 | "}, "first flush after group_wait"},
      {kT0 + kM, {a2}, {}, "a new alert in a flushed group doesn't notify at once"},
      {first + 5 * kM - 1, {}, {}, "nor before the next group_interval"},
      {first + 5 * kM, {}, {g + "A/i1,A/i2 | "}, "it notifies at the next group_interval"},
      {first + 10 * kM, {}, {}, "unchanged: nothing"},
      {first + 55 * kM, {}, {}, "unchanged, repeat_interval not elapsed"},
      {first + 65 * kM, {}, {g + "A/i1,A/i2 | "}, "repeat_interval elapsed: repeated"},
      {first + 66 * kM, {Resolved(a2, first + 66 * kM)}, {}, "a resolution waits too"},
      {first + 70 * kM, {}, {g + "A/i1 | A/i2"}, "the resolution at the next group_interval"},
      {first + 75 * kM, {}, {}, "the resolved alert left the group once notified"},
      {first + 76 * kM, {Resolved(a1, first + 76 * kM)}, {}, "the last alert resolves"},
      {first + 80 * kM, {}, {g + " | A/i1"}, "all resolved: notified"},
      {first + 85 * kM, {}, {}, "and the group is gone"},
  };
  for (const auto& step : steps) {
    now_ = step.t;
    if (!step.send.empty()) d->Send(step.send);
    EXPECT_EQ(At(*d, step.t), step.expect) << step.why;
  }
  EXPECT_TRUE(d->Groups().empty());
  EXPECT_EQ(Value(registry_, "codebot_exporter_alert_groups"), 0);
}

TEST_F(DispatcherTest, AnAlertOlderThanGroupWaitIsNotifiedAtOnce) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  d->Send({Firing("A", "i1", kT0 - 60 * kM)});
  EXPECT_EQ(At(*d, kT0), V{R"(team {}:{alertname="A"} A/i1 | )"});
}

TEST_F(DispatcherTest, FiredAndResolvedWithinGroupWaitNotifiesNothing) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  d->Send({Firing("A", "i1", kT0)});
  now_ = kT0 + 10 * kS;
  d->Send({Resolved(Firing("A", "i1", kT0), kT0 + 10 * kS)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{});
  EXPECT_TRUE(d->Groups().empty());
}

TEST_F(DispatcherTest, AnAlertWhoseEndsAtPassesWithoutRefreshResolves) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  // The rule manager sends firing alerts valid for 4 resend intervals.
  d->Send({Firing("A", "i1", kT0, kT0 + 4 * kM)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{R"(team {}:{alertname="A"} A/i1 | )"});
  // A refresh keeps it firing past its first endsAt.
  now_ = kT0 + 3 * kM;
  d->Send({Firing("A", "i1", kT0, kT0 + 7 * kM)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 5 * kM), V{});
  // No refresh after that: at the flush after 7m it is resolved, with its endsAt.
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 10 * kM), V{R"(team {}:{alertname="A"}  | A/i1)"});
  auto got = d->GetAlert(Firing("A", "i1", kT0).Fingerprint());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->ends_at_ms, kT0 + 7 * kM);
}

TEST_F(DispatcherTest, NotificationCarriesAlertmanagersData) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  Alert a = Firing("A", "i1", kT0, kT0 + 10 * kM);
  a.annotations = L({{"summary", "same"}, {"description", "one"}});
  Alert b = Firing("A", "i2", kT0);
  b.annotations = L({{"summary", "same"}, {"description", "two"}});
  Alert c = Firing("A", "i3", kT0);
  c.annotations = L({{"summary", "same"}});
  d->Send({c, a, b});
  ASSERT_EQ(At(*d, kT0 + 30 * kS).size(), 1u);
  now_ = kT0 + kM;
  d->Send({Resolved(c, kT0 + kM)});
  now_ = kT0 + 30 * kS + 5 * kM;
  d->Tick();
  auto got = sink_.Take();
  ASSERT_EQ(got.size(), 1u);
  const Notification& n = got[0];
  EXPECT_EQ(n.receiver, "team");
  EXPECT_EQ(n.group_key, R"({}:{alertname="A"})");
  EXPECT_EQ(n.group_labels, L({{"alertname", "A"}}));
  EXPECT_EQ(n.common_labels, L({{"alertname", "A"}, {"severity", "warning"}}));
  EXPECT_EQ(n.common_annotations, L({{"summary", "same"}}));
  EXPECT_EQ(n.external_url, "http://sidecar:9188");
  EXPECT_EQ(n.created_ms, kT0 + 30 * kS + 5 * kM);
  ASSERT_EQ(n.alerts.size(), 3u);
  // Firing first, each part in fingerprint order; a firing alert's endsAt is not sent.
  EXPECT_EQ(n.alerts[0].status, Status::kFiring);
  EXPECT_EQ(n.alerts[1].status, Status::kFiring);
  EXPECT_LT(n.alerts[0].alert.Fingerprint(), n.alerts[1].alert.Fingerprint());
  EXPECT_EQ(n.alerts[0].alert.ends_at_ms, kNoTime);
  EXPECT_EQ(n.alerts[1].alert.ends_at_ms, kNoTime);
  EXPECT_EQ(n.alerts[2].status, Status::kResolved);
  EXPECT_EQ(n.alerts[2].alert.Label("instance"), "i3");
  EXPECT_EQ(n.alerts[2].alert.ends_at_ms, kT0 + kM);
  // Every alert enriched.
  for (const auto& na : n.alerts) {
    EXPECT_EQ(na.enrichment.summary, "playbook for A");
    EXPECT_EQ(na.enrichment.actions,
              std::vector<std::string>{"look at " + std::string(na.alert.Label("instance"))});
  }
  EXPECT_EQ(n.id.size(), 16u);
}

TEST_F(DispatcherTest, NotificationIdsAreUnique) {
  config::Route root = Route("team", {});
  root.group_by_all = true;
  auto d = Make(Delivery(root));
  std::vector<Alert> alerts;
  alerts.reserve(50);
  for (int i = 0; i < 50; ++i) alerts.push_back(Firing("A", "i" + std::to_string(i), kT0));
  d->Send(alerts);
  now_ = kT0 + 30 * kS;
  d->Tick();
  std::set<std::string> ids;
  for (const auto& n : sink_.Take()) ids.insert(n.id);
  EXPECT_EQ(ids.size(), 50u);
}

TEST_F(DispatcherTest, ContinueAndNestedRoutesNotifyEveryMatchingReceiver) {
  config::Route root = Route("default", {"alertname"});
  config::Route db = Route("db", {"alertname"}, R"(team="db")");
  db.continue_matching = true;
  config::Route db_critical = Route("", {"alertname", "instance"}, R"(severity="critical")");
  db_critical.group_wait = seconds(5);
  db.routes.push_back(db_critical);
  root.routes.push_back(db);
  root.routes.push_back(Route("web", {"alertname"}, R"(team=~"db|web")"));
  auto d = Make(Delivery(root, {"default", "db", "web"}));

  Alert critical = Firing("A", "i1", kT0);
  critical.labels =
      L({{"alertname", "A"}, {"instance", "i1"}, {"severity", "critical"}, {"team", "db"}});
  Alert other = Firing("B", "i1", kT0);
  d->Send({critical, other});
  // The nested route inherits db's receiver and has its own group_wait and grouping.
  EXPECT_EQ(At(*d, kT0 + 5 * kS),
            V{R"(db {}/{team="db"}/{severity="critical"}:{alertname="A", instance="i1"} A/i1 | )"});
  EXPECT_EQ(At(*d, kT0 + 30 * kS), (V{R"(default {}:{alertname="B"} B/i1 | )",
                                      R"(web {}/{team=~"db|web"}:{alertname="A"} A/i1 | )"}));
}

TEST_F(DispatcherTest, InhibitionMutesTargetsWithEqualLabelsAndCountsThem) {
  config::Delivery delivery = Delivery(Route("team", {"alertname"}));
  delivery.inhibit_rules.push_back(
      config::InhibitRule{M(R"(severity="critical")"), M(R"(severity="warning")"), {"service"}});
  auto d = Make(delivery);
  Alert critical = Firing("Errors", "i1", kT0);
  critical.labels = L(
      {{"alertname", "Errors"}, {"instance", "i1"}, {"service", "bot"}, {"severity", "critical"}});
  Alert warning_bot = Firing("Errors", "i2", kT0);
  warning_bot.labels =
      L({{"alertname", "Errors"}, {"instance", "i2"}, {"service", "bot"}, {"severity", "warning"}});
  Alert warning_db = Firing("Errors", "i3", kT0);
  warning_db.labels =
      L({{"alertname", "Errors"}, {"instance", "i3"}, {"service", "db"}, {"severity", "warning"}});
  d->Send({critical, warning_bot, warning_db});
  EXPECT_EQ(Value(registry_, "codebot_exporter_alerts", {{"state", "suppressed"}}), 1);
  EXPECT_EQ(Value(registry_, "codebot_exporter_alerts", {{"state", "active"}}), 2);
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{R"(team {}:{alertname="Errors"} Errors/i1,Errors/i3 | )"});
  // The source resolves: the muted alert is news now, at the next interval.
  now_ = kT0 + kM;
  d->Send({Resolved(critical, kT0 + kM)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 5 * kM),
            V{R"(team {}:{alertname="Errors"} Errors/i2,Errors/i3 | Errors/i1)"});
  EXPECT_EQ(Value(registry_, "codebot_exporter_alerts", {{"state", "suppressed"}}), 0);
}

TEST_F(DispatcherTest, AlertsMatchingBothSidesDoNotInhibitThemselves) {
  config::Delivery delivery = Delivery(Route("team", {"alertname"}));
  delivery.inhibit_rules.push_back(
      config::InhibitRule{M(R"(alertname="A")"), M(R"(alertname="A")"), {}});
  auto d = Make(delivery);
  d->Send({Firing("A", "i1", kT0), Firing("A", "i2", kT0)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{R"(team {}:{alertname="A"} A/i1,A/i2 | )"});
  EXPECT_EQ(Value(registry_, "codebot_exporter_alerts", {{"state", "suppressed"}}), 0);
}

TEST_F(DispatcherTest, AStaleFiringCopyAfterTheResolutionIsIgnored) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  const Alert a = Firing("A", "i1", kT0);
  d->Send({a});
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{R"(team {}:{alertname="A"} A/i1 | )"});
  now_ = kT0 + kM;
  d->Send({Resolved(a, kT0 + kM)});
  // An HA peer (or a retry) sends the firing copy from before the resolution
  // (alertmanager#4008): same startsAt, endsAt in the future.
  now_ = kT0 + 2 * kM;
  d->Send({Firing("A", "i1", kT0, kT0 + 10 * kM)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 5 * kM), V{R"(team {}:{alertname="A"}  | A/i1)"});
  now_ = kT0 + 6 * kM;
  d->Send({Firing("A", "i1", kT0, kT0 + 10 * kM)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 10 * kM), V{});
  EXPECT_TRUE(d->GetAlert(a.Fingerprint())->Resolved(now_));
  // A new incident of the same alert (a later startsAt) does fire.
  now_ = kT0 + 20 * kM;
  d->Send({Firing("A", "i1", kT0 + 20 * kM)});
  EXPECT_EQ(At(*d, kT0 + 20 * kM + 30 * kS), V{R"(team {}:{alertname="A"} A/i1 | )"});
}

TEST_F(DispatcherTest, ResentResolutionsDoNotNotifyAgain) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  const Alert a = Firing("A", "i1", kT0);
  const Alert b = Firing("A", "i2", kT0);
  d->Send({a, b});
  EXPECT_EQ(At(*d, kT0 + 30 * kS).size(), 1u);
  now_ = kT0 + kM;
  d->Send({Resolved(a, kT0 + kM), b});
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 5 * kM), V{R"(team {}:{alertname="A"} A/i2 | A/i1)"});
  // Prometheus resends the resolution for a while: it must not come back into the group.
  for (int i = 0; i < 3; ++i) {
    now_ = kT0 + (7 + i) * kM;
    d->Send({Resolved(a, kT0 + kM), b});
  }
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 10 * kM), V{});
}

TEST_F(DispatcherTest, AnOutboxThatRefusesGetsTheNotificationAgainAndNothingIsRecorded) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  d->Send({Firing("A", "i1", kT0)});
  sink_.Refuse(2);
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{});
  ASSERT_EQ(d->Groups().size(), 1u);
  EXPECT_FALSE(d->Groups()[0].notified.has_value());
  EXPECT_EQ(Value(registry_, "codebot_exporter_dispatcher_enqueue_failures_total",
                  {{"receiver", "team"}}),
            1);
  // Tried again after enqueue_retry (10s), not a whole group_interval later.
  EXPECT_EQ(At(*d, kT0 + 39 * kS), V{});
  EXPECT_EQ(At(*d, kT0 + 40 * kS), V{});  // refused again
  EXPECT_EQ(At(*d, kT0 + 50 * kS), V{R"(team {}:{alertname="A"} A/i1 | )"});
  EXPECT_EQ(sink_.attempts(), 3);
  EXPECT_TRUE(d->Groups()[0].notified.has_value());
  // Recorded now: the next flush has nothing to say.
  EXPECT_EQ(At(*d, kT0 + 50 * kS + 5 * kM), V{});

  // A refused resolution keeps the resolved alert in the group until it is queued.
  now_ = kT0 + 6 * kM;
  d->Send({Resolved(Firing("A", "i1", kT0), kT0 + 6 * kM)});
  sink_.Refuse(1);
  EXPECT_EQ(At(*d, kT0 + 50 * kS + 10 * kM), V{});
  EXPECT_EQ(d->Groups().size(), 1u);
  EXPECT_EQ(At(*d, kT0 + 60 * kS + 10 * kM), V{R"(team {}:{alertname="A"}  | A/i1)"});
  EXPECT_TRUE(d->Groups().empty());
}

TEST_F(DispatcherTest, InvalidAlertsAreDroppedAndCounted) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  Alert no_labels;
  no_labels.starts_at_ms = kT0;
  Alert bad_name = Firing("A", "i1", kT0);
  bad_name.labels.push_back(Label{"bad-name", "x"});
  Alert backwards = Firing("A", "i2", kT0, kT0 - 1);
  Alert empty_values;
  empty_values.labels = L({{"alertname", ""}});
  d->Send({no_labels, bad_name, backwards, empty_values, Firing("A", "i3", kT0)});
  EXPECT_EQ(Value(registry_, "codebot_exporter_alerts_invalid_total", {{"reason", "no_labels"}}),
            2);
  EXPECT_EQ(
      Value(registry_, "codebot_exporter_alerts_invalid_total", {{"reason", "invalid_label_name"}}),
      1);
  EXPECT_EQ(
      Value(registry_, "codebot_exporter_alerts_invalid_total", {{"reason", "ends_before_starts"}}),
      1);
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{R"(team {}:{alertname="A"} A/i3 | )"});
}

TEST_F(DispatcherTest, AReceiverWithoutIntegrationsGetsNothing) {
  config::Delivery delivery = Delivery(Route("null", {"alertname"}));
  config::Receiver null;
  null.name = "null";
  delivery.receivers = {null};
  auto d = Make(delivery);
  d->Send({Firing("Watchdog", "i1", kT0)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS), V{});
  EXPECT_EQ(sink_.attempts(), 0);
}

TEST_F(DispatcherTest, SendResolvedOffDoesNotNotifyAResolutionAlone) {
  config::Delivery delivery = Delivery(Route("team", {"alertname"}));
  delivery.receivers = {WebhookReceiver("team", /*send_resolved=*/false)};
  auto d = Make(delivery);
  const Alert a = Firing("A", "i1", kT0);
  const Alert b = Firing("A", "i2", kT0);
  d->Send({a, b});
  EXPECT_EQ(At(*d, kT0 + 30 * kS).size(), 1u);
  now_ = kT0 + kM;
  d->Send({Resolved(a, kT0 + kM)});
  // One of two resolved: not news for a receiver that doesn't send resolutions.
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 5 * kM), V{});
  // All resolved: notified anyway, as Alertmanager does (the integration drops it).
  now_ = kT0 + 6 * kM;
  d->Send({Resolved(b, kT0 + 6 * kM)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 10 * kM), V{R"(team {}:{alertname="A"}  | A/i2)"});
}

TEST_F(DispatcherTest, StateSurvivesARestartAndTheResolutionIsNotLost) {
  TempDir dir;
  const config::Delivery delivery = Delivery(Route("team", {"alertname"}));
  const Alert a = Firing("A", "i1", kT0, kT0 + 4 * kM);
  {
    auto d = Make(delivery, dir.path());
    d->Send({a, Firing("B", "i1", kT0, kT0 + 4 * kM)});
    EXPECT_EQ(At(*d, kT0 + 30 * kS).size(), 2u);
    // B resolves before the restart but its resolution isn't flushed yet.
    now_ = kT0 + kM;
    d->Send({Resolved(Firing("B", "i1", kT0), kT0 + kM)});
  }  // killed here: what it flushed last is on disk
  ASSERT_TRUE(std::filesystem::exists(dir.path() + "/dispatcher_state.json"));

  now_ = kT0 + 2 * kM;
  auto d = Make(delivery, dir.path());
  ASSERT_EQ(d->Groups().size(), 2u);
  // What was notified is not notified again after the restart.
  EXPECT_EQ(At(*d, kT0 + 2 * kM + 30 * kS), V{R"(team {}:{alertname="B"}  | B/i1)"});
  // Nothing refreshes A: once its endsAt has passed it resolves and that is notified.
  EXPECT_EQ(At(*d, kT0 + 2 * kM + 30 * kS + 5 * kM), V{R"(team {}:{alertname="A"}  | A/i1)"});
  EXPECT_TRUE(d->Groups().empty());
}

TEST_F(DispatcherTest, ARestartDoesNotRepeatAFiringGroupThatIsRefreshed) {
  TempDir dir;
  const config::Delivery delivery = Delivery(Route("team", {"alertname"}));
  {
    auto d = Make(delivery, dir.path());
    d->Send({Firing("A", "i1", kT0, kT0 + 4 * kM)});
    EXPECT_EQ(At(*d, kT0 + 30 * kS).size(), 1u);
  }
  // Down for longer than the alert's endsAt; the rule manager refreshes it within group_wait.
  now_ = kT0 + 10 * kM;
  auto d = Make(delivery, dir.path());
  d->Send({Firing("A", "i1", kT0, kT0 + 14 * kM)});
  EXPECT_EQ(At(*d, kT0 + 10 * kM + 30 * kS), V{});
  EXPECT_EQ(d->Groups().size(), 1u);
}

TEST_F(DispatcherTest, PersistMakesAcceptedAlertsDurableBeforeTheFirstFlush) {
  TempDir dir;
  const config::Delivery delivery = Delivery(Route("team", {"alertname"}));
  auto d = Make(delivery, dir.path());
  // As POST /alertmanager hands them over: firing with no endsAt.
  d->Send({Firing("A", "i1", kT0)});
  StateFile file(dir.path());
  std::string error;
  auto before = file.Load(&error);
  ASSERT_TRUE(before.has_value()) << error;
  EXPECT_TRUE(before->alerts.empty());
  ASSERT_TRUE(d->Persist());
  auto after = file.Load(&error);
  ASSERT_TRUE(after.has_value()) << error;
  ASSERT_EQ(after->alerts.size(), 1u);
  EXPECT_EQ(after->alerts[0].alert.Label("instance"), "i1");
  ASSERT_EQ(after->groups.size(), 1u);
  EXPECT_FALSE(after->groups[0].notified.has_value());
  // A second process started from that state (the first one killed) notifies the group.
  now_ = kT0 + 10 * kS;
  RecordingSink other_sink;
  DispatcherOptions options = Options(dir.path());
  options.sink = &other_sink;
  options.registry = nullptr;
  Dispatcher restarted(options, delivery, TrivialEnricher);
  now_ = kT0 + 40 * kS;
  restarted.Tick();
  EXPECT_EQ(ShowAll(other_sink.Take()), V{R"(team {}:{alertname="A"} A/i1 | )"});
}

TEST_F(DispatcherTest, LogLinesAboutANotificationCarryItsId) {
  std::vector<std::string> lines;
  log::SetCaptureForTesting([&](std::string_view line) { lines.emplace_back(line); });
  auto d = Make(Delivery(Route("team", {"alertname"})));
  d->Send({Firing("A", "i1", kT0)});
  now_ = kT0 + 30 * kS;
  d->Tick();
  log::SetCaptureForTesting(nullptr);
  auto got = sink_.Take();
  ASSERT_EQ(got.size(), 1u);
  bool found = false;
  for (const auto& line : lines) {
    if (line.find("notification queued") == std::string::npos) continue;
    found = true;
    EXPECT_NE(line.find(got[0].id), std::string::npos) << line;
    // Annotations never reach a log line.
    EXPECT_EQ(line.find("something is wrong"), std::string::npos) << line;
  }
  EXPECT_TRUE(found);
}

TEST_F(DispatcherTest, CorruptStateIsSetAsideAndTheDispatcherStartsEmpty) {
  TempDir dir;
  const std::string path = dir.path() + "/dispatcher_state.json";
  {
    std::ofstream out(path);
    out << R"({"version":1,"alerts":[{"labels":)";  // cut short by a crash of the disk
  }
  std::vector<std::string> lines;
  log::SetCaptureForTesting([&](std::string_view line) { lines.emplace_back(line); });
  auto d = Make(Delivery(Route("team", {"alertname"})), dir.path());
  log::SetCaptureForTesting(nullptr);
  EXPECT_TRUE(d->Groups().empty());
  EXPECT_TRUE(std::filesystem::exists(path + ".corrupt"));
  EXPECT_EQ(
      Value(registry_, "codebot_exporter_dispatcher_state_errors_total", {{"operation", "read"}}),
      1);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("dispatcher state unreadable"), std::string::npos);
  // And it works, writing a good state again.
  d->Send({Firing("A", "i1", kT0)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS).size(), 1u);
  d.reset();
  auto again = Make(Delivery(Route("team", {"alertname"})), dir.path());
  EXPECT_EQ(again->Groups().size(), 1u);
}

TEST_F(DispatcherTest, AnUnwritableStateDirIsCountedNotFatal) {
  TempDir dir;
  const std::string file = dir.path() + "/not-a-dir";
  { std::ofstream(file) << "x"; }
  auto d = Make(Delivery(Route("team", {"alertname"})), file);
  d->Send({Firing("A", "i1", kT0)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS).size(), 1u);
  EXPECT_GE(
      Value(registry_, "codebot_exporter_dispatcher_state_errors_total", {{"operation", "write"}}),
      1);
}

Notification FromAlertmanager(const std::vector<std::pair<Alert, Status>>& alerts) {
  Notification n;
  n.receiver = "team";
  n.group_key = R"({}/{team="db"}:{alertname="A"})";
  n.group_labels = L({{"alertname", "A"}});
  n.external_url = "http://alertmanager:9093";
  for (const auto& [a, s] : alerts) {
    NotifiedAlert na{a, s, {}};
    if (s == Status::kFiring) na.alert.ends_at_ms = kNoTime;
    n.alerts.push_back(std::move(na));
  }
  std::stable_sort(n.alerts.begin(), n.alerts.end(), [](const auto& x, const auto& y) {
    if (x.status != y.status) return x.status == Status::kFiring;
    return x.alert.Fingerprint() < y.alert.Fingerprint();
  });
  return n;
}

TEST_F(DispatcherTest, SendToReceiverDeduplicatesARetriedPost) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  const Alert a = Firing("A", "i1", kT0);
  const Alert b = Firing("A", "i2", kT0);
  const Notification firing = FromAlertmanager({{a, Status::kFiring}});
  EXPECT_EQ(d->SendToReceiver(firing), DirectResult::kQueued);
  // Alertmanager retries (timeout on its side) and the HA peer sends the same group.
  now_ = kT0 + 10 * kS;
  EXPECT_EQ(d->SendToReceiver(firing), DirectResult::kDuplicate);
  EXPECT_EQ(d->SendToReceiver(firing), DirectResult::kDuplicate);
  auto got = sink_.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].group_key, R"({}/{team="db"}:{alertname="A"})");
  EXPECT_EQ(got[0].external_url, "http://alertmanager:9093");
  EXPECT_EQ(got[0].alerts[0].enrichment.summary, "playbook for A");
  EXPECT_FALSE(got[0].id.empty());

  // A new alert in the group is news.
  now_ = kT0 + 5 * kM;
  EXPECT_EQ(d->SendToReceiver(FromAlertmanager({{a, Status::kFiring}, {b, Status::kFiring}})),
            DirectResult::kQueued);
  // The resolution of one is news; then a stale retry of the firing group is not, and doesn't
  // bring the resolved alert back.
  now_ = kT0 + 10 * kM;
  EXPECT_EQ(d->SendToReceiver(FromAlertmanager(
                {{b, Status::kFiring}, {Resolved(a, kT0 + 9 * kM), Status::kResolved}})),
            DirectResult::kQueued);
  now_ = kT0 + 10 * kM + 5 * kS;
  EXPECT_EQ(d->SendToReceiver(FromAlertmanager({{a, Status::kFiring}, {b, Status::kFiring}})),
            DirectResult::kDuplicate);
  EXPECT_EQ(ShowAll(sink_.Take()), (V{R"(team {}/{team="db"}:{alertname="A"} A/i1,A/i2 | )",
                                      R"(team {}/{team="db"}:{alertname="A"} A/i2 | A/i1)"}));
  // Alertmanager's repeat (after its repeat_interval, past our window) notifies again.
  now_ = kT0 + 240 * kM;
  EXPECT_EQ(d->SendToReceiver(FromAlertmanager({{b, Status::kFiring}})), DirectResult::kQueued);
  EXPECT_EQ(sink_.size(), 1u);
}

TEST_F(DispatcherTest, SendToReceiverUnknownReceiverAndRefusedOutbox) {
  auto d = Make(Delivery(Route("team", {"alertname"})));
  Notification n = FromAlertmanager({{Firing("A", "i1", kT0), Status::kFiring}});
  n.receiver = "nobody";
  EXPECT_EQ(d->SendToReceiver(n), DirectResult::kUnknownReceiver);
  n.receiver = "team";
  sink_.Refuse(1);
  EXPECT_EQ(d->SendToReceiver(n), DirectResult::kNotQueued);
  // Not recorded: Alertmanager's retry goes through.
  EXPECT_EQ(d->SendToReceiver(n), DirectResult::kQueued);
  EXPECT_EQ(sink_.size(), 1u);
  // A resolved-only group we never saw still notifies: Alertmanager knows it notified the
  // firing one (our record may be lost).
  Notification other =
      FromAlertmanager({{Resolved(Firing("B", "i1", kT0), kT0 + kM), Status::kResolved}});
  other.group_key = R"({}:{alertname="B"})";
  EXPECT_EQ(d->SendToReceiver(other), DirectResult::kQueued);
}

TEST_F(DispatcherTest, SendToReceiverDedupSurvivesARestart) {
  TempDir dir;
  const config::Delivery delivery = Delivery(Route("team", {"alertname"}));
  const Notification firing = FromAlertmanager({{Firing("A", "i1", kT0), Status::kFiring}});
  {
    auto d = Make(delivery, dir.path());
    EXPECT_EQ(d->SendToReceiver(firing), DirectResult::kQueued);
  }
  now_ = kT0 + 30 * kS;
  auto d = Make(delivery, dir.path());
  EXPECT_EQ(d->SendToReceiver(firing), DirectResult::kDuplicate);
  EXPECT_EQ(sink_.size(), 1u);
}

TEST_F(DispatcherTest, ReloadKeepsGroupsWhoseRouteAndLabelsRemain) {
  config::Route root = Route("team", {"alertname"});
  root.routes.push_back(Route("db", {"alertname"}, R"(instance="i2")"));
  const config::Delivery delivery = Delivery(root, {"team", "db"});
  auto d = Make(delivery);
  d->Send({Firing("A", "i1", kT0), Firing("A", "i2", kT0)});
  EXPECT_EQ(At(*d, kT0 + 30 * kS).size(), 2u);

  // The same config again (and a new timer): nothing is notified again.
  config::Delivery same = delivery;
  same.route->repeat_interval = hours(2);
  now_ = kT0 + kM;
  d->Update(same, TrivialEnricher);
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 5 * kM), V{});
  EXPECT_EQ(d->Groups().size(), 2u);

  // The child route now goes to another receiver: that receiver never heard of the group.
  config::Delivery moved = delivery;
  moved.route->routes[0].receiver = "team";
  now_ = kT0 + 6 * kM;
  d->Update(moved, TrivialEnricher);
  ASSERT_EQ(d->Groups().size(), 2u);
  EXPECT_EQ(At(*d, kT0 + 6 * kM + 30 * kS),
            V{R"(team {}/{instance="i2"}:{alertname="A"} A/i2 | )"});

  // The child route is gone: its alert is routed to the root's group, which already notified
  // i1 but not i2.
  config::Delivery gone = delivery;
  gone.route->routes.clear();
  now_ = kT0 + 7 * kM;
  d->Update(gone, TrivialEnricher);
  ASSERT_EQ(d->Groups().size(), 1u);
  EXPECT_EQ(At(*d, kT0 + 30 * kS + 10 * kM), V{R"(team {}:{alertname="A"} A/i1,A/i2 | )"});
}

TEST(DispatcherThread, TheTimerThreadFlushesWithoutTicks) {
  RecordingSink sink;
  DispatcherOptions options;
  options.sink = &sink;
  config::Route root = Route("team", {"alertname"});
  root.group_wait = milliseconds(50);
  root.group_interval = milliseconds(100);
  auto d = std::make_unique<Dispatcher>(options, Delivery(root), TrivialEnricher);
  d->Start();
  const int64_t now = NowUnixMs();
  d->Send({Firing("A", "i1", now)});
  ASSERT_TRUE(WaitFor([&] { return sink.size() >= 1; }, seconds(10)));
  // A resolution is flushed at a later group_interval, still without anyone ticking.
  d->Send({Resolved(Firing("A", "i1", now), NowUnixMs())});
  ASSERT_TRUE(WaitFor([&] { return sink.size() >= 2; }, seconds(10)));
  auto got = sink.Take();
  EXPECT_EQ(got[0].Firing(), 1u);
  EXPECT_EQ(got[1].Resolved(), 1u);
  d->Stop();
  d->Stop();  // idempotent
}

// Rule evaluations, webhook posts and reloads arrive on their own threads while the timer thread
// flushes (run under ThreadSanitizer too): every alert still reaches the outbox.
TEST(DispatcherThread, ConcurrentCallersAndTheTimerThread) {
  RecordingSink sink;
  TempDir dir;
  DispatcherOptions options;
  options.sink = &sink;
  options.state_dir = dir.path();
  config::Route root = Route("team", {"alertname"});
  root.group_wait = milliseconds(20);
  root.group_interval = milliseconds(30);
  const config::Delivery delivery = Delivery(root);
  Dispatcher d(options, delivery, TrivialEnricher);
  d.Start();
  const int64_t start = NowUnixMs();
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        d.Send({Firing("S" + std::to_string(t) + "_" + std::to_string(i), "i1", start)});
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 20; ++i) {
      Notification n;
      n.receiver = "team";
      n.group_key = "{}:{alertname=\"W" + std::to_string(i) + "\"}";
      n.alerts.push_back(
          NotifiedAlert{Firing("W" + std::to_string(i), "i1", start), Status::kFiring, {}});
      EXPECT_EQ(d.SendToReceiver(n), DirectResult::kQueued);
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < 10; ++i) {
      config::Delivery changed = delivery;
      changed.route->repeat_interval = hours(1 + i);
      d.Update(changed, TrivialEnricher);
      EXPECT_TRUE(d.Persist());
    }
  });
  for (auto& t : threads) t.join();
  std::set<std::string> seen;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& n : sink.Take()) {
          for (const auto& a : n.alerts) seen.insert(std::string(a.alert.Name()));
        }
        return seen.size() == 120;
      },
      seconds(20)))
      << seen.size();
  d.Stop();
}

}  // namespace
}  // namespace codebot::alerts
