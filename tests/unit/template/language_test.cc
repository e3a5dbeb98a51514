// The Go text/template language over tmpl::Value: every expected string here is what Go 1.19's
// text/template prints for the same template and data (checked against promtool, which embeds
// it, for everything an alert template can reach; see promtool_test.cc).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "exporter/template/template.h"

namespace codebot::tmpl {
namespace {

// Executes text (parsed as "t") with data; a failure comes back as "PARSE: ..." / "EXEC: ...".
std::string Render(std::string_view text, const Value& data = Value(),
                   MissingKey missing_key = MissingKey::kInvalid,
                   std::shared_ptr<const FuncMap> funcs = nullptr,
                   const FuncMap* overrides = nullptr) {
  const ParseResult parsed = Template::Parse("t", text, std::move(funcs), missing_key);
  if (!parsed.ok()) return "PARSE: " + parsed.error;
  const ExecResult result = parsed.tmpl->Execute(data, overrides);
  if (!result.ok()) return "EXEC: " + result.error;
  return result.output;
}

Value Labels2() { return Value::StringMap({{"job", "api"}, {"instance", "host:9090"}}); }

// Alertmanager-shaped notification data: a struct, lists of structs, string maps, and methods
// (.Alerts.Firing) the way Alertmanager's template.Data has them.
Value NotificationData() {
  auto alert = [](std::string status, std::string name, std::string summary) {
    return Value::Struct({{"Status", Value::String(status)},
                          {"Labels", Value::StringMap({{"alertname", name}, {"job", "bot"}})},
                          {"Annotations", Value::StringMap({{"summary", summary}})}},
                         "template.Alert");
  };
  auto methods = std::make_shared<MethodSet>();
  auto filter = [](std::string wanted) {
    return Function{{}, std::nullopt, [wanted](std::vector<Value>& args) {
                      std::vector<Value> kept;
                      for (const Value& a : args[0].AsList().items) {
                        if (a.AsStruct().Field("Status")->AsString() == wanted) kept.push_back(a);
                      }
                      return CallResult::Ok(Value::List(std::move(kept), "template.Alerts"));
                    }};
  };
  methods->by_name["Firing"] = filter("firing");
  methods->by_name["Resolved"] = filter("resolved");
  Value alerts = Value::List(
      {alert("firing", "BotDown", "bot is down"), alert("resolved", "DbSlow", "db was slow"),
       alert("firing", "QueueFull", "queue is full")},
      "template.Alerts", methods);
  return Value::Struct({{"Receiver", Value::String("telegram")},
                        {"Status", Value::String("firing")},
                        {"Alerts", alerts},
                        {"CommonLabels", Value::StringMap({{"job", "bot"}})}},
                       "template.Data");
}

TEST(TemplateLanguage, TextAndTrimMarkersAndComments) {
  EXPECT_EQ(Render("plain text"), "plain text");
  EXPECT_EQ(Render("a  {{- \" b \" -}}  c"), "a b c");
  EXPECT_EQ(Render("a \n\t{{- 1 }} \n b"), "a1 \n b");
  EXPECT_EQ(Render("{{ 1 -}} \n x"), "1x");
  EXPECT_EQ(Render("{{-3}}"), "-3");  // no space after '-': a negative number, not a trim marker
  EXPECT_EQ(Render("x{{/* comment */}}y"), "xy");
  EXPECT_EQ(Render("x {{- /* trimmed */ -}} y"), "xy");
  EXPECT_EQ(Render("{{/* a\nmulti-line comment */}}z"), "z");
  EXPECT_EQ(Render(""), "");
}

TEST(TemplateLanguage, FieldChainsOnMapsAndStructs) {
  const Value data =
      Value::Struct({{"Labels", Labels2()}, {"Value", Value::Float(0.5)}}, "struct { ... }");
  EXPECT_EQ(Render("{{ .Labels.job }}/{{ .Value }}", data), "api/0.5");
  EXPECT_EQ(Render("{{ $.Labels.instance }}", data), "host:9090");
  EXPECT_EQ(Render("{{ with .Labels }}{{ .job }}{{ end }}", data), "api");
  // A key absent from a map: Go's default prints "<no value>", missingkey=zero the zero value.
  EXPECT_EQ(Render("{{ .Labels.nope }}", data), "<no value>");
  EXPECT_EQ(Render("[{{ .Labels.nope }}]", data, MissingKey::kZero), "[]");
  EXPECT_EQ(Render("{{ .Labels.nope }}", data, MissingKey::kError),
            "EXEC: template: t:1:10: executing \"t\" at <.Labels.nope>: map has no entry for key "
            "\"nope\"");
  EXPECT_EQ(Render("{{ .Nope }}", data),
            "EXEC: template: t:1:3: executing \"t\" at <.Nope>: can't evaluate field Nope in type "
            "struct { ... }");
  // Fields of a missing value are missing too.
  EXPECT_EQ(Render("{{ .a.b.c }}", Value::Map({})), "<no value>");
  EXPECT_EQ(Render("{{ .Labels.job.x }}", data),
            "EXEC: template: t:1:10: executing \"t\" at <.Labels.job.x>: can't evaluate field x "
            "in type string");
}

TEST(TemplateLanguage, Variables) {
  EXPECT_EQ(Render("{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}"), "12");
  // Assignment inside a block changes the outer variable; declarations end with the block.
  EXPECT_EQ(Render("{{ $x := 1 }}{{ if true }}{{ $x = 3 }}{{ $y := 9 }}{{ $y }}{{ end }}{{ $x }}"),
            "93");
  EXPECT_EQ(Render("{{ if true }}{{ $y := 9 }}{{ end }}{{ $y }}"),
            "PARSE: template: t:1: undefined variable \"$y\"");
  EXPECT_EQ(Render("{{ $ }}", Value::Int(7)), "7");
  EXPECT_EQ(Render("{{ $m := . }}{{ $m.job }}", Labels2()), "api");
  // A declaration prints nothing.
  EXPECT_EQ(Render("a{{ $x := \"v\" }}b"), "ab");
}

TEST(TemplateLanguage, PipelinesAndParentheses) {
  EXPECT_EQ(Render("{{ \"a\" | printf \"%s-%s\" \"b\" }}"), "b-a");
  EXPECT_EQ(Render("{{ .job | printf \"%q\" | len }}", Labels2()), "5");
  EXPECT_EQ(Render("{{ (printf \"%d\" 42) }}|{{ len (print \"ab\" \"cd\") }}"), "42|4");
  EXPECT_EQ(Render("{{ (index . \"job\") | printf \"<%s>\" }}", Labels2()), "<api>");
  EXPECT_EQ(Render("{{ 1 | 2 }}"),
            "PARSE: template: t:1: non executable command in pipeline stage 2");
}

TEST(TemplateLanguage, IfElseIfElse) {
  const std::string text =
      "{{ if eq . 1 }}one{{ else if eq . 2 }}two{{ else if eq . 3 }}three{{ else }}many{{ end }}";
  EXPECT_EQ(Render(text, Value::Int(1)), "one");
  EXPECT_EQ(Render(text, Value::Int(2)), "two");
  EXPECT_EQ(Render(text, Value::Int(3)), "three");
  EXPECT_EQ(Render(text, Value::Int(4)), "many");
}

TEST(TemplateLanguage, GoTruthiness) {
  const std::string text = "{{ if . }}T{{ else }}F{{ end }}";
  EXPECT_EQ(Render(text, Value()), "F");
  EXPECT_EQ(Render(text, Value::Nil()), "F");
  EXPECT_EQ(Render(text, Value::Bool(false)), "F");
  EXPECT_EQ(Render(text, Value::Int(0)), "F");
  EXPECT_EQ(Render(text, Value::Float(0.0)), "F");
  EXPECT_EQ(Render(text, Value::Float(std::nan(""))), "T");  // NaN != 0
  EXPECT_EQ(Render(text, Value::String("")), "F");
  EXPECT_EQ(Render(text, Value::String("0")), "T");
  EXPECT_EQ(Render(text, Value::List({})), "F");
  EXPECT_EQ(Render(text, Value::List({Value::Int(0)})), "T");
  EXPECT_EQ(Render(text, Value::Map({})), "F");
  EXPECT_EQ(Render(text, Value::Struct({}, "struct {}")), "T");
}

TEST(TemplateLanguage, RangeOverListsAndMaps) {
  const Value list = Value::List({Value::String("a"), Value::String("b"), Value::String("c")});
  EXPECT_EQ(Render("{{ range . }}[{{ . }}]{{ end }}", list), "[a][b][c]");
  EXPECT_EQ(Render("{{ range $i, $e := . }}{{ $i }}={{ $e }} {{ end }}", list), "0=a 1=b 2=c ");
  EXPECT_EQ(Render("{{ range $e := . }}{{ $e }}{{ end }}", list), "abc");
  // Maps iterate in sorted key order whatever the insertion order.
  const Value map = Value::StringMap({{"zeta", "1"}, {"alpha", "2"}, {"mid", "3"}});
  EXPECT_EQ(Render("{{ range $k, $v := . }}{{ $k }}:{{ $v }};{{ end }}", map),
            "alpha:2;mid:3;zeta:1;");
  EXPECT_EQ(Render("{{ range . }}{{ . }}{{ end }}", map), "231");
  // else runs for empty and missing collections.
  EXPECT_EQ(Render("{{ range . }}x{{ else }}empty{{ end }}", Value::List({})), "empty");
  EXPECT_EQ(Render("{{ range .nope }}x{{ else }}none{{ end }}", Value::Map({})), "none");
  EXPECT_EQ(Render("{{ range . }}x{{ end }}", Value::Int(5)),
            "EXEC: template: t:1:9: executing \"t\" at <.>: range can't iterate over 5");
  // dot inside range is the element; $ stays the root.
  EXPECT_EQ(Render("{{ range .items }}{{ . }}{{ $.sep }}{{ end }}",
                   Value::Map({{"items", list}, {"sep", Value::String("/")}})),
            "a/b/c/");
}

TEST(TemplateLanguage, BreakAndContinue) {
  const Value list =
      Value::List({Value::Int(1), Value::Int(2), Value::Int(3), Value::Int(4), Value::Int(5)});
  EXPECT_EQ(Render("{{ range . }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}"
                   "{{ end }}{{ . }}{{ end }}",
                   list),
            "13");
  EXPECT_EQ(Render("{{ break }}"), "PARSE: template: t:1: {{break}} outside {{range}}");
  // A break in an inner range leaves only that range.
  EXPECT_EQ(
      Render("{{ range $a := . }}{{ range $b := $ }}{{ if eq $b 2 }}{{ break }}{{ end }}{{ $a }}"
             "{{ $b }} {{ end }}{{ end }}",
             Value::List({Value::Int(1), Value::Int(2)})),
      "11 21 ");
}

TEST(TemplateLanguage, WithElse) {
  EXPECT_EQ(Render("{{ with .job }}job={{ . }}{{ else }}none{{ end }}", Labels2()), "job=api");
  EXPECT_EQ(Render("{{ with .nope }}x{{ else }}none{{ end }}", Labels2()), "none");
}

TEST(TemplateLanguage, DefineTemplateBlock) {
  EXPECT_EQ(Render("{{ define \"item\" }}<{{ . }}>{{ end }}{{ template \"item\" \"x\" }}"
                   "{{ template \"item\" }}"),
            "<x><<no value>>");
  EXPECT_EQ(Render("{{ block \"b\" .job }}[{{ . }}]{{ end }}", Labels2()), "[api]");
  // A defined template sees only its own dot: no variables leak in.
  EXPECT_EQ(Render("{{ define \"v\" }}{{ $x }}{{ end }}{{ $x := 1 }}{{ template \"v\" }}"),
            "PARSE: template: t:1: undefined variable \"$x\"");
  EXPECT_EQ(Render("{{ template \"missing\" }}"),
            "EXEC: template: t:1:12: executing \"t\" at <{{template \"missing\"}}>: template "
            "\"missing\" not defined");
  // An error inside a called template names that template.
  EXPECT_EQ(Render("{{ define \"sub\" }}\n{{ .x.y }}{{ end }}{{ template \"sub\" . }}",
                   Value::Map({{"x", Value::String("s")}})),
            "EXEC: template: t:2:5: executing \"sub\" at <.x.y>: can't evaluate field y in type "
            "string");
  const auto parsed = Template::Parse("set", "{{ define \"a\" }}A{{ .n }}{{ end }}");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed.tmpl->HasTemplate("a"));
  EXPECT_EQ(parsed.tmpl->ExecuteTemplate("a", Value::Map({{"n", Value::Int(1)}})).output, "A1");
  EXPECT_EQ(parsed.tmpl->ExecuteTemplate("zz", Value()).error,
            "template: no template \"zz\" associated with template \"set\"");
  // Runaway recursion stops with an error instead of exhausting the stack.
  EXPECT_NE(Render("{{ define \"r\" }}{{ template \"r\" }}{{ end }}{{ template \"r\" }}")
                .find("exceeded maximum template depth"),
            std::string::npos);
}

TEST(TemplateLanguage, Literals) {
  EXPECT_EQ(Render("{{ \"a\\tb\\u00e9\\x41\\101\\\\\" }}"), "a\tbéAA\\");
  EXPECT_EQ(Render("{{ `raw\\n \"x\"` }}"), "raw\\n \"x\"");
  EXPECT_EQ(Render("{{ 0x1F }} {{ 017 }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ +3 }} {{ -7 }}"),
            "31 15 15 5 1000 3 -7");
  EXPECT_EQ(Render("{{ 1e3 }} {{ .5 }} {{ -.5 }} {{ 1. }} {{ 0x1p4 }} {{ 1.0 }}"),
            "1000 0.5 -0.5 1 16 1");
  EXPECT_EQ(Render("{{ 'a' }} {{ '\\n' }} {{ 'é' }} {{ '\\u00e9' }}"), "97 10 233 233");
  EXPECT_EQ(Render("{{ true }} {{ false }}"), "true false");
  EXPECT_EQ(Render("{{ print nil }}"), "<nil>");
  EXPECT_EQ(Render("{{ 1+2i }} {{ 2i }}"), "(1+2i) (0+2i)");
  EXPECT_EQ(Render("{{ nil }}"),
            "EXEC: template: t:1:3: executing \"t\" at <nil>: nil is not a command");
  EXPECT_EQ(Render("{{ 99999999999999999999 }}"),
            "PARSE: template: t:1: integer overflow: \"99999999999999999999\"");
  EXPECT_EQ(Render("{{ 18446744073709551615 }}"),
            "EXEC: template: t:1:3: executing \"t\" at <18446744073709551615>: "
            "18446744073709551615 overflows int");
}

TEST(TemplateLanguage, PrintsValuesLikeGoFmt) {
  EXPECT_EQ(Render("{{ . }}", Value::Float(1e6)), "1e+06");
  EXPECT_EQ(Render("{{ . }}", Value::Float(123456)), "123456");
  EXPECT_EQ(Render("{{ . }}", Value::Float(1234567)), "1.234567e+06");
  EXPECT_EQ(Render("{{ . }}", Value::Float(0.0001)), "0.0001");
  EXPECT_EQ(Render("{{ . }}", Value::Float(0.00001)), "1e-05");
  EXPECT_EQ(Render("{{ . }}", Value::Float(1e21)), "1e+21");
  EXPECT_EQ(Render("{{ . }}", Value::Float(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(Render("{{ . }}", Value::Float(-0.0)), "-0");
  EXPECT_EQ(Render("{{ . }}", Value::Float(std::nan(""))), "NaN");
  EXPECT_EQ(Render("{{ . }}", Value::Float(HUGE_VAL)), "+Inf");
  EXPECT_EQ(Render("{{ . }}", Value::Float(-HUGE_VAL)), "-Inf");
  EXPECT_EQ(Render("{{ . }}", Value::Int(-42)), "-42");
  EXPECT_EQ(Render("{{ . }}", Labels2()), "map[instance:host:9090 job:api]");
  EXPECT_EQ(Render("{{ . }}", Value::List({Value::Int(1), Value::String("a"), Value::Nil(),
                                           Value::Float(2.5)})),
            "[1 a <nil> 2.5]");
  EXPECT_EQ(
      Render("{{ . }}",
             Value::Struct({{"A", Value::Int(1)}, {"B", Value::String("")}, {"C", Value::Map({})}},
                           "struct")),
      "{1  map[]}");
  EXPECT_EQ(Render("{{ . }}", Value::Struct({{"A", Value::Int(1)}}, "*T", true)), "&{1}");
  EXPECT_EQ(
      Render("{{ . }}", Value::Struct({}, "*time.Time", true, "2015-06-23 13:19:44 +0000 UTC")),
      "2015-06-23 13:19:44 +0000 UTC");
  EXPECT_EQ(Render("{{ . }}"), "<no value>");
}

TEST(TemplateLanguage, BuiltinLogic) {
  EXPECT_EQ(Render("{{ and 1 0 \"x\" }}|{{ and 1 2 }}|{{ or 0 \"\" \"z\" }}|{{ or 0 \"\" }}|"
                   "{{ not 0 }}|{{ not \"a\" }}"),
            "0|2|z||true|false");
  // and/or stop at the first deciding argument: the erroring index is never evaluated.
  EXPECT_EQ(Render("{{ and false (index . 1) }}|{{ or true (index . 1) }}", Labels2()),
            "false|true");
  EXPECT_EQ(Render("{{ and true (index . 1) }}", Labels2()),
            "EXEC: template: t:1:13: executing \"t\" at <index . 1>: error calling index: value "
            "has type int; should be string");
}

TEST(TemplateLanguage, BuiltinComparisons) {
  EXPECT_EQ(Render("{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} "
                   "{{ gt 1.5 1.2 }} {{ ge \"b\" \"a\" }} {{ lt \"B\" \"a\" }}"),
            "true true true true true true true true");
  // Go compares only values of the same basic kind: int against float64 is an error.
  EXPECT_EQ(Render("{{ gt . 0 }}", Value::Float(5)),
            "EXEC: template: t:1:3: executing \"t\" at <gt . 0>: error calling gt: incompatible "
            "types for comparison");
  EXPECT_EQ(Render("{{ gt . 0.0 }}", Value::Float(5)), "true");
  EXPECT_EQ(Render("{{ lt true false }}"),
            "EXEC: template: t:1:3: executing \"t\" at <lt true false>: error calling lt: invalid "
            "type for comparison");
  EXPECT_EQ(Render("{{ eq \"a\" }}"),
            "EXEC: template: t:1:3: executing \"t\" at <eq \"a\">: error calling eq: missing "
            "argument for comparison");
  // A missing value equals nothing and raises no error.
  EXPECT_EQ(Render("{{ eq .nope \"x\" }} {{ eq .nope .other }}", Value::Map({})), "false true");
  EXPECT_EQ(Render("{{ eq . . }}", Labels2()),
            "EXEC: template: t:1:3: executing \"t\" at <eq . .>: error calling eq: non-comparable "
            "type map[instance:host:9090 job:api]: map[string]string");
  // gt is "not le", so NaN compares greater than anything, as in Go.
  EXPECT_EQ(Render("{{ gt . 1.0 }} {{ lt . 1.0 }}", Value::Float(std::nan(""))), "true false");
}

TEST(TemplateLanguage, BuiltinIndexSliceLen) {
  const Value data = Value::Map(
      {{"list", Value::List({Value::String("a"), Value::String("b")})}, {"labels", Labels2()}});
  EXPECT_EQ(
      Render("{{ index .list 1 }} {{ index .labels \"job\" }} [{{ index .labels \"x\" }}]", data),
      "b api []");
  EXPECT_EQ(Render("{{ index \"abc\" 1 }}"), "98");
  EXPECT_EQ(Render("{{ index .list 2 }}", data),
            "EXEC: template: t:1:3: executing \"t\" at <index .list 2>: error calling index: "
            "reflect: slice index out of range");
  EXPECT_EQ(Render("{{ index .list 5 }}", data),
            "EXEC: template: t:1:3: executing \"t\" at <index .list 5>: error calling index: index "
            "out of range: 5");
  EXPECT_EQ(Render("{{ index nil 1 }}"),
            "EXEC: template: t:1:3: executing \"t\" at <index nil 1>: error calling index: index "
            "of untyped nil");
  EXPECT_EQ(Render("{{ slice \"abcdef\" 1 3 }} {{ slice \"abcdef\" 2 }} {{ slice .list 1 }}", data),
            "bc cdef [b]");
  EXPECT_EQ(Render("{{ slice \"abc\" 2 1 }}"),
            "EXEC: template: t:1:3: executing \"t\" at <slice \"abc\" 2 1>: error calling slice: "
            "invalid slice index: 2 > 1");
  EXPECT_EQ(Render("{{ len .list }} {{ len .labels }} {{ len \"héllo\" }}", data), "2 2 6");
  EXPECT_EQ(
      Render("{{ len 3 }}"),
      "EXEC: template: t:1:3: executing \"t\" at <len 3>: error calling len: len of type int");
}

TEST(TemplateLanguage, BuiltinPrintAndEscapes) {
  EXPECT_EQ(Render("{{ print \"a\" 1 2 \"b\" 3.5 true nil }}"), "a1 2b3.5 true <nil>");
  EXPECT_EQ(Render("{{ println 1 \"x\" 2 }}"), "1 x 2\n");
  EXPECT_EQ(
      Render("{{ printf \"%5.2f|%-4d|%05d|%x|%q|%v|%t|%e\" 3.14159 42 -42 255 \"hi\" nil true "
             "1234.5678 }}"),
      " 3.14|42  |-0042|ff|\"hi\"|<nil>|true|1.234568e+03");
  EXPECT_EQ(Render("{{ html \"<a href=\\\"x\\\">'&</a>\" }}"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&lt;/a&gt;");
  EXPECT_EQ(Render("{{ js \"a=b<c>'\\\"\\\\&\\n\" }}"),
            "a\\u003Db\\u003Cc\\u003E\\'\\\"\\\\\\u0026\\u000A");
  EXPECT_EQ(Render("{{ urlquery \"a b&c=d/é~-_.\" }}"), "a+b%26c%3Dd%2F%C3%A9~-_.");
  EXPECT_EQ(Render("{{ html 1 2 }} {{ urlquery nil }}"), "1 2 %3Cno+value%3E");
  EXPECT_EQ(Render("{{ call 1 }}"),
            "EXEC: template: t:1:3: executing \"t\" at <call 1>: error calling call: non-function "
            "of type int");
}

TEST(TemplateLanguage, ArgumentErrors) {
  EXPECT_EQ(Render("{{ printf }}"),
            "EXEC: template: t:1:3: executing \"t\" at <printf>: wrong number of args for printf: "
            "want at least 1 got 0");
  EXPECT_EQ(Render("{{ not 1 2 }}"),
            "EXEC: template: t:1:3: executing \"t\" at <not>: wrong number of args for not: want 1 "
            "got 2");
  EXPECT_EQ(Render("{{ printf 1 }}"),
            "EXEC: template: t:1:10: executing \"t\" at <1>: expected string; found 1");
  EXPECT_EQ(Render("{{ .job 1 }}", Labels2()),
            "EXEC: template: t:1:3: executing \"t\" at <.job>: job is not a method but has "
            "arguments");
  EXPECT_EQ(
      Render("{{ $x := 1 }}{{ $x 2 }}"),
      "EXEC: template: t:1:16: executing \"t\" at <$x>: can't give argument to non-function $x");
  EXPECT_EQ(Render("{{ nope }}"), "PARSE: template: t:1: function \"nope\" not defined");
}

TEST(TemplateLanguage, UserFunctionsAndOverrides) {
  auto funcs = std::make_shared<FuncMap>();
  (*funcs)["twice"] =
      Function{{Param::Of(ParamType::kString)}, std::nullopt, [](std::vector<Value>& args) {
                 return CallResult::Ok(Value::String(args[0].AsString() + args[0].AsString()));
               }};
  (*funcs)["greet"] = Function{
      {}, std::nullopt, [](std::vector<Value>&) { return CallResult::Ok(Value::String("hello")); }};
  (*funcs)["fail"] =
      Function{{}, std::nullopt, [](std::vector<Value>&) { return CallResult::Error("boom"); }};
  EXPECT_EQ(Render("{{ twice \"ab\" }} {{ \"x\" | twice }} {{ greet }}", Value(),
                   MissingKey::kInvalid, funcs),
            "abab xx hello");
  EXPECT_EQ(Render("{{ twice 1.5 }}", Value(), MissingKey::kInvalid, funcs),
            "EXEC: template: t:1:9: executing \"t\" at <1.5>: expected string; found 1.5");
  EXPECT_EQ(Render("{{ twice . }}", Value::Float(1), MissingKey::kInvalid, funcs),
            "EXEC: template: t:1:9: executing \"t\" at <.>: wrong type for value; expected string; "
            "got float64");
  EXPECT_EQ(Render("{{ fail }}", Value(), MissingKey::kInvalid, funcs),
            "EXEC: template: t:1:3: executing \"t\" at <fail>: error calling fail: boom");
  // Functions given at execution replace those known at parse time, for that execution only.
  FuncMap overrides;
  overrides["greet"] = Function{{}, std::nullopt, [](std::vector<Value>&) {
                                  return CallResult::Ok(Value::String("bonjour"));
                                }};
  EXPECT_EQ(Render("{{ greet }}", Value(), MissingKey::kInvalid, funcs, &overrides), "bonjour");
  EXPECT_EQ(Render("{{ greet }}", Value(), MissingKey::kInvalid, funcs), "hello");
}

TEST(TemplateLanguage, NotificationShapedData) {
  const std::string text =
      "{{ .Status | toUpperLike }}[{{ len .Alerts.Firing }}] to {{ .Receiver }}\n"
      "{{ range .Alerts.Firing }}- {{ .Labels.alertname }}: {{ .Annotations.summary }}\n{{ end }}"
      "{{ range .Alerts.Resolved }}resolved {{ .Labels.alertname }}{{ end }}"
      "{{ with .CommonLabels }} (job {{ .job }}){{ end }}";
  auto funcs = std::make_shared<FuncMap>();
  (*funcs)["toUpperLike"] =
      Function{{Param::Of(ParamType::kString)}, std::nullopt, [](std::vector<Value>& args) {
                 return CallResult::Ok(Value::String("[" + args[0].AsString() + "]"));
               }};
  EXPECT_EQ(Render(text, NotificationData(), MissingKey::kInvalid, funcs),
            "[firing][2] to telegram\n- BotDown: bot is down\n- QueueFull: queue is full\n"
            "resolved DbSlow (job bot)");
  // A method does not take arguments it does not declare.
  EXPECT_EQ(Render("{{ .Alerts.Firing 1 }}", NotificationData()),
            "EXEC: template: t:1:10: executing \"t\" at <.Alerts.Firing>: wrong number of args for "
            "Firing: want 0 got 1");
}

TEST(TemplateLanguage, ParsedTemplateIsSharedAcrossThreads) {
  const auto parsed =
      Template::Parse("t", "{{ range $k, $v := . }}{{ $k }}={{ $v | printf \"%q\" }};{{ end }}");
  ASSERT_TRUE(parsed.ok());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Value data = Value::StringMap({{"n", std::to_string(t)}});
      const std::string want = "n=\"" + std::to_string(t) + "\";";
      for (int i = 0; i < 500; ++i) {
        if (parsed.tmpl->Execute(data).output != want) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace codebot::tmpl
