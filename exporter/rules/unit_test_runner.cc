#include "exporter/rules/unit_test_runner.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "exporter/config/yaml.h"
#include "exporter/core/labels.h"
#include "exporter/core/series.h"
#include "exporter/go/strconv.h"
#include "exporter/go/time.h"
#include "exporter/promql/label_string.h"
#include "exporter/promql/memory_storage.h"
#include "exporter/promql/series_notation.h"
#include "exporter/rules/group.h"
#include "exporter/rules/rule_file.h"
#include "exporter/rules/templates.h"

namespace codebot::rules {
namespace {

constexpr int64_t kDefaultEvaluationIntervalMs = int64_t{60} * 1000;

struct InputSeries {
  std::string series;
  std::string values;
};

struct ExpectedAlert {
  Labels labels;
  Labels annotations;
};

struct AlertTest {
  int64_t eval_time_ms = 0;
  std::string alertname;
  std::vector<ExpectedAlert> exp_alerts;
};

struct ExpectedSample {
  std::string labels;
  double value = 0;
};

struct PromqlTest {
  std::string expr;
  int64_t eval_time_ms = 0;
  std::vector<ExpectedSample> exp_samples;
};

struct TestGroup {
  int64_t interval_ms = 0;
  std::vector<InputSeries> input_series;
  std::vector<AlertTest> alert_tests;
  std::vector<PromqlTest> promql_tests;
  Labels external_labels;
  std::string external_url;
  std::string name;
};

struct TestFile {
  std::vector<std::string> rule_files;
  int64_t evaluation_interval_ms = 0;
  std::vector<std::string> group_eval_order;
  std::vector<TestGroup> tests;
};

// YAML floats as Go's yaml.v2 reads them, including .inf and .nan.
double ReadFloat(const config::Node& node) {
  const std::string text = node.AsString();
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == ".inf" || lower == "+.inf") return INFINITY;
  if (lower == "-.inf") return -INFINITY;
  if (lower == ".nan") return NAN;
  // strtod reports ERANGE for subnormals (2.8e-322) as for overflow, which AsDouble rejects;
  // Go's ParseFloat, which yaml.v2 uses, returns them without an error.
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (errno == ERANGE && !text.empty() && *end == '\0' && std::isfinite(value)) return value;
  return node.AsDouble();
}

Labels ReadStringMap(const config::Node& node) {
  Labels labels;
  for (const auto& [key, value] : node.Entries()) {
    labels.push_back({key.AsString(), value.IsNull() ? "" : value.AsString()});
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

TestFile ReadTestFile(const config::Node& root) {
  TestFile file;
  config::MapReader top(root, "the test file");
  if (auto rule_files = top.Get("rule_files")) file.rule_files = rule_files->AsStringList();
  file.evaluation_interval_ms = top.GetDuration("evaluation_interval", Duration(0)).count();
  if (auto order = top.Get("group_eval_order")) file.group_eval_order = order->AsStringList();
  std::vector<config::Node> tests;
  if (auto node = top.Get("tests")) tests = node->Items();
  top.Finish();
  for (size_t i = 0; i < tests.size(); ++i) {
    TestGroup group;
    config::MapReader map(tests[i], "tests[" + std::to_string(i) + "]");
    group.interval_ms = map.GetDuration("interval", Duration(0)).count();
    if (auto series = map.Get("input_series")) {
      for (const auto& item : series->Items()) {
        config::MapReader entry(item, "input_series");
        InputSeries input;
        input.series = entry.String("series");
        if (auto values = entry.Get("values")) input.values = values->AsString();
        entry.Finish();
        group.input_series.push_back(std::move(input));
      }
    }
    if (auto alert_tests = map.Get("alert_rule_test")) {
      for (const auto& item : alert_tests->Items()) {
        config::MapReader entry(item, "alert_rule_test");
        AlertTest test;
        test.eval_time_ms = entry.GetDuration("eval_time", Duration(0)).count();
        if (auto name = entry.Get("alertname")) test.alertname = name->AsString();
        if (auto alerts = entry.Get("exp_alerts")) {
          for (const auto& alert_node : alerts->Items()) {
            config::MapReader alert_map(alert_node, "exp_alerts");
            ExpectedAlert alert;
            if (auto labels = alert_map.Get("exp_labels")) alert.labels = ReadStringMap(*labels);
            if (auto annotations = alert_map.Get("exp_annotations")) {
              alert.annotations = ReadStringMap(*annotations);
            }
            alert_map.Finish();
            test.exp_alerts.push_back(std::move(alert));
          }
        }
        entry.Finish();
        group.alert_tests.push_back(std::move(test));
      }
    }
    if (auto promql_tests = map.Get("promql_expr_test")) {
      for (const auto& item : promql_tests->Items()) {
        config::MapReader entry(item, "promql_expr_test");
        PromqlTest test;
        if (auto expr = entry.Get("expr")) test.expr = expr->AsString();
        test.eval_time_ms = entry.GetDuration("eval_time", Duration(0)).count();
        if (auto samples = entry.Get("exp_samples")) {
          for (const auto& sample_node : samples->Items()) {
            config::MapReader sample_map(sample_node, "exp_samples");
            ExpectedSample sample;
            if (auto labels = sample_map.Get("labels")) sample.labels = labels->AsString();
            if (auto value = sample_map.Get("value")) sample.value = ReadFloat(*value);
            sample_map.Finish();
            test.exp_samples.push_back(std::move(sample));
          }
        }
        entry.Finish();
        group.promql_tests.push_back(std::move(test));
      }
    }
    if (auto labels = map.Get("external_labels")) {
      group.external_labels = ReadStringMap(*labels);
      std::erase_if(group.external_labels, [](const Label& l) { return l.value.empty(); });
    }
    if (auto url = map.Get("external_url")) group.external_url = url->AsString();
    if (auto name = map.Get("name")) group.name = name->AsString();
    map.Finish();
    file.tests.push_back(std::move(group));
  }
  return file;
}

// Prometheus' model.Duration printing ("1h5m", "0s").
std::string ModelDuration(int64_t ms) { return FormatDuration(Duration(ms)); }

// Rule results go to the test storage; staleness per writer as the live store does it.
class StorageWriter : public ResultWriter {
 public:
  explicit StorageWriter(promql::MemoryStorage* storage) : storage_(storage) {}

  void Write(const std::string& writer, int64_t t_ms,
             const std::vector<OutputSample>& samples) override {
    std::set<Labels> current;
    for (const auto& sample : samples) {
      if (storage_->Append(sample.labels, sample.t_ms, sample.v)) current.insert(sample.labels);
    }
    auto& previous = previous_[writer];
    for (const auto& labels : previous) {
      if (!current.contains(labels)) storage_->Append(labels, t_ms, StaleNaN());
    }
    previous = std::move(current);
  }

  void Forget(const std::string& writer) override { previous_.erase(writer); }

 private:
  promql::MemoryStorage* storage_;
  std::map<std::string, std::set<Labels>> previous_;
};

struct LoadedSeries {
  Labels labels;
  std::vector<Point> points;  // ascending
  size_t next = 0;            // first point not yet in storage
};

struct AlertAndAnnotations {
  Labels labels;
  Labels annotations;
  friend auto operator<=>(const AlertAndAnnotations&, const AlertAndAnnotations&) = default;
  friend bool operator==(const AlertAndAnnotations&, const AlertAndAnnotations&) = default;
};

std::string IndentLines(const std::string& lines, const std::string& indent) {
  std::string out;
  size_t start = 0;
  bool first = true;
  while (true) {
    const size_t end = lines.find('\n', start);
    if (!first) out += indent;
    first = false;
    if (end == std::string::npos) {
      out += lines.substr(start);
      break;
    }
    out += lines.substr(start, end - start + 1);
    start = end + 1;
  }
  return out;
}

std::string AlertListString(const std::vector<AlertAndAnnotations>& alerts) {
  if (alerts.empty()) return "[]";
  std::string out = "[\n";
  for (size_t i = 0; i < alerts.size(); ++i) {
    if (i > 0) out += ",\n";
    const std::string item = "\nLabels:" + promql::LabelsToString(alerts[i].labels) +
                             "\nAnnotations:" + promql::LabelsToString(alerts[i].annotations);
    out += std::to_string(i) + ":" + IndentLines(item, "  ");
  }
  out += "\n]";
  return out;
}

struct ParsedSample {
  Labels labels;
  double value = 0;
};

std::string SamplesString(const std::vector<ParsedSample>& samples) {
  if (samples.empty()) return "nil";
  std::string out;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) out += ", ";
    out += promql::LabelsToString(samples[i].labels) + " " +
           go::FormatFloat(samples[i].value, 'E', -1);
  }
  return out;
}

class GroupRun {
 public:
  GroupRun(const TestGroup& test, int64_t eval_interval_ms,
           const std::map<std::string, int>& group_order,
           const std::vector<std::string>& rule_files, const RuleTestLimits& limits)
      : test_(test),
        eval_interval_ms_(eval_interval_ms),
        group_order_(group_order),
        rule_files_(rule_files),
        limits_(limits),
        writer_(&storage_) {}

