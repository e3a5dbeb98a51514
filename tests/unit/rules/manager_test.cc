// Groups and the rule manager: results written per rule (so staleness works per rule), alert
// state carried across reloads as Prometheus carries it, the alerts handed to the sink, ALERTS
// published for /metrics, and the self metrics per group.
#include "exporter/rules/manager.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <map>

#include "exporter/rules/rule_file.h"
#include "tests/support/process.h"

namespace codebot::rules {
namespace {

constexpr int64_t kS = 1000;

// What the store would receive, per writer.
class RecordingWriter : public ResultWriter {
 public:
  void Write(const std::string& writer, int64_t t_ms,
             const std::vector<OutputSample>& samples) override {
    std::lock_guard lock(mutex);
    writes[writer].push_back({t_ms, samples});
  }
  void Forget(const std::string& writer) override {
    std::lock_guard lock(mutex);
    forgotten.push_back(writer);
  }
  struct Write_ {
    int64_t t;
    std::vector<OutputSample> samples;
  };
  std::mutex mutex;
  std::map<std::string, std::vector<Write_>> writes;
  std::vector<std::string> forgotten;
};

class RecordingSink : public AlertSink {
 public:
  void Send(std::vector<Alert> alerts) override {
    std::lock_guard lock(mutex);
    for (auto& alert : alerts) sent.push_back(std::move(alert));
  }
  size_t Count() {
    std::lock_guard lock(mutex);
    return sent.size();
  }
  std::mutex mutex;
  std::vector<Alert> sent;
};

class RecordingExposition : public collect::ResultSink {
 public:
  void Publish(const collect::Collection& collection) override {
    std::lock_guard lock(mutex);
    last = collection;
  }
  void Forget(const std::string&) override {}
  std::mutex mutex;
  collect::Collection last;
};

// The query answers by expression text: "down" returns one series while `down` is set.
struct Backend {
  std::atomic<bool> down{true};
  std::atomic<bool> fail{false};
  QueryFunc Func() {
    return [this](const promql::Expr*, std::string_view text, int64_t) {
      QueryResult result;
      if (fail) {
        result.ok = false;
        result.error = "boom";
        return result;
      }
      if (text.find("up == 0") != std::string_view::npos && down) {
        result.vector.push_back({{{"__name__", "up"}, {"instance", "a:1"}, {"job", "bot"}}, 0});
      }
      if (text.find("sum") != std::string_view::npos) {
        result.vector.push_back({{{"job", "bot"}}, 3});
      }
      return result;
    };
  }
};

std::vector<GroupSpec> Groups(const std::string& yaml) {
  RuleFileResult result = ParseRuleText(yaml, "rules.yml");
  EXPECT_TRUE(result.ok()) << ::testing::PrintToString(result.errors);
  return std::move(result.groups);
}

const std::string kRules = R"(groups:
  - name: bot
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: BotDown
        expr: up == 0
        for: 30s
        labels: {severity: critical}
  - name: other
    interval: 1m
    rules:
      - alert: Other
        expr: up == 0 and on() vector(1)
)";

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest() {
    ManagerOptions options;
    options.writer = &writer;
    options.sink = &sink;
    options.exposition = &exposition;
    options.registry = &registry;
    options.query = backend.Func();
    manager = std::make_unique<Manager>(std::move(options));
    manager->SetManualEvaluation();
    settings.evaluation_interval = std::chrono::seconds(15);
    settings.external_labels = {{"cluster", "eu1"}};
    settings.external_url = "http://sidecar:9877";
  }

  const AlertingRule* FindAlerting(const std::string& name) {
    for (const auto& group : manager->Groups()) {
      for (const auto& rule : group->rules()) {
        if (rule->name() == name) return dynamic_cast<const AlertingRule*>(rule.get());
      }
    }
    return nullptr;
  }

  std::optional<double> Metric(const std::string& name, const std::string& group,
                               const std::string& reason = "") {
    for (const auto& family : registry.Collect()) {
      if (family.name != name) continue;
      for (const auto& metric : family.metric) {
        bool group_ok = false;
        bool reason_ok = reason.empty();
        for (const auto& label : metric.label) {
          if (label.name == "rule_group" && label.value == group) group_ok = true;
          if (label.name == "reason" && label.value == reason) reason_ok = true;
        }
        if (group_ok && reason_ok) {
          return family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                                : metric.gauge.value;
        }
      }
    }
    return std::nullopt;
  }

