// Prometheus 2.42's template functions and alert-template convention, with the exact strings
// Prometheus produces (promtool_test.cc has the real promtool confirm them).
#include <gtest/gtest.h>

#include <cmath>

#include "exporter/core/log.h"
#include "exporter/template/prometheus.h"

namespace codebot::tmpl {
namespace {

const Labels kLabels = {{"__name__", "up"}, {"instance", "host.example.com:9090"}, {"job", "api"}};

// Expands `text` as the annotation of alert "A" with $value = value.
std::string Expand(std::string_view text, double value = 1, PrometheusContext ctx = {}) {
  return ExpandAlertTemplate(text, "A", kLabels, value, {{"cluster", "eu1"}}, ctx);
}

// The error text Prometheus writes for an execution error at byte `column` of the user's text.
std::string ExecErrorAt(size_t column, std::string_view node, std::string_view message) {
  return "<error expanding template: error executing template __alert_A: template: __alert_A:1:" +
         std::to_string(112 + column) + ": executing \"__alert_A\" at <" + std::string(node) +
         ">: " + std::string(message) + ">";
}

TEST(PrometheusTemplate, Humanize) {
  EXPECT_EQ(Expand("{{ humanize 1234567 }}"), "1.235M");
  EXPECT_EQ(Expand("{{ humanize 0.00123 }}"), "1.23m");
  EXPECT_EQ(Expand("{{ humanize 0 }} {{ humanize 1 }} {{ humanize 999.99 }} {{ humanize 1000 }}"),
            "0 1 1000 1k");
  EXPECT_EQ(
      Expand("{{ humanize -1234 }} {{ humanize 0.5 }} {{ humanize 1e-9 }} {{ humanize 1e30 }}"),
      "-1.234k 500m 1n 1e+06Y");
  EXPECT_EQ(Expand("{{ humanize \"12345\" }} {{ $value | humanize }}", 2.5e9), "12.35k 2.5G");
  EXPECT_EQ(Expand("{{ humanize $value }}", std::nan("")), "NaN");
  EXPECT_EQ(Expand("{{ humanize $value }}", -HUGE_VAL), "-Inf");
}

TEST(PrometheusTemplate, Humanize1024) {
  EXPECT_EQ(Expand("{{ humanize1024 1048576 }}"), "1Mi");
  EXPECT_EQ(Expand("{{ humanize1024 0 }} {{ humanize1024 1 }} {{ humanize1024 1023 }} "
                   "{{ humanize1024 1024 }} {{ humanize1024 1536 }} {{ humanize1024 -5000 }}"),
            "0 1 1023 1ki 1.5ki -4.883ki");
  EXPECT_EQ(Expand("{{ humanize1024 0.5 }} {{ humanize1024 1e30 }}"), "0.5 8.272e+05Yi");
}

TEST(PrometheusTemplate, HumanizeDuration) {
  EXPECT_EQ(Expand("{{ humanizeDuration 90 }}"), "1m 30s");
  EXPECT_EQ(Expand("{{ humanizeDuration 0 }}|{{ humanizeDuration 0.5 }}|{{ humanizeDuration 1 }}|"
                   "{{ humanizeDuration 59.99 }}|{{ humanizeDuration 3600 }}|"
                   "{{ humanizeDuration 90061 }}|{{ humanizeDuration -90 }}|"
                   "{{ humanizeDuration 0.000001 }}"),
            "0s|500ms|1s|59.99s|1h 0m 0s|1d 1h 1m 1s|-1m 30s|1us");
  // Go converts an out-of-range float to the smallest int64 on amd64, and so does this.
  EXPECT_EQ(Expand("{{ humanizeDuration 1e20 }}"), "-106751991167300d -15h -30m -8s");
}

TEST(PrometheusTemplate, HumanizePercentageAndTimestamp) {
  EXPECT_EQ(Expand("{{ humanizePercentage 0.85 }}"), "85%");
  EXPECT_EQ(Expand("{{ humanizePercentage 0.123456 }} {{ humanizePercentage -0.01 }} "
                   "{{ humanizePercentage \"0.25\" }}"),
            "12.35% -1% 25%");
  EXPECT_EQ(Expand("{{ humanizeTimestamp 1435065584.128 }}"), "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(Expand("{{ humanizeTimestamp 0 }}|{{ humanizeTimestamp -1.5 }}"),
            "1970-01-01 00:00:00 +0000 UTC|1969-12-31 23:59:58.5 +0000 UTC");
  EXPECT_EQ(Expand("{{ humanizeTimestamp $value }}", HUGE_VAL), "+Inf");
  EXPECT_EQ(Expand("{{ humanizeTimestamp 1e20 }}"),
            ExecErrorAt(3, "humanizeTimestamp 1e20",
                        "error calling humanizeTimestamp: 1e+20 cannot be represented as a "
                        "nanoseconds timestamp since it overflows int64"));
}

TEST(PrometheusTemplate, ConversionErrors) {
  EXPECT_EQ(Expand("{{ humanize \"abc\" }}"),
            ExecErrorAt(3, "humanize \"abc\"",
                        "error calling humanize: strconv.ParseFloat: parsing \"abc\": invalid "
                        "syntax"));
  EXPECT_EQ(Expand("{{ humanize true }}"),
            ExecErrorAt(3, "humanize true", "error calling humanize: can't convert bool to float"));
  EXPECT_EQ(Expand("{{ humanize nil }}"),
            ExecErrorAt(3, "humanize nil", "error calling humanize: can't convert <nil> to float"));
  EXPECT_EQ(Expand("{{ humanize $labels }}"),
            ExecErrorAt(3, "humanize $labels",
                        "error calling humanize: can't convert map[string]string to float"));
  EXPECT_EQ(Expand("{{ title $value }}"),
            ExecErrorAt(9, "$value", "wrong type for value; expected string; got float64"));
}

TEST(PrometheusTemplate, StringsAndRegexps) {
  EXPECT_EQ(
      Expand("{{ title \"hello wORLD foo-bar\" }}|{{ toUpper \"abc\" }}|{{ toLower \"ÀB\" }}"),
      "Hello WORLD Foo-Bar|ABC|àb");
  EXPECT_EQ(Expand("{{ reReplaceAll \"^(\\\\w+):(\\\\d+)$\" \"$1\" \"host:9090\" }}"), "host");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(a)(b)?\" \"[$1|$2|${1}x|$1x|$$|$]\" \"abaab\" }}"),
            "[a|b|ax||$|$][a||ax||$|$][a|b|ax||$|$]");
  EXPECT_EQ(Expand("{{ reReplaceAll \"x*\" \"-\" \"abc\" }}"), "-a-b-c-");
  EXPECT_EQ(
      Expand("{{ reReplaceAll \"(?P<h>[a-z]+)\\\\.(?P<d>.*)\" \"${d}/$h\" \"host.example.com\" }}"),
      "example.com/host");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(\" \"x\" \"y\" }}"),
            ExecErrorAt(3, "reReplaceAll \"(\" \"x\" \"y\"",
                        "error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: "
                        "missing closing ): `(`"));
  EXPECT_EQ(Expand("{{ match \"^a.c$\" \"abc\" }} {{ match \"^b\" \"abc\" }}"), "true false");
  EXPECT_EQ(Expand("{{ match \"a**\" \"x\" }}"),
            ExecErrorAt(3, "match \"a**\" \"x\"",
                        "error calling match: error parsing regexp: invalid nested repetition "
                        "operator: `**`"));
  EXPECT_EQ(Expand("{{ safeHtml \"<b>\" }}"), "<b>");
  EXPECT_EQ(Expand("{{ graphLink \"rate(x[5m]) > 0\" }}"),
            "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=0");
  EXPECT_EQ(Expand("{{ tableLink \"up\" }}"), "/graph?g0.expr=up&g0.tab=1");
}

