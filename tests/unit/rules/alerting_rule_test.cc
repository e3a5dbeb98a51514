// The alert state machine step by step against Prometheus 2.42's rules/alerting.go semantics,
// driven by a scripted query function (no PromQL engine involved).
#include "exporter/rules/alerting_rule.h"

#include <gtest/gtest.h>

#include <map>

#include "exporter/rules/recording_rule.h"

namespace codebot::rules {
namespace {

constexpr int64_t kS = 1000;
constexpr int64_t kM = 60 * kS;

// Results by evaluation time; a time not in the script returns an empty vector.
struct Script {
  std::map<int64_t, std::vector<promql::InstantSample>> results;
  std::map<int64_t, std::string> errors;

  QueryFunc Func() {
    return [this](const promql::Expr*, std::string_view, int64_t t) {
      QueryResult result;
      if (auto e = errors.find(t); e != errors.end()) {
        result.ok = false;
        result.error = e->second;
        return result;
      }
      if (auto it = results.find(t); it != results.end()) result.vector = it->second;
      return result;
    };
  }
};

// A stand-in for the template engine: "{{ $labels.NAME }}" and "{{ $value }}" are replaced,
// "FAIL" fails. The real engine is tested against promtool elsewhere.
std::string FakeExpandOne(const std::string& text, const TemplateData& data, int* failures) {
  if (text == "FAIL") {
    ++*failures;
    return "<error expanding template: boom>";
  }
  std::string out = text;
  for (const auto& label : data.labels) {
    const std::string token = "{{ $labels." + label.name + " }}";
    for (size_t pos; (pos = out.find(token)) != std::string::npos;) {
      out.replace(pos, token.size(), label.value);
    }
  }
  const std::string value_token = "{{ $value }}";
  for (size_t pos; (pos = out.find(value_token)) != std::string::npos;) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%g", data.value);
    out.replace(pos, value_token.size(), buffer);
  }
  for (size_t pos; (pos = out.find("{{ if false }}x{{ end }}")) != std::string::npos;) {
    out.erase(pos, 24);
  }
  return out;
}

void FakeExpand(const std::string&, const TemplateData& data, std::vector<std::string>* texts,
                int* failures) {
  for (auto& text : *texts) text = FakeExpandOne(text, data, failures);
}

promql::InstantSample S(Labels labels, double v) { return {std::move(labels), v}; }

RuleSpec AlertSpec(const std::string& name, Duration hold = Duration(0),
                   Duration keep = Duration(0)) {
  RuleSpec spec;
  spec.type = RuleType::kAlerting;
  spec.name = name;
  spec.expr = "up == 0";
  spec.hold = hold;
  spec.keep_firing_for = keep;
  return spec;
}

class AlertingRuleTest : public ::testing::Test {
 protected:
  EvalContext Context() {
    EvalContext context;
    context.query = script.Func();
    context.expand = FakeExpand;
    context.external_labels = {{"cluster", "eu1"}, {"severity", "page"}};
    context.external_url = "http://prom.example:9090/";
    return context;
  }

  EvalOutput Eval(AlertingRule& rule, int64_t t, int64_t limit = 0) {
    return rule.Eval(t, Context(), limit);
  }

  static const ActiveAlert* Find(const std::vector<ActiveAlert>& alerts,
                                 std::string_view instance) {
    for (const auto& alert : alerts) {
      if (LabelValue(alert.labels, "instance") == instance) return &alert;
    }
    return nullptr;
  }

  Script script;
  const Labels down_ = {{"__name__", "up"}, {"instance", "a:1"}, {"job", "bot"}};
};

TEST_F(AlertingRuleTest, ForZeroFiresAtTheFirstEvaluation) {
  AlertingRule rule(AlertSpec("Down"));
  script.results[0] = {S(down_, 0)};
  EvalOutput out = Eval(rule, 0);
  ASSERT_TRUE(out.ok) << out.error;
  auto alerts = rule.Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].active_at_ms, 0);
  EXPECT_EQ(alerts[0].fired_at_ms, 0);
  const Labels expected = {{"alertname", "Down"}, {"instance", "a:1"}, {"job", "bot"}};
  EXPECT_EQ(alerts[0].labels, expected);
}