  std::vector<std::string> Run() {
    std::vector<std::string> errors;
    if (!LoadSeries(&errors)) return errors;
    std::vector<std::unique_ptr<Group>> groups;
    if (!LoadRules(&groups, &errors)) return errors;

    promql::EvalOptions options;
    options.default_subquery_step_ms = eval_interval_ms_;
    options.max_samples = limits_.query.max_samples;
    options.timeout_ms = limits_.query.timeout_ms;
    EvalContext context;
    context.query = EngineQueryFunc(storage_, options);
    context.expand = DefaultExpandFunc();
    context.external_labels = test_.external_labels;
    context.external_url = test_.external_url;
    context.url_functions = false;  // as promtool: $externalURL is set, the functions have none

    std::map<int64_t, std::vector<const AlertTest*>> alert_tests;
    for (const auto& test : test_.alert_tests) {
      if (test.alertname.empty()) {
        std::string in_group;
        if (!test_.name.empty()) in_group = " (in TestGroup " + test_.name + ")";
        return {"an item under alert_rule_test misses required attribute alertname at eval_time " +
                ModelDuration(test.eval_time_ms) + in_group};
      }
      alert_tests[test.eval_time_ms].push_back(&test);
    }
    int64_t max_eval_ms = 0;
    for (const auto& test : test_.alert_tests)
      max_eval_ms = std::max(max_eval_ms, test.eval_time_ms);
    for (const auto& test : test_.promql_tests)
      max_eval_ms = std::max(max_eval_ms, test.eval_time_ms);
    // eval_time and the interval are durations, at most kMaxDurationMs: no overflow here.
    const int64_t steps = max_eval_ms / eval_interval_ms_ + 1;
    if (limits_.max_steps > 0 && steps > limits_.max_steps) {
      return {"evaluating up to eval_time " + ModelDuration(max_eval_ms) + " every " +
              ModelDuration(eval_interval_ms_) + " takes " + std::to_string(steps) +
              " evaluations, more than the limit of " + std::to_string(limits_.max_steps)};
    }

    auto next_alert_test = alert_tests.begin();
    for (int64_t ts = 0; ts <= max_eval_ms; ts += eval_interval_ms_) {
      LoadSamplesUntil(ts);
      std::vector<std::string> eval_errors;
      for (auto& group : groups) {
        group->Eval(ts, context, &writer_, int64_t{60} * 1000);
        for (const auto& rule : group->rules()) {
          const RuleStatus status = rule->Status();
          if (status.health == RuleHealth::kErr) {
            eval_errors.push_back("    rule: " + rule->name() + ", time: " +
                                  go::DurationString(ts) + ", err: " + status.last_error);
          }
        }
      }
      if (!eval_errors.empty()) {
        errors.insert(errors.end(), eval_errors.begin(), eval_errors.end());
        return errors;
      }
      // Alert tests whose eval_time falls in [ts, ts + interval) see this evaluation.
      while (next_alert_test != alert_tests.end() && ts <= next_alert_test->first &&
             next_alert_test->first < ts + eval_interval_ms_) {
        CheckAlerts(groups, next_alert_test->second, &errors);
        ++next_alert_test;
      }
    }
    for (const auto& test : test_.promql_tests) CheckPromql(context, test, &errors);
    return errors;
  }

