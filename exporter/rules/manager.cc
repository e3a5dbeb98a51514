#include "exporter/rules/manager.h"

#include <algorithm>
#include <functional>
#include <string_view>

#include "exporter/core/log.h"
#include "exporter/core/periodic.h"
#include "exporter/core/time.h"
#include "exporter/go/strconv.h"
#include "exporter/rules/templates.h"

namespace codebot::rules {
namespace {

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '$';
}

// The end of the string literal ("..." or `...`) starting at pos, or npos.
size_t LiteralEnd(std::string_view text, size_t pos) {
  const char quote = text[pos];
  for (size_t i = pos + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The PromQL a template hands to `query`, into *queries. False when a `query` call's argument is
// not a plain string literal (`query (printf ...)`, a variable): a query built at run time,
// whose selectors can't be known. Templates are checked when the rule file is loaded; this only
// looks at the tokens around `query` in each {{ action }}.
bool TemplateQueries(std::string_view text, std::vector<std::string>* queries) {
  for (size_t open = text.find("{{"); open != std::string_view::npos;
       open = text.find("{{", open)) {
    // The action's tokens: string literals whole, everything else split at spaces and pipes.
    std::vector<std::string_view> tokens;
    size_t i = open + 2;
    while (i < text.size() && text.compare(i, 2, "}}") != 0) {
      const char c = text[i];
      if (c == '"' || c == '`') {
        const size_t end = LiteralEnd(text, i);
        if (end == std::string_view::npos) return true;  // not a valid template: never runs
        tokens.push_back(text.substr(i, end - i));
        i = end;
      } else if (IsIdentifierChar(c)) {
        size_t end = i;
        while (end < text.size() && IsIdentifierChar(text[end])) ++end;
        tokens.push_back(text.substr(i, end - i));
        i = end;
      } else {
        if (c == '|' || c == '(' || c == ')') tokens.push_back(text.substr(i, 1));
        ++i;
      }
    }
    open = i;
    for (size_t t = 0; t < tokens.size(); ++t) {
      if (tokens[t] != "query") continue;
      // `query "..."`, or `"..." | query`.
      std::string_view literal;
      if (t + 1 < tokens.size() && (tokens[t + 1][0] == '"' || tokens[t + 1][0] == '`')) {
        literal = tokens[t + 1];
      } else if (t >= 2 && tokens[t - 1] == "|" &&
                 (tokens[t - 2][0] == '"' || tokens[t - 2][0] == '`') &&
                 (t == 2 || tokens[t - 3] == "(" || tokens[t - 3] == "|")) {
        literal = tokens[t - 2];
      }
      std::string query;
      if (literal.empty() || !go::Unquote(literal, &query)) return false;
      queries->push_back(std::move(query));
    }
  }
  return true;
}

// What the sample store keeps for these rules (see Manager::Retention); *dynamic is set when a
// template builds a query at run time.
store::RetentionPolicy RetentionOf(const std::vector<GroupSpec>& groups,
                                   const promql::EvalOptions& options, bool* dynamic) {
  store::RetentionPolicy policy;
  policy.default_ms = options.lookback_delta_ms;
  // One entry per distinct selector, with the longest lookback it is read with.
  std::map<std::string, size_t> index;
  const auto add = [&](const promql::Expr& expr) {
    for (auto& selector : promql::SelectorLookbacks(expr, options)) {
      std::string key;
      for (const auto& matcher : selector.matchers) {
        key += std::to_string(static_cast<int>(matcher.type())) + matcher.name() + '\xff' +
               matcher.value() + '\xfe';
      }
      auto [it, added] = index.emplace(std::move(key), policy.selectors.size());
      if (added) {
        policy.selectors.push_back({std::move(selector.matchers), selector.lookback_ms});
      } else {
        auto& known = policy.selectors[it->second].retention_ms;
        known = std::max(known, selector.lookback_ms);
      }
    }
  };
  *dynamic = false;
  for (const auto& group : groups) {
    for (const auto& rule : group.rules) {
      if (rule.query) add(*rule.query);
      if (rule.type != RuleType::kAlerting) continue;  // only alerts' labels are templates
      std::vector<std::string> queries;
      for (const auto* templates : {&rule.labels, &rule.annotations}) {
        for (const auto& label : *templates) {
          if (label.value.find("query") == std::string::npos) continue;
          if (!TemplateQueries(label.value, &queries)) *dynamic = true;
        }
      }
      for (const auto& query : queries) {
        // One that doesn't parse fails when the template runs; it reads nothing.
        if (auto parsed = promql::Parse(query); parsed.ok()) add(*parsed.expr);
      }
    }
  }
  return policy;
}

}  // namespace

struct Manager::Metrics {
  prometheus::Family<prometheus::Gauge>& last_duration;
  prometheus::Family<prometheus::Gauge>& last_timestamp;
  prometheus::Family<prometheus::Gauge>& last_samples;
  prometheus::Family<prometheus::Gauge>& interval;
  prometheus::Family<prometheus::Gauge>& rules;
  prometheus::Family<prometheus::Counter>& iterations;
  prometheus::Family<prometheus::Counter>& missed;
  prometheus::Family<prometheus::Counter>& evaluations;
  prometheus::Family<prometheus::Counter>& failures;
  prometheus::Family<prometheus::Counter>& template_failures;
  prometheus::Family<prometheus::Counter>& alerts_sent;
  prometheus::Gauge& reload_ok;
  prometheus::Gauge& reload_timestamp;
};

// The children of one group (label rule_group="file;name"); removed with the group.
struct Manager::GroupMetrics {
  GroupMetrics(Metrics& m, const std::string& key)
      : families(m),
        labels{{"rule_group", key}},
        last_duration(m.last_duration.Add(labels)),
        last_timestamp(m.last_timestamp.Add(labels)),
        last_samples(m.last_samples.Add(labels)),
        interval(m.interval.Add(labels)),
        rules(m.rules.Add(labels)),
        iterations(m.iterations.Add(labels)),
        missed(m.missed.Add(labels)),
        evaluations(m.evaluations.Add(labels)),
        template_failures(m.template_failures.Add(labels)),
        alerts_sent(m.alerts_sent.Add(labels)) {
    for (auto reason : FailureReasons()) {
      failures.emplace(std::string(reason),
                       &m.failures.Add({{"rule_group", key}, {"reason", std::string(reason)}}));
    }
  }
  ~GroupMetrics() {
    families.last_duration.Remove(&last_duration);
    families.last_timestamp.Remove(&last_timestamp);
    families.last_samples.Remove(&last_samples);
    families.interval.Remove(&interval);
    families.rules.Remove(&rules);
    families.iterations.Remove(&iterations);
    families.missed.Remove(&missed);
    families.evaluations.Remove(&evaluations);
    families.template_failures.Remove(&template_failures);
    families.alerts_sent.Remove(&alerts_sent);
    for (auto& [reason, counter] : failures) families.failures.Remove(counter);
  }
  GroupMetrics(const GroupMetrics&) = delete;
  GroupMetrics& operator=(const GroupMetrics&) = delete;

  Metrics& families;
  std::map<std::string, std::string> labels;
  prometheus::Gauge& last_duration;
  prometheus::Gauge& last_timestamp;
  prometheus::Gauge& last_samples;
  prometheus::Gauge& interval;
  prometheus::Gauge& rules;
  prometheus::Counter& iterations;
  prometheus::Counter& missed;
  prometheus::Counter& evaluations;
  prometheus::Counter& template_failures;
  prometheus::Counter& alerts_sent;
  std::map<std::string, prometheus::Counter*> failures;
  // Last error per rule, so a rule that keeps failing the same way logs one warning.
  std::map<std::string, std::string> last_errors;
  bool templates_failing = false;
};

class Manager::Runner {
 public:
  Runner(Manager* manager, std::shared_ptr<Group> group, std::unique_ptr<GroupMetrics> metrics)
      : manager_(manager),
        group_(std::move(group)),
        metrics_(std::move(metrics)),
        // Each group gets its own offset inside the interval, so that groups don't all evaluate
        // at once, and stays on the same slots across restarts.
        worker_(
            {.interval = group_->interval(),
             .aligned = true,
             .offset = std::chrono::milliseconds(static_cast<int64_t>(
                 std::hash<std::string>{}(group_->Key()) %
                 static_cast<size_t>(std::max<int64_t>(group_->interval().count(), 1))))},
            [this](int64_t slot_ms) { Evaluate(slot_ms); },
            [this](int64_t missed) {
              metrics_->missed.Increment(static_cast<double>(missed));
              metrics_->iterations.Increment(static_cast<double>(missed));
            }) {
    metrics_->interval.Set(ToSeconds(group_->interval()));
    metrics_->rules.Set(static_cast<double>(group_->rules().size()));
  }
  ~Runner() { Stop(); }

  void Start() { worker_.Start(); }
  void Stop() { worker_.Stop(); }

  void Evaluate(int64_t t_ms) { manager_->EvaluateGroup(*group_, *metrics_, t_ms); }

  const std::shared_ptr<Group>& group() const { return group_; }
  // Only after Stop: the worker's thread uses the metrics.
  std::unique_ptr<GroupMetrics> TakeMetrics() { return std::move(metrics_); }

 private:
  Manager* manager_;
  std::shared_ptr<Group> group_;
  std::unique_ptr<GroupMetrics> metrics_;
  PeriodicWorker worker_;  // last: it runs Evaluate, which uses everything above
};

Manager::Manager(ManagerOptions options) : options_(std::move(options)) {
  auto& registry = *options_.registry;
  auto gauge = [&](const char* name, const char* help) -> prometheus::Family<prometheus::Gauge>& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
  };
  auto counter = [&](const char* name,
                     const char* help) -> prometheus::Family<prometheus::Counter>& {
    return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
  };
  auto& reload_ok = gauge("codebot_exporter_rules_last_reload_successful",
                          "1 if the last load of the rule files succeeded, else 0.");
  auto& reload_timestamp = gauge("codebot_exporter_rules_last_reload_success_timestamp_seconds",
                                 "Unix time of the last successful load of the rule files.");
  metrics_ = std::unique_ptr<Metrics>(new Metrics{
      gauge("codebot_exporter_rule_group_last_duration_seconds",
            "Duration of the last evaluation of the rule group."),
      gauge("codebot_exporter_rule_group_last_evaluation_timestamp_seconds",
            "Timestamp of the last evaluation of the rule group."),
      gauge("codebot_exporter_rule_group_last_evaluation_samples",
            "Samples returned by the rules of the group in its last evaluation."),
      gauge("codebot_exporter_rule_group_interval_seconds",
            "Evaluation interval of the rule group."),
      gauge("codebot_exporter_rule_group_rules", "Number of rules in the group."),
      counter("codebot_exporter_rule_group_iterations_total",
              "Scheduled evaluations of the rule group, run or missed."),
      counter("codebot_exporter_rule_group_iterations_missed_total",
              "Evaluations of the rule group skipped because the previous one ran too long."),
      counter("codebot_exporter_rule_evaluations_total", "Rule evaluations."),
      counter("codebot_exporter_rule_evaluation_failures_total",
              "Rule evaluations that failed, by reason (query, duplicate_labelset, limit)."),
      counter("codebot_exporter_rule_template_expansion_failures_total",
              "Label or annotation templates that failed to expand."),
      counter("codebot_exporter_rule_alerts_sent_total",
              "Firing and resolved alerts handed to the notification stage."),
      reload_ok.Add({}), reload_timestamp.Add({})});
  metrics_->reload_ok.Set(1);
}

Manager::~Manager() { Stop(); }

void Manager::Stop() {
  std::vector<std::shared_ptr<Runner>> runners;
  {
    std::lock_guard lock(mutex_);
    runners = runners_;
  }
  for (auto& runner : runners) runner->Stop();
}

void Manager::SetManualEvaluation() { manual_ = true; }

void Manager::ReportReload(bool ok) {
  metrics_->reload_ok.Set(ok ? 1 : 0);
  if (ok) metrics_->reload_timestamp.Set(NowUnixSeconds());
}

std::shared_ptr<const EvalContext> Manager::Context() const {
  std::lock_guard lock(mutex_);
  return context_;
}

void Manager::Update(std::vector<GroupSpec> groups, const RuleSettings& settings) {
  std::lock_guard update_lock(update_mutex_);
  auto context = std::make_shared<EvalContext>();
  context->query = options_.query;
  if (!context->query && options_.storage != nullptr) {
    // Like Prometheus, a subquery without a step uses the global evaluation interval.
    promql::EvalOptions eval_options;
    eval_options.default_subquery_step_ms = settings.evaluation_interval.count();
    context->query = EngineQueryFunc(*options_.storage, eval_options);
  }
  context->expand = options_.expand ? options_.expand : DefaultExpandFunc();
  context->external_labels = settings.external_labels;
  context->external_url = settings.external_url;

  int64_t retention = promql::EvalOptions{}.lookback_delta_ms;
  for (const auto& group : groups) {
    for (const auto& rule : group.rules) {
      if (rule.query) retention = std::max(retention, promql::MaxLookbackMs(*rule.query));
    }
  }
  bool dynamic_queries = false;
  store::RetentionPolicy retention_policy =
      RetentionOf(groups, promql::EvalOptions{}, &dynamic_queries);
  for (const auto& selector : retention_policy.selectors) {
    retention = std::max(retention, selector.retention_ms);
  }
  if (dynamic_queries) {
    // Its selectors are unknown until it runs: everything is kept as long as the rules read
    // anything, as before retention per selector.
    retention_policy = store::RetentionPolicy{retention, {}};
    log::Info(
        "a rule template builds its query at run time: every series is kept for the "
        "longest lookback of the rules",
        {{"retention", FormatDuration(std::chrono::milliseconds(retention))}});
  }

  std::map<std::string, std::shared_ptr<Runner>> old_by_key;
  std::vector<std::string> old_writers;
  {
    std::lock_guard lock(mutex_);
    for (const auto& runner : runners_) {
      old_by_key[runner->group()->Key()] = runner;
      const auto& writers = runner->group()->writers();
      old_writers.insert(old_writers.end(), writers.begin(), writers.end());
    }
  }
  std::set<std::string> new_writers;
  std::vector<std::shared_ptr<Runner>> next;
  std::vector<Runner*> to_start;
  for (auto& spec : groups) {
    auto group = std::make_shared<Group>(std::move(spec), settings.evaluation_interval);
    new_writers.insert(group->writers().begin(), group->writers().end());
    auto old = old_by_key.find(group->Key());
    if (old != old_by_key.end() && old->second->group()->Equals(*group)) {
      next.push_back(old->second);
      old_by_key.erase(old);
      continue;
    }
    std::unique_ptr<GroupMetrics> group_metrics;
    if (old != old_by_key.end()) {
      old->second->Stop();
      group->CopyState(*old->second->group());
      group_metrics = old->second->TakeMetrics();
      old_by_key.erase(old);
      log::Info("rule group changed", {{"rule_group", group->Key()}});
    } else {
      group_metrics = std::make_unique<GroupMetrics>(*metrics_, group->Key());
      log::Info("rule group added", {{"rule_group", group->Key()},
                                     {"interval", FormatDuration(group->interval())},
                                     {"rules", group->rules().size()}});
    }
    auto runner = std::make_shared<Runner>(this, std::move(group), std::move(group_metrics));
    to_start.push_back(runner.get());
    next.push_back(std::move(runner));
  }
  for (auto& [key, runner] : old_by_key) {
    runner->Stop();
    log::Info("rule group removed", {{"rule_group", key}});
  }
  if (options_.writer != nullptr) {
    for (const auto& writer : old_writers) {
      if (!new_writers.contains(writer)) options_.writer->Forget(writer);
    }
  }
  {
    std::lock_guard lock(mutex_);
    runners_ = std::move(next);
    context_ = std::move(context);
    retention_ms_ = retention;
    retention_ = std::move(retention_policy);
  }
  old_by_key.clear();  // drops the removed groups and their metrics
  if (!manual_) {
    for (auto* runner : to_start) runner->Start();
  }
  PublishAlertSeries();
}

void Manager::EvaluateAll(int64_t t_ms) {
  std::vector<std::shared_ptr<Runner>> runners;
  {
    std::lock_guard lock(mutex_);
    runners = runners_;
  }
  for (auto& runner : runners) runner->Evaluate(t_ms);
}

std::vector<std::shared_ptr<const Group>> Manager::Groups() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const Group>> groups;
  groups.reserve(runners_.size());
  for (const auto& runner : runners_) groups.push_back(runner->group());
  return groups;
}

