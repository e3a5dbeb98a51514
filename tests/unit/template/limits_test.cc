// What the template engine does with hostile templates (found by hand and by
// fuzz/template_fuzz.cc): tens of thousands of nested {{if}}s, {{with}}s or parentheses used to
// overflow the stack and kill `check rules` (promtool accepts them); now nesting stops at a limit
// with Go's "max expression depth exceeded", and execution, which can nest further through
// {{template}} calls, stops at its own limit.
#include <gtest/gtest.h>
#include <pthread.h>

#include <functional>
#include <memory>
#include <string>

#include "exporter/template/prometheus.h"
#include "exporter/template/template.h"

namespace codebot::tmpl {
namespace {

// Runs fn on a thread with a large stack: sanitizer builds use several times a release build's
// stack per level, and these tests go right up to the limits (about 1.5 MiB in release).
void OnLargeStack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{256} << 20);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, run, const_cast<std::function<void()>*>(&fn)), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// "PARSE: error", "EXEC: error" or the output.
std::string Render(const std::string& text) {
  const auto parsed = Template::Parse("t", text);
  if (!parsed.ok()) return "PARSE: " + parsed.error;
  const ExecResult result = parsed.tmpl->Execute(Value::Map({{"a", Value::Int(1)}}));
  if (!result.ok()) return "EXEC: " + result.error;
  return result.output;
}

TEST(TemplateLimits, NestingStopsAtTheLimitWithGoError) {
  OnLargeStack([] {
    const std::string too_deep = "PARSE: template: t:1: max expression depth exceeded";
    // 1000 levels parse and run...
    EXPECT_EQ(Render(Repeat("{{if true}}", 1000) + "x" + Repeat("{{end}}", 1000)), "x");
    EXPECT_EQ(Render(Repeat("{{with 1}}", 1000) + "{{.}}" + Repeat("{{end}}", 1000)), "1");
    EXPECT_EQ(Render("{{" + Repeat("(", 1000) + "1" + Repeat(")", 1000) + "}}"), "1");
    // ... and anything deeper is an error, however deep (these used to crash).
    for (size_t n : {1001, 10'000, 100'000}) {
      EXPECT_EQ(Render(Repeat("{{if true}}", n) + "x" + Repeat("{{end}}", n)), too_deep);
      EXPECT_EQ(Render(Repeat("{{range $x := .}}", n) + "x" + Repeat("{{end}}", n)), too_deep);
      EXPECT_EQ(Render("{{" + Repeat("(", n) + "1" + Repeat(")", n) + "}}"), too_deep);
      EXPECT_EQ(Render("{{if 1}}{{else if 0}}" + Repeat("{{else if 0}}", n) + "{{end}}"), too_deep);
    }
    // Every kind counts towards one bound, {{block}} and {{define}} bodies included.
    EXPECT_EQ(
        Render(Repeat("{{if true}}{{with 1}}", 500) + "{{(1)}}" + Repeat("{{end}}{{end}}", 500)),
        too_deep);
    EXPECT_EQ(
        Render("{{define \"d\"}}" + Repeat("{{if 1}}", 1001) + Repeat("{{end}}", 1001) + "{{end}}"),
        too_deep);
    // What `check rules` reports for such an annotation (it used to die of SIGSEGV).
    EXPECT_EQ(CheckAlertTemplate("A", Repeat("{{if true}}", 50'000) + Repeat("{{end}}", 50'000)),
              "template: __alert_A:1: max expression depth exceeded");
  });
}

TEST(TemplateLimits, DeepTemplatesAreFreedOnASmallStack) {
  // A parsed template dies wherever its last owner lets go, possibly on an HTTP worker's
  // stack of about 100 KiB; freeing 1000 nested levels used to recurse once per level.
  std::shared_ptr<const Template> tmpl;
  OnLargeStack([&] {
    auto parsed = Template::Parse(
        "t", Repeat("{{if true}}{{with (print (print 1))}}", 240) + Repeat("{{end}}{{end}}", 240));
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    tmpl = parsed.tmpl;
  });
  ASSERT_TRUE(tmpl);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{64} << 10);
  pthread_t thread;
  auto release = [](void* arg) -> void* {
    static_cast<std::shared_ptr<const Template>*>(arg)->reset();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, release, &tmpl), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_FALSE(tmpl);
}

TEST(TemplateLimits, ExecutionNestingThroughTemplateCallsStops) {
  OnLargeStack([] {
    // Each call adds its body's nesting: 10 levels per call would reach 10,000 after 1000
    // calls. Execution stops at 1000 levels in all.
    const std::string nested_recursion = "{{define \"r\"}}" + Repeat("{{if true}}", 10) +
                                         "{{template \"r\"}}" + Repeat("{{end}}", 10) +
                                         "{{end}}{{template \"r\"}}";
    const std::string result = Render(nested_recursion);
    EXPECT_EQ(result.rfind("EXEC: template: t:1:", 0), 0u) << result;
    EXPECT_NE(result.find("exceeded maximum template nesting (1000)"), std::string::npos) << result;
    // Plain recursion keeps Go's message and its own bound.
    EXPECT_NE(Render("{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}")
                  .find("exceeded maximum template depth (1000)"),
              std::string::npos);
    // Deep but bounded: 80 calls, each a level itself and 10 in its body, run to the end.
    std::string chain;
    for (int i = 0; i < 80; ++i) {
      chain += "{{define \"t" + std::to_string(i) + "\"}}" + Repeat("{{if true}}", 10) +
               (i + 1 < 80 ? "{{template \"t" + std::to_string(i + 1) + "\"}}" : "end") +
               Repeat("{{end}}", 10) + "{{end}}";
    }
    EXPECT_EQ(Render(chain + "{{template \"t0\"}}"), "end");
  });
}

}  // namespace
}  // namespace codebot::tmpl