TEST_F(AlertingRuleTest, ForCountsFromTheFirstEvaluationThatReturnedTheAlert) {
  AlertingRule rule(AlertSpec("Down", std::chrono::seconds(30)));
  for (int64_t t = 0; t <= 60 * kS; t += 15 * kS) script.results[t] = {S(down_, 0)};

  Eval(rule, 0);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kPending);
  EXPECT_EQ(rule.State(), AlertState::kPending);
  Eval(rule, 15 * kS);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kPending);
  Eval(rule, 30 * kS);  // exactly `for` after ActiveAt: fires
  auto alerts = rule.Alerts();
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].active_at_ms, 0);
  EXPECT_EQ(alerts[0].fired_at_ms, 30 * kS);
  EXPECT_EQ(rule.State(), AlertState::kFiring);
}

TEST_F(AlertingRuleTest, PendingAlertThatVanishesIsDroppedWithoutResolution) {
  AlertingRule rule(AlertSpec("Down", std::chrono::minutes(1)));
  script.results[0] = {S(down_, 0)};
  Eval(rule, 0);
  ASSERT_EQ(rule.Alerts().size(), 1u);
  Eval(rule, 15 * kS);
  EXPECT_TRUE(rule.Alerts().empty());
  // It starts over when it comes back: ActiveAt is the new first evaluation.
  script.results[30 * kS] = {S(down_, 0)};
  Eval(rule, 30 * kS);
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].active_at_ms, 30 * kS);
}

TEST_F(AlertingRuleTest, ResolvedAlertIsKeptFifteenMinutesThenDropped) {
  AlertingRule rule(AlertSpec("Down"));
  script.results[0] = {S(down_, 0)};
  Eval(rule, 0);
  EvalOutput out = Eval(rule, 15 * kS);
  EXPECT_TRUE(out.samples.empty()) << "no ALERTS sample for a resolved alert";
  auto alerts = rule.Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kInactive);
  EXPECT_EQ(alerts[0].resolved_at_ms, 15 * kS);
  EXPECT_TRUE(rule.ActiveAlerts().empty());
  EXPECT_EQ(rule.State(), AlertState::kInactive);

  Eval(rule, 15 * kS + 15 * kM);  // exactly 15m after: still kept
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].resolved_at_ms, 15 * kS) << "the resolution time does not move";
  Eval(rule, 15 * kS + 15 * kM + 1);
  EXPECT_TRUE(rule.Alerts().empty());
}

TEST_F(AlertingRuleTest, ResolvedAlertThatReturnsStartsPendingAgain) {
  AlertingRule rule(AlertSpec("Down", std::chrono::seconds(30)));
  for (int64_t t : {0 * kS, 15 * kS, 30 * kS, 60 * kS}) script.results[t] = {S(down_, 0)};
  Eval(rule, 0);
  Eval(rule, 15 * kS);
  Eval(rule, 30 * kS);
  ASSERT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
  Eval(rule, 45 * kS);
  ASSERT_EQ(rule.Alerts()[0].state, AlertState::kInactive);
  Eval(rule, 60 * kS);
  auto alerts = rule.Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kPending);
  EXPECT_EQ(alerts[0].active_at_ms, 60 * kS);
  EXPECT_EQ(alerts[0].resolved_at_ms, kNoTime);
}