 private:
  bool LoadSeries(std::vector<std::string>* errors) {
    std::map<Labels, size_t> by_labels;
    for (const auto& input : test_.input_series) {
      Labels labels;
      promql::ParseError error;
      if (!promql::ParseSeriesLabels(input.series, &labels, &error)) {
        errors->push_back(error.ToString());
        return false;
      }
      std::vector<promql::SequenceValue> values;
      if (!promql::ParseSeriesValues(input.values, &values, &error, limits_.max_series_values)) {
        errors->push_back(error.ToString());
        return false;
      }
      LoadedSeries series;
      series.labels = labels;
      for (size_t i = 0; i < values.size(); ++i) {
        if (values[i].omitted) continue;
        // No eval_time lies beyond kMaxDurationMs, so neither do the samples worth loading (and
        // i * interval cannot overflow below it).
        if (test_.interval_ms > 0 && static_cast<int64_t>(i) > kMaxDurationMs / test_.interval_ms) {
          break;
        }
        const int64_t t = static_cast<int64_t>(i) * test_.interval_ms;
        // Without an interval every sample lands at 0 and the storage keeps the first one.
        if (!series.points.empty() && series.points.back().t >= t) continue;
        series.points.push_back({t, values[i].value});
      }
      // A series given twice: the later definition wins, as in promtool's load command.
      if (auto it = by_labels.find(labels); it != by_labels.end()) {
        series_[it->second] = std::move(series);
      } else {
        by_labels.emplace(labels, series_.size());
        series_.push_back(std::move(series));
      }
    }
    return true;
  }

