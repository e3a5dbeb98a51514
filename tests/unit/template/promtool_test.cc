// The real promtool (Prometheus 2.42) as the reference: a rule whose labels and annotations use
// every function and most of the language is expanded by our engine, our texts become the
// exp_labels/exp_annotations of a `promtool test rules` file, and promtool must accept them
// (and reject them once one character is changed). `promtool check rules` must report the same
// template errors as CheckAlertTemplate.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "exporter/core/json_string.h"
#include "exporter/go/strconv.h"
#include "exporter/template/prometheus.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::tmpl {
namespace {

using codebot::testing::HaveProgram;
using codebot::testing::RunCommand;
using codebot::testing::TempDir;
using codebot::testing::WriteFile;

// Annotation templates: each Prometheus function, Go formatting corners, control structures
// and execution errors (whose texts carry byte positions).
const std::vector<std::string> kAnnotations = {
    "{{ $value }}",
    "{{ $labels.job }}/{{ $labels.instance }}/[{{ $labels.nope }}]/{{ .Labels.idx }}/{{ .Value }}",
    "{{ . }}",
    "{{ $labels }} {{ $externalLabels }} [{{ $externalURL }}]",
    "{{ humanize $value }} {{ humanize1024 $value }} {{ humanizePercentage $value }}",
    "{{ humanizeDuration $value }}|{{ humanizeTimestamp $value }}",
    "{{ printf \"%.2f|%8.3e|%g|%v|%d|%s|%x\" $value $value $value $value $value $value $value }}",
    "{{ humanize 1234567 }} {{ humanize 0.00123 }} {{ humanizePercentage 0.85 }} "
    "{{ humanizeDuration 90 }} {{ humanize1024 1048576 }}",
    "{{ humanize 0 }} {{ humanize 999.99 }} {{ humanize -1234 }} {{ humanize 1e-9 }} "
    "{{ humanize 1e30 }} {{ humanize \"12345\" }}",
    "{{ humanize1024 1023 }} {{ humanize1024 1536 }} {{ humanize1024 -5000 }} "
    "{{ humanize1024 0.5 }} {{ humanize1024 1e30 }}",
    "{{ humanizeDuration 0 }}|{{ humanizeDuration 0.5 }}|{{ humanizeDuration 59.99 }}|"
    "{{ humanizeDuration 3600 }}|{{ humanizeDuration 90061 }}|{{ humanizeDuration -90 }}|"
    "{{ humanizeDuration 0.000001 }}|{{ humanizeDuration 1e20 }}",
    "{{ humanizeTimestamp 1435065584.128 }}|{{ humanizeTimestamp -1.5 }}|{{ humanizeTimestamp 0 }}",
    "{{ humanize \"abc\" }}",
    "{{ humanize $labels }}",
    "{{ humanizeTimestamp 1e20 }}",
    "{{ title \"ünïcode  words-here a_b o'neil\" }}|{{ toUpper \"hello Wörld ß\" }}|"
    "{{ toLower \"HELLO WÖRLD\" }}",
    "{{ stripPort \"host:9090\" }} {{ stripPort \"[::1]:80\" }} {{ stripPort \"::1\" }} "
    "{{ $labels.instance | stripPort }}",
    "{{ stripDomain \"host.example.com:9090\" }} {{ stripDomain \"10.1.2.3:80\" }} "
    "{{ stripDomain \"[::1]:80\" }} {{ stripDomain \"a.b\" }}",
    "{{ reReplaceAll \"(a)(b)?\" \"[$1|$2|${1}x|$1x|$$|$]\" \"abaab\" }}|"
    "{{ reReplaceAll \"x*\" \"-\" \"abc\" }}|"
    "{{ reReplaceAll \"(?P<h>[a-z]+)\\\\.(?P<d>.*)\" \"${d}/$h\" \"host.example.com\" }}",
    "{{ reReplaceAll \"(\" \"x\" \"y\" }}",
    "{{ match \"^a.c$\" \"abc\" }} {{ match \"^b\" \"abc\" }} {{ match \"a**\" \"x\" }}",
    "{{ parseDuration \"1h30m\" }} {{ parseDuration \"500ms\" }} {{ parseDuration \"0\" }}",
    "{{ parseDuration \"1.5h\" }}",
    "{{ graphLink \"rate(x[5m]) > 0\" }} {{ tableLink \"up{job=\\\"a b\\\"}\" }}",
    "{{ args 1 \"a\" 2.5 }}|{{ (args 1 \"a\").arg1 }}|{{ (args 1).arg5 }}",
    "{{ safeHtml \"<b>\" }} {{ safeHtml \"<b>\" | html }}",
    "{{ toTime 1435065584.128 }}|{{ (toTime 1435065584).Unix }}|"
    "{{ (toTime 1435065584).Format \"2006-01-02T15:04:05Z07:00 Mon Jan _2 3PM .000\" }}",
    "{{ len (query \"tmpl_probe\") }}: {{ range query \"tmpl_probe\" | sortByLabel \"idx\" }}"
    "{{ .Labels.idx }}={{ .Value }} {{ end }}",
    "{{ with query \"tmpl_probe\" | sortByLabel \"idx\" }}{{ . | first | label \"job\" }} "
    "{{ . | first | value | humanize }} [{{ . | first | strvalue }}]{{ end }}",
    "{{ externalURL }}",
    "{{ if gt $value 0 }}x{{ end }}",
    "{{ if gt $value 100.0 }}big{{ else if lt $value 0.0 }}negative{{ else }}small{{ end }}",
    "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
    "{{ range $k, $v := $labels }}{{ if eq $k \"instance\" }}{{ continue }}{{ end }}"
    "{{ if eq $k \"job\" }}{{ break }}{{ end }}{{ $k }};{{ end }}",
    "{{ with $labels.nope }}x{{ else }}none{{ end }} {{ with $labels.job }}<{{ . }}>{{ end }}",
    "{{ $x := 1 }}{{ if true }}{{ $x = 3 }}{{ end }}{{ $x }} {{ $ }}",
    "a  {{- \" b \" -}}  c {{/* comment */}}d",
    "{{ and 1 0 \"x\" }}|{{ or 0 \"\" \"z\" }}|{{ not 0 }}|{{ and false (index $labels 1) }}",
    "{{ index $labels 1 }}",
    "{{ len $labels }} {{ len \"héllo\" }} {{ index \"abc\" 1 }} {{ slice \"abcdef\" 1 3 }}",
    "{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ le 2 2 }} {{ ge \"b\" \"a\" }} "
    "{{ eq $labels.nope \"\" }} {{ gt $value $value }}",
    "{{ eq 1 1.0 }}",
    "{{ eq $labels $labels }}",
    "{{ html \"<a href=\\\"x\\\">'&</a>\" }} {{ js \"a=b<c>'\\\"\\\\&é\" }} "
    "{{ urlquery \"a b&c=d/é~-_.\" }} {{ urlquery nil }}",
    "{{ print \"a\" 1 2 \"b\" 3.5 true nil }}|{{ println 1 \"x\" }}|",
    "{{ printf \"%5s|%-5s|%.2s|%q|%x|% x\" \"abc\" \"ab\" \"abcdef\" \"a\\\"b\" \"hi\" \"hi\" }}",
    "{{ printf \"%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%c|%q|%U|%#x\" 42 42 42 -42 42 255 255 8 5 "
    "65 65 128512 255 }}",
    "{{ printf \"%d %s\" 1 }} {{ printf \"%d\" 1 2 }} {{ printf \"%z\" 1 }} {{ printf \"%!\" }} "
    "{{ printf \"100%%\" }} {{ printf \"%T %T\" $labels nil }}",
    "{{ printf \"%q|%+q|%#q|%q|%q|%b|%#v|%#v\" \"\\x01é\" \"é\" \"ab\" 39 1114112 1.0 $labels "
    "(args 1 \"x\" nil) }}",
    "{{ 0x1F }} {{ 017 }} {{ 1_000 }} {{ 0b101 }} {{ 1e3 }} {{ .5 }} {{ 'a' }} {{ 1+2i }}",
    "{{ 1.0 }} {{ 1e6 }} {{ 123456.0 }} {{ 1234567.0 }} {{ 0.000123 }} {{ 0.0000123 }} "
    "{{ 1e21 }} {{ -0.0 }} {{ 0.1 }}",
    "{{ define \"t\" }}[{{ . }}]{{ end }}{{ template \"t\" $labels.job }}"
    "{{ block \"b\" $value }}<{{ . }}>{{ end }}",
    "{{ template \"missing\" }}",
    "line1\n  {{ if true }}\n    {{ $labels.job.x }}\n  {{ end }}",
    "{{ printf (len $labels.job) }}",
    "{{ .Foo }}",
    "{{ nil }}",
    "{{ title $value }}",
    "{{ range $value }}x{{ end }}",
};

// Label templates are expanded the same way and become part of the alert's identity.
const std::map<std::string, std::string> kLabelTemplates = {
    {"severity", "{{ if gt $value 1000.0 }}page{{ else }}ticket{{ end }}"},
    {"summary_key", "{{ $labels.job }}-{{ humanize $value }}"},
};

struct Series {
  std::string idx;
  std::string value;  // in promtool's series notation
};

// $value corners: exponent forms, NaN and infinities, negatives, zero.
const std::vector<Series> kSeries = {
    {"0", "1234567.891"}, {"1", "0.000123"}, {"2", "1e6"}, {"3", "NaN"},
    {"4", "Inf"},         {"5", "-42.5"},    {"6", "0"},   {"7", "1e21"},
};

std::string Json(std::string_view s) {
  std::string out;
  json::AppendString(out, s);
  return out;
}

std::string JsonMap(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    if (out.size() > 1) out += ", ";
    out += Json(k) + ": " + Json(v);
  }
  return out + "}";
}