TEST_F(AlertingRuleTest, KeepFiringForCountsFromTheFirstEvaluationWithoutTheAlert) {
  AlertingRule rule(AlertSpec("Low", Duration(0), std::chrono::minutes(2)));
  script.results[0] = {S(down_, 0)};
  Eval(rule, 0);
  ASSERT_EQ(rule.Alerts()[0].state, AlertState::kFiring);

  // Gone at 1m: keeps firing, ALERTS still written with the last value.
  EvalOutput out = Eval(rule, 1 * kM);
  auto alerts = rule.Alerts();
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].keep_firing_since_ms, 1 * kM);
  EXPECT_EQ(out.samples.size(), 2u);
  Eval(rule, 2 * kM);
  Eval(rule, 2 * kM + 59 * kS);  // 1m59s after: t - since < 2m
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
  Eval(rule, 3 * kM);  // exactly 2m after the first evaluation without it: resolved
  alerts = rule.Alerts();
  EXPECT_EQ(alerts[0].state, AlertState::kInactive);
  EXPECT_EQ(alerts[0].resolved_at_ms, 3 * kM);
}

TEST_F(AlertingRuleTest, KeepFiringForRestartsWhenTheConditionReturns) {
  AlertingRule rule(AlertSpec("Low", Duration(0), std::chrono::minutes(2)));
  script.results[0] = {S(down_, 0)};
  script.results[90 * kS] = {S(down_, 5)};
  Eval(rule, 0);
  Eval(rule, 1 * kM);
  EXPECT_EQ(rule.Alerts()[0].keep_firing_since_ms, 1 * kM);
  Eval(rule, 90 * kS);  // back: the clock resets and the value updates
  auto alerts = rule.Alerts();
  EXPECT_EQ(alerts[0].keep_firing_since_ms, kNoTime);
  EXPECT_EQ(alerts[0].value, 5);
  Eval(rule, 2 * kM);
  Eval(rule, 3 * kM + 59 * kS);  // 1m59s after 2m: still firing
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
  Eval(rule, 4 * kM);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kInactive);
}

TEST_F(AlertingRuleTest, KeepFiringForDoesNotApplyToPendingAlerts) {
  AlertingRule rule(AlertSpec("Low", std::chrono::minutes(5), std::chrono::minutes(2)));
  script.results[0] = {S(down_, 0)};
  Eval(rule, 0);
  Eval(rule, 1 * kM);
  EXPECT_TRUE(rule.Alerts().empty());
}

TEST_F(AlertingRuleTest, ValueAndAnnotationsFollowTheLatestEvaluation) {
  RuleSpec spec = AlertSpec("Down", std::chrono::minutes(1));
  spec.annotations = {{"summary", "value {{ $value }} on {{ $labels.instance }}"}};
  AlertingRule rule(spec);
  script.results[0] = {S(down_, 1)};
  script.results[30 * kS] = {S(down_, 2)};
  Eval(rule, 0);
  Eval(rule, 30 * kS);
  auto alerts = rule.Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].value, 2);
  EXPECT_EQ(alerts[0].active_at_ms, 0);
  const Labels annotations = {{"summary", "value 2 on a:1"}};
  EXPECT_EQ(alerts[0].annotations, annotations);
}

TEST_F(AlertingRuleTest, LabelsComeFromTheResultAndTheExpandedRuleLabels) {
  RuleSpec spec = AlertSpec("Down");
  spec.labels = {{"empty", "{{ if false }}x{{ end }}"},
                 {"job", "overridden"},
                 {"where", "{{ $labels.instance }}"}};
  spec.annotations = {{"a", "FAIL"}, {"b", ""}};
  AlertingRule rule(spec);
  script.results[0] = {S(down_, 0)};
  EvalOutput out = Eval(rule, 0);
  ASSERT_TRUE(out.ok);
  EXPECT_EQ(out.template_errors, 1);
  auto alerts = rule.Alerts();
  const Labels labels = {
      {"alertname", "Down"}, {"instance", "a:1"}, {"job", "overridden"}, {"where", "a:1"}};
  EXPECT_EQ(alerts[0].labels, labels);
  const Labels annotations = {{"a", "<error expanding template: boom>"}, {"b", ""}};
  EXPECT_EQ(alerts[0].annotations, annotations);

  // ALERTS starts from the rule's labels as written: the empty expansion shows its template.
  ASSERT_EQ(out.samples.size(), 2u);
  const Labels series = {{"__name__", "ALERTS"},   {"alertname", "Down"},
                         {"alertstate", "firing"}, {"empty", "{{ if false }}x{{ end }}"},
                         {"instance", "a:1"},      {"job", "overridden"},
                         {"where", "a:1"}};
  EXPECT_EQ(out.samples[0].labels, series);
  EXPECT_EQ(out.samples[0].v, 1);
  EXPECT_EQ(out.samples[0].t_ms, 0);
}

