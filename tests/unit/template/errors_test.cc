// Error texts with positions, as Go's text/template words them: parse errors carry the line,
// execution errors "name:line:column" (0-based byte column) and the text of the failing node.
// Every case was checked against promtool 2.42 (promtool_test.cc re-checks them on each run).
#include <gtest/gtest.h>

#include <random>

#include "exporter/template/template.h"

namespace codebot::tmpl {
namespace {

std::string ParseError(std::string_view text) { return Template::Parse("t", text).error; }

std::string ExecError(std::string_view text, const Value& data) {
  const ParseResult parsed = Template::Parse("t", text);
  if (!parsed.ok()) return "unexpected parse error: " + parsed.error;
  return parsed.tmpl->Execute(data).error;
}

struct ParseCase {
  const char* text;
  const char* error;
};

class TemplateParseErrors : public ::testing::TestWithParam<ParseCase> {};

TEST_P(TemplateParseErrors, MatchGo) {
  EXPECT_EQ(ParseError(GetParam().text), GetParam().error) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Go, TemplateParseErrors,
    ::testing::Values(
        ParseCase{"{{ .x }", "template: t:1: unexpected \"}\" in operand"},
        ParseCase{"{{.x}", "template: t:1: bad character U+007D '}'"},
        ParseCase{"{{ if }}{{ end }}", "template: t:1: missing value for if"},
        ParseCase{"{{ }}", "template: t:1: missing value for command"},
        ParseCase{"{{ nope }}", "template: t:1: function \"nope\" not defined"},
        ParseCase{"{{ $x }}", "template: t:1: undefined variable \"$x\""},
        ParseCase{"{{ if true }}", "template: t:1: unexpected EOF"},
        ParseCase{"{{ end }}", "template: t:1: unexpected {{end}}"},
        ParseCase{"{{ else }}", "template: t:1: unexpected {{else}}"},
        ParseCase{"a\n{{ .Labels\n.x\n}", "template: t:4: unexpected \"}\" in operand"},
        ParseCase{"{{ 1 | 2 }}", "template: t:1: non executable command in pipeline stage 2"},
        ParseCase{"{{ $x+2 }}", "template: t:1: bad character U+002B '+'"},
        ParseCase{"{{ $+2 }}", "template: t:1: bad character U+002B '+'"},
        ParseCase{"{{ \"abc }}", "template: t:1: unterminated quoted string"},
        ParseCase{"{{ 1x }}", "template: t:1: bad number syntax: \"1x\""},
        ParseCase{"{{ ) }}", "template: t:1: unexpected \")\" in command"},
        ParseCase{"{{ (1 }}", "template: t:1: unclosed left paren"},
        ParseCase{"{{ \"x\".y }}", "template: t:1: unexpected . after term \"\\\"x\\\"\""},
        ParseCase{"{{ nil.x }}", "template: t:1: unexpected . after term \"nil\""},
        ParseCase{"{{ range $a, $b, $c := . }}{{end}}",
                  "template: t:1: too many declarations in range"},
        ParseCase{"{{ $a, $b := 1 }}", "template: t:1: too many declarations in command"},
        ParseCase{"{{ range $i, 1 := . }}{{end}}",
                  "template: t:1: range can only initialize variables"},
        ParseCase{"{{ if 1 }}{{ else }}{{ else }}{{ end }}",
                  "template: t:1: expected end; found {{else}}"},
        ParseCase{"{{ with 1 }}{{ else if 2 }}{{ end }}",
                  "template: t:1: unexpected <if> in input"},
        ParseCase{"{{ 99999999999999999999 }}",
                  "template: t:1: integer overflow: \"99999999999999999999\""},
        ParseCase{"{{ 0x }}", "template: t:1: illegal number syntax: \"0x\""},
        ParseCase{"{{ 1.2.3 }}", "template: t:1: unexpected \".3\" in operand"},
        ParseCase{"{{/* c */ }}", "template: t:1: comment ends before closing delimiter"},
        ParseCase{"{{/* unclosed", "template: t:1: unclosed comment"},
        ParseCase{"{{ 'ab' }}", "template: t:1: malformed character constant: 'ab'"},
        ParseCase{"{{ 'a", "template: t:1: unterminated character constant"},
        ParseCase{"{{ \"\\q\" }}", "template: t:1: invalid syntax"},
        ParseCase{"{{ | .x }}", "template: t:1: unexpected \"|\" in command"},
        ParseCase{"{{ 1 := 2 }}", "template: t:1: unexpected \":=\" in operand"},
        ParseCase{"{{ @ }}", "template: t:1: unexpected \"@\" in command"},
        ParseCase{"{{ template x }}", "template: t:1: unexpected \"x\" in template clause"},
        ParseCase{"{{ if 1 }}{{ define \"b\" }}{{ end }}{{ end }}",
                  "template: t:1: unexpected <define> in command"},
        ParseCase{"{{ continue 1 }}", "template: t:1: unexpected \"1\" in {{continue}}"},
        ParseCase{"{{ range . }}{{ else }}{{ break }}{{ end }}",
                  "template: t:1: {{break}} outside {{range}}"},
        ParseCase{"{{ .x\n", "template: t:2: unclosed action started at t:1"},
        ParseCase{"{{ 1 \n }}{{ if \n", "template: t:3: unclosed action started at t:2"},
        ParseCase{"{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}",
                  "template: t:1: template: multiple definition of template \"a\""},
        ParseCase{"{{ block \"b\" }}{{ end }}", "template: t:1: missing value for block clause"},
        ParseCase{"{{ printf \"%d\" \"averyverylongstring\" 1 ) }}",
                  "template: t:1: unexpected \")\" in command"}));

TEST(TemplateParseErrors, AcceptedByGoToo) {
  // These look wrong but Go accepts them, so must we.
  for (const char* text : {"{{ .x | }}", "{{ $x := 1 }}{{ $x = 2 }}", "{{ 1i }}", "{{ .é }}",
                           "{{ .x.y.z }}{{ $.x }}", "{{- /* c */ -}}"}) {
    EXPECT_EQ(ParseError(text), "") << text;
  }
}

TEST(TemplateExecErrors, PositionsAndContext) {
  const Value data = Value::Map({{"s", Value::String("str")}, {"n", Value::Int(3)}});
  EXPECT_EQ(ExecError("line1\n  {{ if true }}\n    {{ .s.x }}\n  {{ end }}", data),
            "template: t:3:9: executing \"t\" at <.s.x>: can't evaluate field x in type string");
  EXPECT_EQ(ExecError("{{ printf \"%d\" (len .n) }}", data),
            "template: t:1:16: executing \"t\" at <len .n>: error calling len: len of type int");
  // An argument that evaluates but has the wrong type is reported at the last node evaluated.
  EXPECT_EQ(ExecError("{{ printf (len .s) }}", data),
            "template: t:1:15: executing \"t\" at <.s>: wrong type for value; expected string; "
            "got int");
  EXPECT_EQ(ExecError("{{ $x = 1 }}", data),
            "template: t:1:8: executing \"t\" at <1>: undefined variable: $x");
  EXPECT_EQ(ExecError("{{ with .s }}{{ .n }}{{ end }}", data),
            "template: t:1:16: executing \"t\" at <.n>: can't evaluate field n in type string");
  EXPECT_EQ(ExecError("{{ (.s).x }}", data),
            "template: t:1:4: executing \"t\" at <.s>: can't evaluate field x in type string");
}

TEST(TemplateRobustness, MangledTemplatesFailCleanly) {
  // Random edits of valid templates: every outcome is output or a Go-shaped error, never a
  // crash (this also runs under ASan/UBSan in CI).
  const std::vector<std::string> corpus = {
      "{{ .a.b }} {{ printf \"%5.2f %s\" .f \"x\" }}",
      "{{ range $k, $v := .m }}{{ $k }}={{ $v }}{{ else }}none{{ end }}",
      "{{ if gt .f 1.0 }}a{{ else if lt .f 0.0 }}b{{ else }}c{{ end }}",
      "{{ define \"t\" }}{{ . }}{{ end }}{{ template \"t\" .m }}{{ block \"b\" 1 }}{{ . }}{{ end "
      "}}",
      "{{- /* c */ -}} {{ (index .m \"k\") | len }} {{ slice \"abc\" 1 }} {{ 'a' }} {{ 0x1f }}",
      "{{ range .l }}{{ if eq . 2 }}{{ break }}{{ end }}{{ continue }}{{ end }}{{ `raw` }} {{ 1+2i "
      "}}",
  };
  const std::string alphabet = "{}()|$.,:=\"'`-+ \n\tabcflmx019_/*%&<>[]\\";
  const Value data = Value::Map({{"a", Value::Map({{"b", Value::Int(1)}})},
                                 {"f", Value::Float(1.5)},
                                 {"m", Value::StringMap({{"k", "v"}})},
                                 {"l", Value::List({Value::Int(1), Value::Int(2)})}});
  std::mt19937 rng(42);
  int parsed_ok = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string text = corpus[rng() % corpus.size()];
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
      const size_t pos = rng() % (text.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          text.insert(pos, 1, c);
          break;
        case 1:
          if (pos < text.size()) text.erase(pos, 1);
          break;
        default:
          if (pos < text.size()) text[pos] = c;
      }
    }
    const ParseResult parsed = Template::Parse("m", text);
    if (!parsed.ok()) {
      ASSERT_EQ(parsed.error.rfind("template: m:", 0), 0u) << parsed.error << " for " << text;
      continue;
    }
    ++parsed_ok;
    const ExecResult result = parsed.tmpl->Execute(data);
    if (!result.ok()) {
      ASSERT_EQ(result.error.rfind("template: m:", 0), 0u) << result.error << " for " << text;
    }
  }
  EXPECT_GT(parsed_ok, 0);  // the edits leave some templates valid, so execution is exercised
}

}  // namespace
}  // namespace codebot::tmpl
