// A rule file is outside input, and a reload reads it into a running sidecar: the files that used
// to kill the process (stack overflow in the PromQL and template parsers, durations past Go's
// range) must leave it running with its old rules, the failure visible; the huge operator chain
// promtool accepts must load and evaluate on the rule thread; rules nested near the limit must
// be shown and replaced on an HTTP worker's small stack.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/env.h"
#include "tests/support/exporter.h"
#include "tests/support/process.h"

namespace codebot::testing {
namespace {

using Json = nlohmann::json;

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string Record(const std::string& name, const std::string& expr) {
  return "groups:\n- name: g\n  rules:\n  - record: " + name + "\n    expr: '" + expr + "'\n";
}

class HostileRules : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(exporter_.dir().File("rules.yml"), Record("one", "vector(1)"));
    exporter_.Start("global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n");
  }

  Json FindRule(const std::string& name) const {
    // A 300,000-operator rule is printed whole: seconds in a sanitizer build.
    auto response = HttpGet(exporter_.Url("/api/v1/rules"), 60'000);
    if (!response.transport_ok() || response.status != 200) return Json();
    Json body = Json::parse(response.body, nullptr, false);
    if (!body.is_object()) return Json();
    for (const auto& group : body["data"]["groups"]) {
      for (const auto& rule : group["rules"]) {
        if (rule["name"] == name) return rule;
      }
    }
    return Json();
  }

  // The sidecar still runs, answers, and keeps evaluating the rule it had.
  void ExpectStillRunningWithTheOldRule() {
    EXPECT_TRUE(exporter_.process().Running()) << exporter_.Logs();
    EXPECT_EQ(HttpGet(exporter_.Url("/-/healthy")).status, 200);
    const Json rule = FindRule("one");
    ASSERT_TRUE(rule.is_object());
    const std::string last = rule["lastEvaluation"];
    EXPECT_TRUE(WaitFor([&] {
      const Json now = FindRule("one");
      return now.is_object() && now["lastEvaluation"] != last && now["health"] == "ok";
    })) << "the old rule keeps being evaluated";
  }

  // POST /-/reload, waiting as long as a hostile file takes to check: 300,000 chained operators
  // take seconds in an unoptimised sanitizer build.
  http::ClientResponse Reload() {
    return HttpPost(exporter_.Url("/-/reload"), "", "application/json", 120'000);
  }

  Exporter exporter_;
};

TEST_F(HostileRules, ReloadsOfFilesThatUsedToKillTheProcessKeepTheOldRules) {
  ASSERT_TRUE(WaitFor([&] { return FindRule("one").is_object(); })) << exporter_.Logs();

  // SIGHUP with 100,000 nested parentheses (promtool accepts them; we used to die of SIGSEGV).
  WriteFile(exporter_.dir().File("rules.yml"),
            Record("bad", Repeat("(", 100'000) + "x" + Repeat(")", 100'000)));
  exporter_.process().Signal(SIGHUP);
  ASSERT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_rules_last_reload_successful") == 0.0;
  })) << exporter_.Logs();
  ExpectStillRunningWithTheOldRule();
  EXPECT_NE(exporter_.Logs().find("expression nests too deeply (limit 1000)"), std::string::npos);

  // The same through /-/reload, for every other kind: nested template ifs, subqueries of
  // subqueries, a duration past Go's range.
  const std::string alert_with_ifs =
      "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    annotations:\n"
      "      a: '" +
      Repeat("{{if true}}", 100'000) + Repeat("{{end}}", 100'000) + "'\n";
  for (const auto& [text, error] : std::vector<std::pair<std::string, std::string>>{
           {alert_with_ifs, "max expression depth exceeded"},
           {Record("bad", "x" + Repeat("[1m:1m]", 100'000)), "expression nests too deeply"},
           {Record("bad", "x[1y:1ms] offset 300y"), "duration out of range"}}) {
    WriteFile(exporter_.dir().File("rules.yml"), text);
    const auto response = Reload();
    EXPECT_EQ(response.status, 500);
    EXPECT_NE(response.body.find(error), std::string::npos) << response.body;
    ExpectStillRunningWithTheOldRule();
  }

  // 300,000 chained operators load, as in promtool, and evaluate on the rule thread.
  WriteFile(exporter_.dir().File("rules.yml"),
            Record("one", "vector(1)") + "  - record: chain\n    expr: '" +
                Repeat("vector(1) + ", 300'000) + "vector(1)'\n");
  const auto response = Reload();
  EXPECT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(WaitFor([&] {
    const Json rule = FindRule("chain");
    return rule.is_object() && rule["health"] == "ok";
  })) << exporter_.Logs();
  EXPECT_TRUE(exporter_.WaitForScrape([](const Scrape& s) {
    return s.Value("codebot_exporter_rules_last_reload_successful") == 1.0;
  }));

  // Rules nested close to the limit are shown at /api/v1/rules and replaced by a reload, both on
  // an HTTP worker's small stack (the first used to kill the sidecar).
  const std::string deep = Repeat("abs(", 900) + "vector(1)" + Repeat(")", 900);
  WriteFile(exporter_.dir().File("rules.yml"),
            Record("one", "vector(1)") + "  - record: deep\n    expr: '" + deep + "'\n");
  EXPECT_EQ(Reload().status, 200);
  ASSERT_TRUE(WaitFor([&] {
    const Json rule = FindRule("deep");
    return rule.is_object() && rule["health"] == "ok" && rule["query"] == deep;
  })) << exporter_.Logs();
  WriteFile(exporter_.dir().File("rules.yml"), Record("one", "vector(1)"));
  EXPECT_EQ(Reload().status, 200);
  ExpectStillRunningWithTheOldRule();
  EXPECT_TRUE(FindRule("deep").is_null());
}

}  // namespace
}  // namespace codebot::testing