  prometheus::Registry registry;
  RecordingWriter writer;
  RecordingSink sink;
  RecordingExposition exposition;
  Backend backend;
  RuleSettings settings;
  std::unique_ptr<Manager> manager;
};

TEST_F(ManagerTest, EvaluatesGroupsAndWritesEachRuleAsItsOwnWriter) {
  manager->Update(Groups(kRules), settings);
  manager->EvaluateAll(0);
  ASSERT_EQ(writer.writes.size(), 3u);
  const std::string record_writer = "rules.yml;bot;job:up:sum\xff;0";
  ASSERT_TRUE(writer.writes.contains(record_writer));
  const auto& recorded = writer.writes[record_writer][0].samples;
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].labels, (Labels{{"__name__", "job:up:sum"}, {"job", "bot"}}));
  EXPECT_EQ(recorded[0].v, 3);

  const std::string alert_writer =
      "rules.yml;bot;BotDown\xffseverity\xfe"
      "critical\xff;0";
  ASSERT_TRUE(writer.writes.contains(alert_writer));
  const auto& alerts = writer.writes[alert_writer][0].samples;
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(LabelValue(alerts[0].labels, "__name__"), "ALERTS");
  EXPECT_EQ(LabelValue(alerts[0].labels, "alertstate"), "pending");

  // A failing rule writes nothing: its series are left to go stale after the lookback.
  backend.fail = true;
  manager->EvaluateAll(15 * kS);
  EXPECT_EQ(writer.writes[alert_writer].size(), 1u);
  EXPECT_EQ(Metric("codebot_exporter_rule_evaluation_failures_total", "rules.yml;bot", "query"),
            2.0);
  auto status = FindAlerting("BotDown")->Status();
  EXPECT_EQ(status.health, RuleHealth::kErr);
  EXPECT_EQ(status.last_error, "boom");
  backend.fail = false;
  manager->EvaluateAll(30 * kS);
  EXPECT_EQ(FindAlerting("BotDown")->Status().health, RuleHealth::kOk);
}

TEST_F(ManagerTest, AlertsReachTheSinkWithExternalLabelsAndTheExposition) {
  manager->Update(Groups(kRules), settings);
  manager->EvaluateAll(0);
  EXPECT_EQ(sink.Count(), 1u) << "Other fires at once (no for); BotDown is pending";
  manager->EvaluateAll(30 * kS);
  ASSERT_EQ(sink.Count(), 2u);
  const Alert& alert = sink.sent[1];
  EXPECT_EQ(LabelValue(alert.labels, "alertname"), "BotDown");
  EXPECT_EQ(LabelValue(alert.labels, "cluster"), "eu1");
  EXPECT_EQ(alert.starts_at_ms, 30 * kS);
  EXPECT_EQ(alert.generator_url, "http://sidecar:9877/graph?g0.expr=up+%3D%3D+0&g0.tab=1");

  std::lock_guard lock(exposition.mutex);
  EXPECT_EQ(exposition.last.source, "rules");
  EXPECT_TRUE(exposition.last.exposed);
  ASSERT_EQ(exposition.last.families->size(), 2u);
  const Family& family = (*exposition.last.families)[0];
  EXPECT_EQ(family.name, "ALERTS");
  ASSERT_EQ(family.samples.size(), 2u);
  EXPECT_EQ(family.samples[0].labels, (Labels{{"alertname", "BotDown"},
                                              {"alertstate", "firing"},
                                              {"instance", "a:1"},
                                              {"job", "bot"},
                                              {"severity", "critical"}}));
  const Family& for_state = (*exposition.last.families)[1];
  EXPECT_EQ(for_state.name, "ALERTS_FOR_STATE");
  EXPECT_EQ(for_state.samples[0].value, 0) << "ActiveAt of BotDown, in seconds";
}