Labels SeriesLabels(const Series& s) {
  return {{"__name__", "tmpl_probe"},
          {"idx", s.idx},
          {"instance", "host.example.com:9090"},
          {"job", "api"}};
}

double SeriesValue(const Series& s) {
  if (s.value == "Inf") return HUGE_VAL;
  double v = 0;
  std::string error;
  EXPECT_TRUE(go::ParseFloat(s.value, &v, &error)) << error;
  return v;
}

// What the PromQL engine answers for the one query the templates make: every probe series.
PrometheusContext Context() {
  PrometheusContext ctx;
  ctx.query = [](std::string_view q, std::vector<QuerySample>* out, std::string* error) {
    if (q != "tmpl_probe") {
      *error = "unexpected query in test: " + std::string(q);
      return false;
    }
    for (const auto& s : kSeries) out->push_back({SeriesLabels(s), SeriesValue(s)});
    return true;
  };
  return ctx;
}

// Writes the rule file and a promtool test whose expectations are our expansions; returns the
// test file's path. `corrupt` changes one expected annotation of one alert.
std::string WriteFiles(const TempDir& dir, bool corrupt) {
  std::map<std::string, std::string> annotations;
  for (size_t i = 0; i < kAnnotations.size(); ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "a%03zu", i);
    annotations[key] = kAnnotations[i];
  }
  std::string rules =
      "{\"groups\": [{\"name\": \"templates\", \"rules\": [{\"alert\": \"TmplProbe\", "
      "\"expr\": \"tmpl_probe\", \"labels\": " +
      JsonMap(kLabelTemplates) + ", \"annotations\": " + JsonMap(annotations) + "}]}]}\n";
  WriteFile(dir.File("rules.yml"), rules);

  std::string series_json;
  std::string alerts_json;
  const PrometheusContext ctx = Context();
  for (size_t n = 0; n < kSeries.size(); ++n) {
    const Series& s = kSeries[n];
    const Labels labels = SeriesLabels(s);
    const AlertTemplateExpander expander("TmplProbe", labels, SeriesValue(s), {}, ctx);
    std::map<std::string, std::string> exp_labels;
    for (const auto& l : labels) {
      if (l.name != "__name__") exp_labels[l.name] = l.value;
    }
    for (const auto& [name, text] : kLabelTemplates) exp_labels[name] = expander.Expand(text);
    std::map<std::string, std::string> exp_annotations;
    for (const auto& [key, text] : annotations) exp_annotations[key] = expander.Expand(text);
    if (corrupt && n == 3) exp_annotations["a001"] += "!";
    if (!series_json.empty()) series_json += ", ";
    series_json +=
        "{\"series\": " +
        Json("tmpl_probe{idx=\"" + s.idx + "\", instance=\"host.example.com:9090\", job=\"api\"}") +
        ", \"values\": " + Json(s.value) + "}";
    if (!alerts_json.empty()) alerts_json += ", ";
    alerts_json += "{\"exp_labels\": " + JsonMap(exp_labels) +
                   ", \"exp_annotations\": " + JsonMap(exp_annotations) + "}";
  }
  const std::string test =
      "{\"rule_files\": [\"rules.yml\"], \"evaluation_interval\": \"1m\", "
      "\"tests\": [{\"interval\": \"1m\", \"input_series\": [" +
      series_json +
      "], \"alert_rule_test\": [{\"eval_time\": \"0m\", \"alertname\": "
      "\"TmplProbe\", \"exp_alerts\": [" +
      alerts_json + "]}]}]}\n";
  WriteFile(dir.File("rules_test.yml"), test);
  return dir.File("rules_test.yml");
}