TEST(PrometheusTemplate, HostHelpers) {
  EXPECT_EQ(
      Expand("{{ stripPort \"host:9090\" }} {{ stripPort \"host\" }} {{ stripPort \"[::1]:80\" }} "
             "{{ stripPort \"::1\" }}"),
      "host host ::1 ::1");
  EXPECT_EQ(
      Expand("{{ stripDomain \"host.example.com:9090\" }} {{ stripDomain \"host.example.com\" }} "
             "{{ stripDomain \"10.1.2.3:80\" }} {{ stripDomain \"[::1]:80\" }}"),
      "host:9090 host 10.1.2.3:80 [::1]:80");
  EXPECT_EQ(Expand("{{ .Labels.instance | stripDomain }}"), "host:9090");
}

TEST(PrometheusTemplate, DurationsArgsAndTime) {
  EXPECT_EQ(
      Expand(
          "{{ parseDuration \"1h30m\" }} {{ parseDuration \"500ms\" }} {{ parseDuration \"0\" }}"),
      "5400 0.5 0");
  EXPECT_EQ(Expand("{{ parseDuration \"1.5h\" }}"),
            ExecErrorAt(3, "parseDuration \"1.5h\"",
                        "error calling parseDuration: not a valid duration string: \"1.5h\""));
  EXPECT_EQ(Expand("{{ args 1 \"a\" 2.5 }}|{{ (args 1 \"a\").arg1 }}|{{ (args 1).arg5 }}"),
            "map[arg0:1 arg1:a arg2:2.5]|a|<no value>");
  EXPECT_EQ(Expand("{{ toTime 1435065584.128 }}|{{ (toTime 1435065584).Unix }}|"
                   "{{ (toTime 1435065584.5).UnixMilli }}|"
                   "{{ (toTime 1435065584).Format \"2006-01-02T15:04:05Z07:00 Mon Jan _2\" }}"),
            "2015-06-23 13:19:44.128 +0000 UTC|1435065584|1435065584500|"
            "2015-06-23T13:19:44Z Tue Jun 23");
  EXPECT_EQ(Expand("{{ toTime \"x\" }}"),
            ExecErrorAt(3, "toTime \"x\"",
                        "error calling toTime: strconv.ParseFloat: parsing \"x\": invalid syntax"));
}