  void LoadSamplesUntil(int64_t ts) {
    for (auto& series : series_) {
      while (series.next < series.points.size() && series.points[series.next].t <= ts) {
        const Point& p = series.points[series.next++];
        storage_.Append(series.labels, p.t, p.v);
      }
    }
  }

  bool LoadRules(std::vector<std::unique_ptr<Group>>* groups, std::vector<std::string>* errors) {
    std::vector<GroupSpec> specs;
    for (const auto& file : rule_files_) {
      RuleFileResult result = ParseRuleFile(file);
      errors->insert(errors->end(), result.errors.begin(), result.errors.end());
      for (auto& group : result.groups) specs.push_back(std::move(group));
    }
    if (!errors->empty()) return false;
    // promtool sorts by the position in group_eval_order; groups not listed count as 0.
    std::stable_sort(specs.begin(), specs.end(), [this](const GroupSpec& a, const GroupSpec& b) {
      return OrderOf(a.name) < OrderOf(b.name);
    });
    for (auto& spec : specs) {
      groups->push_back(std::make_unique<Group>(std::move(spec), Duration(test_.interval_ms)));
    }
    return true;
  }

  int OrderOf(const std::string& name) const {
    auto it = group_order_.find(name);
    return it == group_order_.end() ? 0 : it->second;
  }

  void CheckAlerts(const std::vector<std::unique_ptr<Group>>& groups,
                   const std::vector<const AlertTest*>& tests, std::vector<std::string>* errors) {
    std::map<std::string, std::vector<AlertAndAnnotations>> firing;
    for (const auto& group : groups) {
      for (const auto& rule : group->rules()) {
        const auto* alerting = dynamic_cast<const AlertingRule*>(rule.get());
        if (alerting == nullptr) continue;
        auto& list = firing[alerting->name()];
        for (const auto& alert : alerting->ActiveAlerts()) {
          if (alert.state == AlertState::kFiring) list.push_back({alert.labels, alert.annotations});
        }
      }
    }
    for (const AlertTest* test : tests) {
      std::vector<AlertAndAnnotations> got = firing[test->alertname];
      std::vector<AlertAndAnnotations> expected;
      for (const auto& alert : test->exp_alerts) {
        AlertAndAnnotations entry{alert.labels, alert.annotations};
        std::erase_if(entry.labels, [](const Label& l) { return l.name == "alertname"; });
        entry.labels.push_back({"alertname", test->alertname});
        std::sort(entry.labels.begin(), entry.labels.end());
        expected.push_back(std::move(entry));
      }
      std::sort(got.begin(), got.end());
      std::sort(expected.begin(), expected.end());
      if (got == expected) continue;
      std::string message;
      if (!test_.name.empty()) message += "    name: " + test_.name + ",\n";
      message += "    alertname: " + test->alertname +
                 ", time: " + ModelDuration(test->eval_time_ms) +
                 ", \n        exp:" + IndentLines(AlertListString(expected), "            ") +
                 ", \n        got:" + IndentLines(AlertListString(got), "            ");
      errors->push_back(std::move(message));
    }
  }