TEST(PromtoolConformance, PromtoolAcceptsOurExpansions) {
  CODEBOT_REQUIRE_PROGRAM(HaveProgram("promtool"), "promtool");
  TempDir dir;
  std::string output;
  const int code = RunCommand({"promtool", "test", "rules", WriteFiles(dir, false)}, &output);
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("SUCCESS"), std::string::npos) << output;
}

TEST(PromtoolConformance, PromtoolRejectsAChangedExpansion) {
  // The comparison above is only worth something if promtool notices a one-character change.
  CODEBOT_REQUIRE_PROGRAM(HaveProgram("promtool"), "promtool");
  TempDir dir;
  std::string output;
  const int code = RunCommand({"promtool", "test", "rules", WriteFiles(dir, true)}, &output);
  EXPECT_NE(code, 0) << output;
  EXPECT_NE(output.find("FAILED"), std::string::npos) << output;
}

TEST(PromtoolConformance, CheckRulesReportsTheSameTemplateErrors) {
  CODEBOT_REQUIRE_PROGRAM(HaveProgram("promtool"), "promtool");
  const std::vector<std::string> templates = {
      "{{ $labels.x }",
      "{{$labels.x}",
      "{{ if }}{{ end }}",
      "{{ }}",
      "{{ nope }}",
      "{{ $x }}",
      "{{ if true }}",
      "{{ end }}",
      "{{ else }}",
      "a\n{{ .Labels\n.x\n}",
      "{{ 1 | 2 }}",
      "{{ $x+2 }}",
      "{{ \"abc }}",
      "{{ 1x }}",
      "{{ ) }}",
      "{{ (1 }}",
      "{{ \"x\".y }}",
      "{{ break }}",
      "{{ range $a, $b, $c := . }}{{end}}",
      "{{ $a, $b := 1 }}",
      "{{ range $i, 1 := . }}{{end}}",
      "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
      "{{ with 1 }}{{ else if 2 }}{{ end }}",
      "{{ 99999999999999999999 }}",
      "{{/* c */ }}",
      "{{/* unclosed",
      "{{ 'ab' }}",
      "{{ \"\\q\" }}",
      "{{ template x }}",
      "{{ if 1 }}{{ define \"b\" }}{{ end }}{{ end }}",
      "{{ continue 1 }}",
      "{{ .x\n",
      "{{ 1 \n }}{{ if \n",
      "{{ 1 := 2 }}",
      "{{ @ }}",
      "{{ 0x }}",
      "{{ 1.2.3 }}",
      "{{ nil.x }}",
      "{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}",
      "{{ block \"b\" }}{{ end }}",
      // Accepted by both:
      "{{ .x | }}",
      "{{ $x := 1 }}{{ $x = 2 }}",
      "{{ 1i }}",
      "{{ humanize \"not a number\" }}",
      "{{- /* c */ -}}",
  };
  std::map<std::string, std::string> annotations;
  for (size_t i = 0; i < templates.size(); ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "a%03zu", i);
    annotations[key] = templates[i];
  }
  TempDir dir;
  WriteFile(dir.File("rules.yml"),
            "{\"groups\": [{\"name\": \"g\", \"rules\": [{\"alert\": \"Broken\", \"expr\": \"up\", "
            "\"annotations\": " +
                JsonMap(annotations) + "}]}]}\n");
  std::string output;
  const int code = RunCommand({"promtool", "check", "rules", dir.File("rules.yml")}, &output);
  EXPECT_NE(code, 0) << output;

  // Each error line: ...: annotation "a007": template: __alert_Broken:1: ...
  std::map<std::string, std::string> reported;
  const std::regex line_re("annotation \"(a\\d{3})\": (.*)");
  std::smatch m;
  std::string::const_iterator from = output.cbegin();
  while (std::regex_search(from, output.cend(), m, line_re)) {
    reported[m[1]] = m[2];
    from = m.suffix().first;
  }
  ASSERT_FALSE(reported.empty()) << output;
  for (const auto& [key, text] : annotations) {
    const std::string ours = CheckAlertTemplate("Broken", text);
    const auto it = reported.find(key);
    EXPECT_EQ(ours, it == reported.end() ? "" : it->second) << "template: " << text;
  }
}

}  // namespace
}  // namespace codebot::tmpl