TEST(PrometheusTemplate, QueryThroughTheCallersFunction) {
  PrometheusContext ctx;
  std::vector<std::string> asked;
  ctx.query = [&asked](std::string_view q, std::vector<QuerySample>* out, std::string* error) {
    asked.emplace_back(q);
    if (q == "broken(") {
      *error = "1:8: parse error: unclosed left parenthesis";
      return false;
    }
    if (q == "none") return true;
    out->push_back({{{"__name__", "up"}, {"job", "b"}, {"__value__", "two"}}, 2});
    out->push_back({{{"__name__", "up"}, {"job", "a"}}, 1.5});
    return true;
  };
  EXPECT_EQ(Expand("{{ with query \"up\" }}{{ . | first | value }} {{ . | first | label \"job\" }} "
                   "{{ . | first | strvalue }} {{ len . }}{{ end }}",
                   1, ctx),
            "2 b two 2");
  EXPECT_EQ(Expand("{{ range query \"up\" | sortByLabel \"job\" }}{{ .Labels.job }}={{ .Value }} "
                   "{{ end }}",
                   1, ctx),
            "a=1.5 b=2 ");
  EXPECT_EQ(
      Expand("{{ query \"none\" | first }}", 1, ctx),
      ExecErrorAt(18, "first", "error calling first: first() called on vector with no elements"));
  EXPECT_EQ(Expand("{{ query \"broken(\" }}", 1, ctx),
            ExecErrorAt(3, "query \"broken(\"",
                        "error calling query: 1:8: parse error: unclosed left parenthesis"));
  EXPECT_EQ(asked, (std::vector<std::string>{"up", "up", "none", "broken("}));
  // Without a query function the template fails instead of guessing.
  EXPECT_EQ(Expand("{{ query \"up\" }}"),
            ExecErrorAt(3, "query \"up\"", "error calling query: query function not available"));
  // label/value/first check their argument types as Go does.
  EXPECT_EQ(Expand("{{ value 1 }}", 1, ctx),
            ExecErrorAt(9, "1", "can't handle 1 for arg of type *template.sample"));
  EXPECT_EQ(Expand("{{ first $labels }}", 1, ctx),
            ExecErrorAt(9, "$labels",
                        "wrong type for value; expected template.queryResult; got "
                        "map[string]string"));
}