int64_t Manager::RetentionMs() const {
  std::lock_guard lock(mutex_);
  return retention_ms_;
}

store::RetentionPolicy Manager::Retention() const {
  std::lock_guard lock(mutex_);
  return retention_;
}

void Manager::EvaluateGroup(Group& group, GroupMetrics& metrics, int64_t t_ms) {
  const auto context = Context();
  if (!context || !context->query) return;
  GroupEvalReport report =
      group.Eval(t_ms, *context, options_.writer, options_.resend_delay.count());
  metrics.iterations.Increment();
  metrics.evaluations.Increment(static_cast<double>(group.rules().size()));
  metrics.last_duration.Set(report.seconds);
  metrics.last_timestamp.Set(static_cast<double>(t_ms) / 1000.0);
  metrics.last_samples.Set(static_cast<double>(report.samples));
  std::map<std::string, std::string> errors;
  for (const auto& failure : report.failures) {
    metrics.failures[std::string(failure.reason)]->Increment();
    errors[failure.rule] = failure.error;
    const bool changed = metrics.last_errors[failure.rule] != failure.error;
    log::Write(changed ? log::Level::kWarn : log::Level::kDebug, "evaluating rule failed",
               {{"rule_group", group.Key()},
                {"rule", failure.rule},
                {"reason", failure.reason},
                {"err", failure.error}});
  }
  for (const auto& [rule, error] : metrics.last_errors) {
    if (!error.empty() && !errors.contains(rule)) {
      log::Info("rule evaluation recovered", {{"rule_group", group.Key()}, {"rule", rule}});
    }
  }
  metrics.last_errors = std::move(errors);
  if (report.template_errors > 0) {
    metrics.template_failures.Increment(report.template_errors);
    log::Write(metrics.templates_failing ? log::Level::kDebug : log::Level::kWarn,
               "expanding alert templates failed",
               {{"rule_group", group.Key()}, {"count", report.template_errors}});
  }
  metrics.templates_failing = report.template_errors > 0;
  if (!report.to_send.empty()) {
    metrics.alerts_sent.Increment(static_cast<double>(report.to_send.size()));
    if (options_.sink != nullptr) options_.sink->Send(std::move(report.to_send));
  }
  PublishAlertSeries();
}