  void CheckPromql(const EvalContext& context, const PromqlTest& test,
                   std::vector<std::string>* errors) {
    const std::string prefix =
        "    expr: " + go::Quote(test.expr) + ", time: " + ModelDuration(test.eval_time_ms);
    QueryResult result = context.query(nullptr, test.expr, test.eval_time_ms);
    if (!result.ok) {
      errors->push_back(prefix + ", err: " + result.error);
      return;
    }
    std::vector<ParsedSample> got;
    for (auto& sample : result.vector) got.push_back({std::move(sample.labels), sample.v});
    std::vector<ParsedSample> expected;
    for (const auto& sample : test.exp_samples) {
      Labels labels;
      promql::ParseError error;
      if (!promql::ParseSeriesLabels(sample.labels, &labels, &error)) {
        errors->push_back(prefix + ", err: labels " + go::Quote(sample.labels) + ": " +
                          error.ToString());
        return;
      }
      expected.push_back({std::move(labels), sample.value});
    }
    auto by_labels = [](const ParsedSample& a, const ParsedSample& b) {
      return a.labels < b.labels;
    };
    std::stable_sort(got.begin(), got.end(), by_labels);
    std::stable_sort(expected.begin(), expected.end(), by_labels);
    bool equal = got.size() == expected.size();
    // Values compare exactly, as promtool's reflect.DeepEqual does (NaN never equals NaN).
    for (size_t i = 0; equal && i < got.size(); ++i) {
      equal = got[i].labels == expected[i].labels && got[i].value == expected[i].value;
    }
    if (equal) return;
    errors->push_back(prefix + ",\n        exp: " + SamplesString(expected) +
                      "\n        got: " + SamplesString(got));
  }

  const TestGroup& test_;
  const int64_t eval_interval_ms_;
  const std::map<std::string, int>& group_order_;
  const std::vector<std::string>& rule_files_;
  const RuleTestLimits& limits_;
  promql::MemoryStorage storage_;
  StorageWriter writer_;
  std::vector<LoadedSeries> series_;
};

std::vector<std::string> RunFile(const std::string& path, std::ostream& err,
                                 const RuleTestLimits& limits) {
  TestFile file;
  try {
    file = ReadTestFile(config::LoadYamlFile(path));
  } catch (const config::ConfigError& e) {
    return {e.what()};
  }
  // Rule files are relative to the test file and may be globs; a pattern matching nothing is
  // only a warning, as in promtool.
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  std::vector<std::string> patterns;
  for (const auto& rule_file : file.rule_files) {
    if (rule_file.empty() || rule_file.front() == '/') {
      patterns.push_back(rule_file);
    } else {
      patterns.push_back((base / rule_file).lexically_normal().string());
    }
  }
  std::vector<std::string> rule_files;
  for (const auto& pattern : patterns) {
    std::vector<std::string> errors;
    auto matches = ExpandRuleFilePatterns({pattern}, &errors);
    if (!errors.empty()) return errors;
    std::erase_if(matches, [](const std::string& f) { return !std::filesystem::exists(f); });
    if (matches.empty()) err << "  WARNING: no file match pattern " << pattern << "\n";
    rule_files.insert(rule_files.end(), matches.begin(), matches.end());
  }
  const int64_t eval_interval =
      file.evaluation_interval_ms > 0 ? file.evaluation_interval_ms : kDefaultEvaluationIntervalMs;
  std::map<std::string, int> group_order;
  for (size_t i = 0; i < file.group_eval_order.size(); ++i) {
    if (!group_order.emplace(file.group_eval_order[i], static_cast<int>(i)).second) {
      return {"group name repeated in evaluation order: " + file.group_eval_order[i]};
    }
  }
  std::vector<std::string> errors;
  for (const auto& test : file.tests) {
    auto group_errors = GroupRun(test, eval_interval, group_order, rule_files, limits).Run();
    errors.insert(errors.end(), group_errors.begin(), group_errors.end());
  }
  return errors;
}

}  // namespace

int RunRuleTests(const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
                 const RuleTestLimits& limits) {
  bool failed = false;
  for (const auto& file : files) {
    out << "Unit Testing:  " << file << "\n";
    out.flush();
    const std::vector<std::string> errors = RunFile(file, err, limits);
    if (!errors.empty()) {
      err << "  FAILED:\n";
      for (const auto& error : errors) {
        err << error << "\n";
        err.flush();
        out << "\n";
        out.flush();
      }
      failed = true;
    } else {
      out << "  SUCCESS\n";
    }
    out << "\n";
    out.flush();
  }
  return failed ? 1 : 0;
}

}  // namespace codebot::rules