TEST_F(ManagerTest, ReloadKeepsUnchangedGroupsAndCarriesAlertState) {
  manager->Update(Groups(kRules), settings);
  manager->EvaluateAll(0);
  manager->EvaluateAll(30 * kS);
  ASSERT_EQ(FindAlerting("BotDown")->Alerts()[0].state, AlertState::kFiring);
  const auto before = manager->Groups();

  // Group "bot" changes (a new rule, a new expression for BotDown); group "other" does not.
  std::string changed = kRules;
  changed.replace(changed.find("expr: up == 0\n"), 14, "expr: (up == 0)\n");
  changed.replace(changed.find("  - name: other"), 0,
                  "      - record: extra\n        expr: sum(up)\n");
  manager->Update(Groups(changed), settings);
  const auto after = manager->Groups();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_NE(after[0], before[0]) << "changed group replaced";
  EXPECT_EQ(after[1], before[1]) << "unchanged group kept as it runs";
  const AlertingRule* bot_down = FindAlerting("BotDown");
  ASSERT_EQ(bot_down->Alerts().size(), 1u) << "same name and labels: state carried over";
  EXPECT_EQ(bot_down->Alerts()[0].state, AlertState::kFiring);
  EXPECT_EQ(bot_down->Alerts()[0].active_at_ms, 0);
  EXPECT_TRUE(writer.forgotten.empty());
  EXPECT_EQ(Metric("codebot_exporter_rule_group_rules", "rules.yml;bot"), 3.0);
  EXPECT_EQ(Metric("codebot_exporter_rule_group_iterations_total", "rules.yml;bot"), 2.0)
      << "counters survive the change";

  // New labels make a new rule: its state starts empty; the old rule's series go stale.
  std::string relabelled = changed;
  relabelled.replace(relabelled.find("severity: critical"), 18, "severity: page");
  relabelled.erase(relabelled.find("  - name: other"));
  manager->Update(Groups(relabelled), settings);
  EXPECT_TRUE(FindAlerting("BotDown")->Alerts().empty());
  const std::vector<std::string> forgotten = {
      "rules.yml;bot;BotDown\xffseverity\xfe"
      "critical\xff;0",
      "rules.yml;other;Other\xff;0"};
  EXPECT_EQ(writer.forgotten, forgotten);
  EXPECT_FALSE(Metric("codebot_exporter_rule_group_rules", "rules.yml;other").has_value())
      << "a removed group's metrics go away";
}

TEST_F(ManagerTest, RetentionCoversTheLongestLookback) {
  manager->Update(Groups("groups:\n  - name: g\n    rules:\n      - record: r\n"
                         "        expr: rate(x[1h] offset 10m)\n"),
                  settings);
  EXPECT_EQ(manager->RetentionMs(), (60 + 10) * 60 * kS) << "a range reads back range + offset";
  manager->Update(Groups("groups:\n  - name: g\n    rules:\n      - record: r\n"
                         "        expr: x\n"),
                  settings);
  EXPECT_EQ(manager->RetentionMs(), 5 * 60 * kS);
}

TEST_F(ManagerTest, ReloadOutcomeIsAMetric) {
  auto value = [&] {
    for (const auto& family : registry.Collect()) {
      if (family.name == "codebot_exporter_rules_last_reload_successful") {
        return family.metric[0].gauge.value;
      }
    }
    return -1.0;
  };
  EXPECT_EQ(value(), 1);
  manager->ReportReload(false);
  EXPECT_EQ(value(), 0);
  manager->ReportReload(true);
  EXPECT_EQ(value(), 1);
}

TEST(ManagerThreads, GroupsEvaluateOnTheirOwnSchedule) {
  prometheus::Registry registry;
  RecordingSink sink;
  RecordingWriter writer;
  Backend backend;
  ManagerOptions options;
  options.registry = &registry;
  options.sink = &sink;
  options.writer = &writer;
  options.query = backend.Func();
  Manager manager(std::move(options));
  RuleSettings settings;
  settings.evaluation_interval = std::chrono::milliseconds(100);
  manager.Update(Groups("groups:\n  - name: g\n    rules:\n      - alert: A\n"
                        "        expr: up == 0\n"),
                 settings);
  EXPECT_TRUE(testing::WaitFor([&] { return sink.Count() >= 1; }, std::chrono::seconds(10)));
  manager.Stop();
  const auto group = manager.Groups()[0];
  EXPECT_NE(group->last_evaluation_ms(), kNoTime);
}

}  // namespace
}  // namespace codebot::rules