void Manager::PublishAlertSeries() {
  if (options_.exposition == nullptr) return;
  std::lock_guard publish_lock(publish_mutex_);
  std::vector<OutputSample> series;
  for (const auto& group : Groups()) {
    auto group_series = group->AlertSeries();
    series.insert(series.end(), std::make_move_iterator(group_series.begin()),
                  std::make_move_iterator(group_series.end()));
  }
  std::sort(series.begin(), series.end(),
            [](const OutputSample& a, const OutputSample& b) { return a.labels < b.labels; });
  auto alerts = Family::Make("ALERTS", MetricType::kGauge,
                             "Pending and firing alerts of the sidecar's alerting rules, as "
                             "Prometheus writes them.");
  auto for_state = Family::Make("ALERTS_FOR_STATE", MetricType::kGauge,
                                "Unix time at which each pending or firing alert became active.");
  for (auto& sample : series) {
    const std::string name(LabelValue(sample.labels, "__name__"));
    Labels labels;
    for (auto& label : sample.labels) {
      if (label.name != "__name__") labels.push_back(std::move(label));
    }
    (name == "ALERTS" ? alerts : for_state).Add(std::move(labels), sample.v);
  }
  collect::Collection collection;
  collection.source = "rules";
  collection.job = "rules";
  collection.timestamp_ms = NowUnixMs();
  collection.exposed = true;
  collection.families = std::make_shared<const std::vector<Family>>(
      std::vector<Family>{std::move(alerts), std::move(for_state)});
  options_.exposition->Publish(collection);
}

}  // namespace codebot::rules
