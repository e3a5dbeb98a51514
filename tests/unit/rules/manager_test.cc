// Groups and the rule manager: results written per rule (so staleness works per rule), alert
// state carried across reloads as Prometheus carries it, the alerts handed to the sink, ALERTS
// published for /metrics, and the self metrics per group.
#include "exporter/rules/manager.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "exporter/rules/rule_file.h"
#include "exporter/store/series_store.h"
#include "tests/support/env.h"
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

class RecordingSink : public alerts::AlertSink {
 public:
  void Send(std::vector<alerts::Alert> alerts) override {
    std::lock_guard lock(mutex);
    for (auto& alert : alerts) sent.push_back(std::move(alert));
  }
  size_t Count() {
    std::lock_guard lock(mutex);
    return sent.size();
  }
  std::mutex mutex;
  std::vector<alerts::Alert> sent;
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
  const alerts::Alert& alert = sink.sent[1];
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

// The selector retention as "matchers -> ms", sorted, for comparisons.
std::vector<std::string> Describe(const store::RetentionPolicy& policy) {
  std::vector<std::string> out;
  for (const auto& selector : policy.selectors) {
    std::string text;
    for (const auto& matcher : selector.matchers) {
      static const char* const kOps[] = {"=", "!=", "=~", "!~"};
      text += matcher.name() + kOps[static_cast<int>(matcher.type())] + matcher.value() + " ";
    }
    out.push_back(text + "-> " + std::to_string(selector.retention_ms / kS) + "s");
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(ManagerTest, RetentionPolicyListsTheSelectorsThatReadFurtherThanTheLookback) {
  manager->Update(Groups(R"(groups:
  - name: slo
    rules:
      - record: r3d
        expr: sum(rate(req_total{status=~"error|timeout"}[3d])) / sum(rate(req_total[1d]))
      - record: r1h
        expr: rate(req_total[1h] offset 30m) + up
      - alert: Sub
        expr: max_over_time(rate(lat_count[5m])[1h:1m] offset 10m) > 1 and on() vector(1)
  - name: other
    rules:
      - alert: Short
        expr: rate(short_total[2m]) > 0 or absent(up{job="bot"})
)"),
                  settings);
  const auto policy = manager->Retention();
  EXPECT_EQ(policy.default_ms, 5 * 60 * kS);
  // Every selector, once, with its longest reach: instant ones read the 5-minute lookback.
  const std::vector<std::string> want = {
      "__name__=lat_count -> 4500s",  // 5m + 1h + 10m, through the subquery
      "__name__=req_total -> 86400s",
      "__name__=short_total -> 120s",
      "__name__=up -> 300s",
      "job=bot __name__=up -> 300s",
      "status=~error|timeout __name__=req_total -> 259200s",
  };
  EXPECT_EQ(Describe(policy), want);
  EXPECT_EQ(manager->RetentionMs(), 3 * 24 * 3600 * kS);

  // A reload without the long rules: nothing beyond the default.
  manager->Update(Groups("groups:\n  - name: g\n    rules:\n      - record: r\n"
                         "        expr: rate(x[5m])\n"),
                  settings);
  EXPECT_EQ(Describe(manager->Retention()), std::vector<std::string>{"__name__=x -> 300s"});
  EXPECT_EQ(manager->RetentionMs(), 5 * 60 * kS);
}

TEST_F(ManagerTest, RetentionPolicyCoversLiteralQueriesOfTemplates) {
  manager->Update(Groups(R"x(groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        labels:
          trend: '{{ with query "rate(tpl_total{a=\"b\"}[2h])" }}{{ . | first | value }}{{ end }}'
        annotations:
          summary: '{{ "sum(rate(piped_total[1h]))" | query | first | value | humanize }}'
          description: '{{ range query `changes(raw_total[90m])` }}{{ .Value }}{{ end }} {{ $value }}'
)x"),
                  settings);
  const std::vector<std::string> want = {"__name__=piped_total -> 3600s",
                                         "__name__=raw_total -> 5400s", "__name__=up -> 300s",
                                         "a=b __name__=tpl_total -> 7200s"};
  EXPECT_EQ(Describe(manager->Retention()), want);
  EXPECT_EQ(manager->RetentionMs(), 2 * 3600 * kS);

  // A query built at run time reads who knows what: every series keeps the longest lookback.
  manager->Update(Groups(R"x(groups:
  - name: g
    rules:
      - record: r
        expr: rate(x[1h])
      - alert: A
        expr: up == 0
        annotations:
          summary: '{{ query (printf "y{instance=%q}" $labels.instance) | first | value }}'
)x"),
                  settings);
  EXPECT_TRUE(manager->Retention().selectors.empty());
  EXPECT_EQ(manager->Retention().default_ms, 3600 * kS);
}

// The shipped rules over the real store: the SLO series keep three days, the rest of what the
// bot exports keeps the lookback, which is what keeps the sidecar small.
TEST_F(ManagerTest, ShippedRulesKeepOnlyTheSloSeriesForDays) {
  manager->Update(LoadRuleFiles({testing::SourceDir() + "/rules/alerts.yml"}), settings);
  prometheus::Registry store_registry;
  int64_t now = 1'700'000'000'000;
  store::SeriesStoreOptions options;
  options.clock = [&now] { return now; };
  store::SeriesStore store(store_registry, options);
  store.SetRetention(manager->Retention());
  EXPECT_EQ(store.retention_ms(), manager->RetentionMs());
  EXPECT_GE(manager->RetentionMs(), 3 * 24 * 3600 * kS);

  const auto sample = [](std::string name, Labels labels) {
    Sample s;
    s.name = std::move(name);
    s.labels = std::move(labels);
    s.value = 1;
    return s;
  };
  Family family;
  family.samples = {
      sample("codebot_requests_total", {{"operation", "sync"}, {"status", "error"}}),
      sample("codebot_requests_total", {{"operation", "sync"}, {"status", "ok"}}),
      sample("codebot_request_duration_seconds_bucket", {{"operation", "sync"}, {"le", "0.5"}}),
      sample("codebot_request_duration_seconds_bucket", {{"operation", "sync"}, {"le", "1"}}),
      sample("codebot_request_duration_seconds_count", {{"operation", "sync"}}),
      sample("codebot_exporter_source_scrapes_total", {{"source", "bot"}}),
      sample("codebot_exporter_source_scrapes_total", {{"source", "github"}}),
      sample("codebot_sync_queue_depth", {}),
      sample("process_resident_memory_bytes", {}),
  };
  collect::Collection collection;
  collection.source = "bot";
  collection.job = "bot";
  collection.instance = "bot:8080";
  collection.families = std::make_shared<const std::vector<Family>>(std::vector<Family>{family});
  collection.timestamp_ms = now;
  store.Publish(collection);
  // requests_total x2, the le="0.5" bucket, _count, the bot's scrapes_total (3 days) and
  // github's (15 minutes: CollectionsFailing reads every source's over 15m).
  EXPECT_EQ(store.GetStats().long_retention_series, 6u);

  const int64_t day = 24 * 3600 * kS;
  const int64_t start = now;
  for (int64_t t = start + 15 * kS; t <= start + 4 * day; t += 15 * kS) {
    collection.timestamp_ms = t;
    now = t;
    store.Publish(collection);
  }
  const auto oldest = [&](const std::string& name, const Labels& labels) {
    std::vector<Matcher> matchers{Matcher(MatchType::kEqual, "__name__", name)};
    for (const auto& label : labels) {
      matchers.emplace_back(MatchType::kEqual, label.name, label.value);
    }
    std::vector<SeriesData> out;
    store.Select(matchers, 0, now, &out);
    return out.size() == 1 ? now - out[0].points.front().t : -1;
  };
  EXPECT_GE(oldest("codebot_requests_total", {{"status", "ok"}}), 3 * day);
  EXPECT_GE(oldest("codebot_request_duration_seconds_bucket", {{"le", "0.5"}}), 3 * day);
  EXPECT_LE(oldest("codebot_request_duration_seconds_bucket", {{"le", "1"}}), 10 * 60 * kS);
  EXPECT_GE(oldest("codebot_exporter_source_scrapes_total", {{"source", "bot"}}), 3 * day);
  EXPECT_GE(oldest("codebot_exporter_source_scrapes_total", {{"source", "github"}}), 15 * 60 * kS);
  EXPECT_LE(oldest("codebot_exporter_source_scrapes_total", {{"source", "github"}}), 30 * 60 * kS);
  EXPECT_LE(oldest("codebot_sync_queue_depth", {}), 10 * 60 * kS);
  EXPECT_LE(oldest("process_resident_memory_bytes", {}), 10 * 60 * kS);
  EXPECT_LE(oldest("up", {}), 10 * 60 * kS);
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