TEST_F(AlertingRuleTest, AlertsAndForStateSeries) {
  AlertingRule rule(AlertSpec("Down", std::chrono::minutes(1)));
  script.results[90 * kS + 500] = {S(down_, 0)};
  script.results[150 * kS + 500] = {S(down_, 0)};
  EvalOutput out = Eval(rule, 90 * kS + 500);
  ASSERT_EQ(out.samples.size(), 2u);
  EXPECT_EQ(LabelValue(out.samples[0].labels, "alertstate"), "pending");
  EXPECT_EQ(LabelValue(out.samples[1].labels, "__name__"), "ALERTS_FOR_STATE");
  EXPECT_EQ(LabelValue(out.samples[1].labels, "alertstate"), "");
  EXPECT_EQ(out.samples[1].v, 90) << "ActiveAt in whole seconds";
  out = Eval(rule, 150 * kS + 500);
  EXPECT_EQ(LabelValue(out.samples[0].labels, "alertstate"), "firing");
  EXPECT_EQ(out.samples[1].v, 90);
  EXPECT_EQ(out.samples[1].t_ms, 150 * kS + 500);
}

TEST_F(AlertingRuleTest, DuplicateLabelSetsAreAnErrorAndChangeNothing) {
  AlertingRule rule(AlertSpec("Down"));
  Labels other = down_;
  other[0].value = "other_metric";  // differs only in __name__, which alerts drop
  script.results[0] = {S(down_, 0)};
  script.results[15 * kS] = {S(down_, 0), S(other, 0)};
  Eval(rule, 0);
  EvalOutput out = Eval(rule, 15 * kS);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.reason, kReasonDuplicate);
  EXPECT_EQ(out.error,
            "vector contains metrics with the same labelset after applying alert labels");
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
}

TEST_F(AlertingRuleTest, QueryErrorsLeaveTheStateAlone) {
  AlertingRule rule(AlertSpec("Down"));
  script.results[0] = {S(down_, 0)};
  script.errors[15 * kS] = "many-to-many matching not allowed";
  Eval(rule, 0);
  EvalOutput out = Eval(rule, 15 * kS);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.reason, kReasonQuery);
  EXPECT_EQ(out.error, "many-to-many matching not allowed");
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
}

TEST_F(AlertingRuleTest, LimitClearsEveryAlertAndFails) {
  AlertingRule rule(AlertSpec("Down"));
  Labels b = down_;
  b[1].value = "b:1";
  script.results[0] = {S(down_, 0)};
  script.results[15 * kS] = {S(down_, 0), S(b, 0)};
  ASSERT_TRUE(Eval(rule, 0, 1).ok);
  EvalOutput out = Eval(rule, 15 * kS, 1);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.reason, kReasonLimit);
  EXPECT_EQ(out.error, "exceeded limit of 1 with 2 alerts");
  EXPECT_TRUE(out.samples.empty());
  EXPECT_TRUE(rule.Alerts().empty());
}

TEST_F(AlertingRuleTest, ScalarResultsAlertWithoutLabels) {
  AlertingRule rule(AlertSpec("Always"));
  script.results[0] = {S({}, 0.1)};
  ASSERT_TRUE(Eval(rule, 0).ok);
  const Labels labels = {{"alertname", "Always"}};
  EXPECT_EQ(rule.Alerts()[0].labels, labels);
}