TEST(PrometheusTemplate, AlertConventions) {
  // $labels, $value, $externalLabels and their field forms; missing labels read as "".
  EXPECT_EQ(Expand("{{ $labels.job }}/{{ .Labels.instance }}/{{ $value }}/{{ .Value }}/"
                   "{{ $externalLabels.cluster }}/[{{ $labels.nope }}]",
                   1e6),
            "api/host.example.com:9090/1e+06/1e+06/eu1/[]");
  EXPECT_EQ(Expand("{{ . }}", 0.5),
            "{map[__name__:up instance:host.example.com:9090 job:api] map[cluster:eu1]  0.5}");
  // Without an external URL (as in promtool) $externalURL is empty and the functions fail.
  EXPECT_EQ(Expand("[{{ $externalURL }}]"), "[]");
  EXPECT_EQ(Expand("{{ externalURL }}"),
            ExecErrorAt(3, "externalURL",
                        "error calling externalURL: runtime error: invalid memory address or nil "
                        "pointer dereference"));
  PrometheusContext ctx;
  ctx.external_url = "https://prom.example.com/prom%20x/";
  EXPECT_EQ(Expand("{{ $externalURL }} {{ externalURL }} {{ pathPrefix }}", 1, ctx),
            "https://prom.example.com/prom%20x/ https://prom.example.com/prom%20x/ /prom x/");
  // Parse errors are wrapped as Prometheus wraps them.
  EXPECT_EQ(Expand("{{ $labels.x }"),
            "<error expanding template: error parsing template __alert_A: template: __alert_A:1: "
            "unexpected \"}\" in operand>");
  // Execution errors count columns from the start of Prometheus' prepended definitions.
  EXPECT_EQ(Expand("{{ if gt $value 0 }}x{{ end }}"),
            ExecErrorAt(6, "gt $value 0", "error calling gt: incompatible types for comparison"));
  EXPECT_EQ(Expand("{{ .Foo }}"),
            ExecErrorAt(3, ".Foo",
                        "can't evaluate field Foo in type struct { Labels map[string]string; "
                        "ExternalLabels map[string]string; ExternalURL string; Value float64 }"));
}

TEST(PrometheusTemplate, ExpanderReportsAndCountsFailures) {
  std::vector<std::string> lines;
  log::SetCaptureForTesting([&lines](std::string_view line) { lines.emplace_back(line); });
  const ExpansionStats before = GetExpansionStats();
  const AlertTemplateExpander expander("HighLoad", kLabels, 3.5, {}, {});
  std::string out;
  EXPECT_TRUE(expander.TryExpand("{{ $labels.job }} at {{ $value }}", &out));
  EXPECT_EQ(out, "api at 3.5");
  EXPECT_FALSE(expander.TryExpand("{{ nope }}", &out));
  EXPECT_EQ(out,
            "<error expanding template: error parsing template __alert_HighLoad: template: "
            "__alert_HighLoad:1: function \"nope\" not defined>");
  EXPECT_FALSE(expander.TryExpand("{{ humanize \"x\" }}", &out));
  log::SetCaptureForTesting(nullptr);
  const ExpansionStats after = GetExpansionStats();
  EXPECT_EQ(after.expansions - before.expansions, 3u);
  EXPECT_EQ(after.parse_failures - before.parse_failures, 1u);
  EXPECT_EQ(after.execution_failures - before.execution_failures, 1u);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("Expanding alert template failed"), std::string::npos);
  EXPECT_NE(lines[0].find("HighLoad"), std::string::npos);
}

TEST(PrometheusTemplate, CheckLikePromtool) {
  EXPECT_EQ(CheckAlertTemplate("A", "{{ $labels.job }} {{ humanize $value }}"), "");
  EXPECT_EQ(CheckAlertTemplate("A", "{{ $labels.x }"),
            "template: __alert_A:1: unexpected \"}\" in operand");
  EXPECT_EQ(CheckAlertTemplate("HighLoad", "{{ nope }}"),
            "template: __alert_HighLoad:1: function \"nope\" not defined");
  // Execution problems are not parse problems.
  EXPECT_EQ(CheckAlertTemplate("A", "{{ humanize \"x\" }}{{ .Foo }}"), "");
}

TEST(PrometheusTemplate, FunctionMapForOtherCallers) {
  PrometheusContext ctx;
  ctx.external_url = "http://x/";
  const FuncMap funcs = PrometheusFunctions(ctx);
  for (const char* name : {"query",
                           "first",
                           "label",
                           "value",
                           "strvalue",
                           "args",
                           "reReplaceAll",
                           "safeHtml",
                           "match",
                           "title",
                           "toUpper",
                           "toLower",
                           "graphLink",
                           "tableLink",
                           "sortByLabel",
                           "humanize",
                           "humanize1024",
                           "humanizeDuration",
                           "humanizePercentage",
                           "humanizeTimestamp",
                           "toTime",
                           "pathPrefix",
                           "externalURL",
                           "parseDuration",
                           "stripPort",
                           "stripDomain"}) {
    EXPECT_TRUE(funcs.count(name)) << name;
  }
  const auto parsed =
      Template::Parse("n", "{{ .v | humanize }} {{ externalURL }}", DefaultPrometheusFunctions());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.tmpl->Execute(Value::Map({{"v", Value::Float(2048)}}), &funcs).output,
            "2.048k http://x/");
}

}  // namespace
}  // namespace codebot::tmpl