TEST_F(AlertingRuleTest, NotificationsFollowPrometheusResendRules) {
  AlertingRule rule(AlertSpec("Down", std::chrono::seconds(15)));
  const EvalContext context = Context();
  const int64_t resend = 1 * kM;
  const int64_t interval = 15 * kS;
  for (int64_t t = 0; t <= 90 * kS; t += 15 * kS) script.results[t] = {S(down_, 0)};

  Eval(rule, 0);
  EXPECT_TRUE(rule.TakeAlertsToSend(0, resend, interval, context).empty()) << "pending";
  Eval(rule, 15 * kS);
  auto sent = rule.TakeAlertsToSend(15 * kS, resend, interval, context);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at_ms, 15 * kS) << "StartsAt is when it fired";
  EXPECT_EQ(sent[0].ends_at_ms, 15 * kS + 4 * resend) << "valid for 4 x max(interval, resend)";
  EXPECT_EQ(LabelValue(sent[0].labels, "cluster"), "eu1") << "external labels are added";
  EXPECT_EQ(LabelValue(sent[0].labels, "severity"), "page");
  EXPECT_EQ(sent[0].generator_url, "http://prom.example:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1");

  for (int64_t t = 30 * kS; t <= 75 * kS; t += 15 * kS) {
    Eval(rule, t);
    EXPECT_TRUE(rule.TakeAlertsToSend(t, resend, interval, context).empty()) << t;
  }
  Eval(rule, 90 * kS);  // more than a minute after the last send
  EXPECT_EQ(rule.TakeAlertsToSend(90 * kS, resend, interval, context).size(), 1u);

  Eval(rule, 105 * kS);  // resolved: sent at once, with EndsAt the resolution time
  sent = rule.TakeAlertsToSend(105 * kS, resend, interval, context);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, 105 * kS);
  EXPECT_TRUE(sent[0].Resolved(105 * kS));
  Eval(rule, 120 * kS);
  EXPECT_TRUE(rule.TakeAlertsToSend(120 * kS, resend, interval, context).empty());
  Eval(rule, 166 * kS);  // the resolution is repeated while it is retained
  EXPECT_EQ(rule.TakeAlertsToSend(166 * kS, resend, interval, context).size(), 1u);
}

TEST_F(AlertingRuleTest, ExternalLabelsNeverOverrideTheAlertsOwn) {
  RuleSpec spec = AlertSpec("Down");
  spec.labels = {{"severity", "warning"}};
  AlertingRule rule(spec);
  script.results[0] = {S(down_, 0)};
  Eval(rule, 0);
  auto sent = rule.TakeAlertsToSend(0, kM, 15 * kS, Context());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(LabelValue(sent[0].labels, "severity"), "warning");
}

TEST(RecordingRule, RenamesAndLabelsTheResult) {
  Script script;
  RuleSpec spec;
  spec.type = RuleType::kRecording;
  spec.name = "job:up:sum";
  spec.expr = "sum by (job) (up)";
  spec.labels = {{"team", "bots"}};
  RecordingRule rule(spec);
  script.results[0] = {S({{"job", "bot"}}, 2), S({{"__name__", "x"}, {"job", "gh"}}, 1)};
  EvalContext context;
  context.query = script.Func();
  EvalOutput out = rule.Eval(0, context, 0);
  ASSERT_TRUE(out.ok);
  ASSERT_EQ(out.samples.size(), 2u);
  const Labels first = {{"__name__", "job:up:sum"}, {"job", "bot"}, {"team", "bots"}};
  EXPECT_EQ(out.samples[0].labels, first);
  EXPECT_EQ(out.samples[0].v, 2);
  EXPECT_EQ(LabelValue(out.samples[1].labels, "__name__"), "job:up:sum");

  EXPECT_FALSE(rule.Eval(0, context, 1).ok);
  EXPECT_EQ(rule.Eval(0, context, 1).error, "exceeded limit of 1 with 2 series");

  script.results[15000] = {S({{"__name__", "a"}, {"job", "x"}}, 1),
                           S({{"__name__", "b"}, {"job", "x"}}, 1)};
  out = rule.Eval(15000, context, 0);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "vector contains metrics with the same labelset after applying rule labels");
}

}  // namespace
}  // namespace codebot::rules
