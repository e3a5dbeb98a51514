// Runs Prometheus' own PromQL test scripts (the `.test` files under
// ../shared/conformance/promql/, read in place) against our engine, one gtest case per `eval`,
// named after the upstream file and line ("# case functions.test:8" -> functions_8).
//
// Script format (Prometheus v2.42 promql/test.go): `load <step>` blocks of series in the
// expanding notation, `clear`, and `eval instant at <t> <expr>` / `eval_ordered` / `eval_fail`
// followed by the expected samples. Values match when both are NaN, equal, or within a relative
// error of 1e-6.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/core/duration.h"
#include "exporter/core/labels.h"
#include "exporter/go/strconv.h"
#include "exporter/promql/engine.h"
#include "exporter/promql/label_string.h"
#include "exporter/promql/lexer.h"
#include "exporter/promql/memory_storage.h"
#include "exporter/promql/series_notation.h"
#include "tests/support/env.h"

namespace codebot::promql {
namespace {

namespace fs = std::filesystem;

// Cases we knowingly do not pass, with the reason. Must list exactly what docs/promql.md lists
// under "Conformance exceptions" (checked below). Empty: every case passes.
struct Exception {
  const char* case_id;  // as in CASES.tsv, e.g. "functions.test:8"
  const char* reason;
};
const std::vector<Exception> kExceptions = {};

struct LoadBlock {
  int64_t step_ms = 0;
  std::vector<SeriesDescription> series;  // later lines for the same labels replace earlier ones
};

enum class CaseKind { kEval, kOrdered, kFail };

struct Expected {
  Labels labels;
  double value = 0;
};

struct Case {
  std::string file;     // relative to the conformance folder, e.g. "optional/subquery.test"
  int line = 0;         // of the eval command in that file
  std::string case_id;  // upstream "<file>:<line>" from the "# case" comment
  std::string name;     // gtest-safe
  CaseKind kind = CaseKind::kEval;
  int64_t at_ms = 0;
  std::string expr;
  bool expect_scalar = false;
  double scalar = 0;
  std::vector<Expected> expected;
  std::shared_ptr<const std::vector<LoadBlock>> data;  // everything loaded since the last clear
  std::string script_error;  // a malformed script line: the case fails with this
};

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string NextWord(std::string* rest) {
  std::string s = Trim(*rest);
  size_t end = 0;
  while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) ++end;
  std::string word = s.substr(0, end);
  *rest = Trim(s.substr(end));
  return word;
}

std::string GtestName(const std::string& prefix, const std::string& case_id) {
  std::string out = prefix;
  for (char c : case_id) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += c;
    } else if (c == ':' || c == '/') {
      out += '_';
    }
  }
  // "functions.test:8" -> "functionstest_8" reads badly; drop the "test" left from ".test".
  size_t p = out.find("test_");
  if (p != std::string::npos && p > 0) out.erase(p, 4);
  return out;
}

// Parses one script into cases. Malformed lines become a failing case, never a silent skip.
std::vector<Case> ParseScript(const fs::path& path, const std::string& rel) {
  std::vector<Case> cases;
  std::ifstream in(path);
  std::vector<std::string> raw;
  for (std::string line; std::getline(in, line);) raw.push_back(line);

  auto data = std::make_shared<std::vector<LoadBlock>>();
  std::string pending_case_id;
  const std::string prefix = rel.rfind("optional/", 0) == 0 ? "optional_" : "";
  auto blank = [&](size_t i) {
    std::string t = Trim(raw[i]);
    return t.empty() || t[0] == '#';
  };
  auto script_error = [&](size_t i, const std::string& msg) {
    Case c;
    c.file = rel;
    c.line = static_cast<int>(i + 1);
    c.case_id = rel + ":" + std::to_string(i + 1);
    c.name = GtestName(prefix + "script_", c.case_id);
    c.script_error = msg;
    cases.push_back(std::move(c));
  };

  for (size_t i = 0; i < raw.size(); ++i) {
    std::string line = Trim(raw[i]);
    if (line.rfind("# case ", 0) == 0) {
      std::string rest = line.substr(7);
      pending_case_id = NextWord(&rest);
      continue;
    }
    if (blank(i)) continue;
    std::string rest = line;
    std::string cmd = NextWord(&rest);
    if (cmd == "clear") {
      data = std::make_shared<std::vector<LoadBlock>>();
      continue;
    }
    if (cmd == "load") {
      auto step = ParseDuration(rest);
      if (!step) {
        script_error(i, "bad load step: " + rest);
        continue;
      }
      LoadBlock block;
      block.step_ms = step->count();
      std::map<Labels, size_t> seen;
      while (i + 1 < raw.size() && !blank(i + 1)) {
        ++i;
        SeriesDescription desc;
        ParseError err;
        if (!ParseSeriesDescription(Trim(raw[i]), &desc, &err)) {
          script_error(i, "bad series line: " + err.ToString());
          continue;
        }
        auto [it, inserted] = seen.emplace(desc.labels, block.series.size());
        if (inserted) {
          block.series.push_back(std::move(desc));
        } else {
          block.series[it->second] = std::move(desc);
        }
      }
      // Copy-on-write: cases already parsed keep the data they were written against.
      auto next = std::make_shared<std::vector<LoadBlock>>(*data);
      next->push_back(std::move(block));
      data = std::move(next);
      continue;
    }
    if (cmd == "eval" || cmd == "eval_ordered" || cmd == "eval_fail") {
      Case c;
      c.file = rel;
      c.line = static_cast<int>(i + 1);
      c.case_id = pending_case_id.empty() ? rel + ":" + std::to_string(i + 1) : pending_case_id;
      pending_case_id.clear();
      c.name = GtestName(prefix, c.case_id);
      c.kind = cmd == "eval"           ? CaseKind::kEval
               : cmd == "eval_ordered" ? CaseKind::kOrdered
                                       : CaseKind::kFail;
      c.data = data;
      if (NextWord(&rest) != "instant") c.script_error = "only instant evaluations are supported";
      std::string save = rest;
      if (NextWord(&rest) == "at") {
        std::string at = NextWord(&rest);
        auto d = ParseDuration(at);
        if (!d) c.script_error = "bad evaluation time: " + at;
        if (d) c.at_ms = d->count();
      } else {
        rest = save;
      }
      c.expr = rest;
      while (i + 1 < raw.size() && !blank(i + 1)) {
        ++i;
        std::string expect = Trim(raw[i]);
        if (auto number = ParseNumberLiteral(expect)) {
          c.expect_scalar = true;
          c.scalar = *number;
          continue;
        }
        SeriesDescription desc;
        ParseError err;
        if (!ParseSeriesDescription(expect, &desc, &err)) {
          c.script_error = "bad expectation line " + std::to_string(i + 1) + ": " + err.ToString();
          continue;
        }
        if (desc.values.size() != 1 || desc.values[0].omitted) {
          c.script_error = "expectation line " + std::to_string(i + 1) + " needs one value";
          continue;
        }
        c.expected.push_back(Expected{std::move(desc.labels), desc.values[0].value});
      }
      cases.push_back(std::move(c));
      continue;
    }
    script_error(i, "unknown command: " + line);
  }
  return cases;
}

std::string ConformanceDir() { return testing::SharedDir() + "/conformance/promql"; }

std::vector<Case> LoadAllCases() {
  std::vector<Case> all;
  std::vector<std::string> rels;
  for (const char* sub : {"", "optional/"}) {
    fs::path dir = fs::path(ConformanceDir()) / sub;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".test") {
        rels.push_back(std::string(sub) + entry.path().filename().string());
      }
    }
  }
  std::sort(rels.begin(), rels.end());
  for (const auto& rel : rels) {
    auto cases = ParseScript(fs::path(ConformanceDir()) / rel, rel);
    for (auto& c : cases) all.push_back(std::move(c));
  }
  if (all.empty()) {
    // A missing folder must fail loudly, not pass with zero cases.
    Case c;
    c.file = ConformanceDir();
    c.case_id = "missing";
    c.name = "no_cases_found";
    c.script_error = "no .test files found in " + ConformanceDir();
    all.push_back(std::move(c));
  }
  return all;
}

const std::vector<Case>& AllCases() {
  static const std::vector<Case> cases = LoadAllCases();
  return cases;
}

// Prometheus' test harness comparison: NaN equals NaN; otherwise equal or a relative error
// below 1e-6 (with zero compared against the smallest normal float, i.e. exactly).
bool AlmostEqual(double a, double b) {
  constexpr double kEpsilon = 0.000001;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || diff < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / (std::fabs(a) + std::fabs(b)) < kEpsilon;
}

std::string ShowSamples(const std::vector<InstantSample>& v) {
  std::ostringstream os;
  for (const auto& s : v)
    os << "\n    " << LabelsToString(s.labels) << " " << go::FormatFloat(s.v, 'g', -1);
  return os.str();
}

class ConformanceTest : public ::testing::TestWithParam<size_t> {};

TEST_P(ConformanceTest, Case) {
  const Case& c = AllCases()[GetParam()];
  SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + " (" + c.case_id + "): " + c.expr);
  ASSERT_TRUE(c.script_error.empty()) << c.script_error;
  for (const auto& e : kExceptions) {
    if (c.case_id == e.case_id) GTEST_SKIP() << e.reason;
  }

  MemoryStorage storage;
  for (const auto& block : *c.data) {
    for (const auto& series : block.series) {
      int64_t t = 0;
      for (const auto& v : series.values) {
        if (!v.omitted) {
          ASSERT_TRUE(storage.Append(series.labels, t, v.value))
              << "out-of-order sample for " << LabelsToString(series.labels) << " at " << t;
        }
        t += block.step_ms;
      }
    }
  }

  ParseResult parsed = Parse(c.expr);
  if (c.kind == CaseKind::kFail) {
    if (!parsed.ok()) return;  // a parse error is a failure, as expected
    EvalResult r = EvalInstant(*parsed.expr, storage, c.at_ms);
    EXPECT_FALSE(r.ok) << "expected an evaluation error, got" << ShowSamples(r.value.vector);
    return;
  }
  ASSERT_TRUE(parsed.ok()) << parsed.error.ToString();
  EvalResult r = EvalInstant(*parsed.expr, storage, c.at_ms);
  ASSERT_TRUE(r.ok) << r.error;

  if (c.expect_scalar) {
    // A bare number: a scalar, or a single unlabelled sample.
    if (r.value.type == ValueType::kScalar) {
      EXPECT_TRUE(AlmostEqual(c.scalar, r.value.scalar))
          << "expected " << go::FormatFloat(c.scalar, 'g', -1) << ", got "
          << go::FormatFloat(r.value.scalar, 'g', -1);
    } else {
      ASSERT_EQ(r.value.type, ValueType::kVector);
      ASSERT_EQ(r.value.vector.size(), 1u) << ShowSamples(r.value.vector);
      EXPECT_TRUE(r.value.vector[0].labels.empty()) << ShowSamples(r.value.vector);
      EXPECT_TRUE(AlmostEqual(c.scalar, r.value.vector[0].v))
          << "expected " << go::FormatFloat(c.scalar, 'g', -1) << ", got "
          << ShowSamples(r.value.vector);
    }
    return;
  }
  ASSERT_EQ(r.value.type, ValueType::kVector) << "expected an instant vector";
  const auto& got = r.value.vector;
  std::set<size_t> seen;
  for (size_t pos = 0; pos < got.size(); ++pos) {
    size_t found = c.expected.size();
    for (size_t i = 0; i < c.expected.size(); ++i) {
      if (c.expected[i].labels == got[pos].labels) found = i;
    }
    ASSERT_LT(found, c.expected.size()) << "unexpected series " << LabelsToString(got[pos].labels)
                                        << " in result:" << ShowSamples(got);
    if (c.kind == CaseKind::kOrdered) {
      EXPECT_EQ(found, pos) << LabelsToString(got[pos].labels) << " at position " << pos + 1
                            << ", expected at " << found + 1 << ShowSamples(got);
    }
    EXPECT_TRUE(AlmostEqual(c.expected[found].value, got[pos].v))
        << "expected " << go::FormatFloat(c.expected[found].value, 'g', -1) << " for "
        << LabelsToString(got[pos].labels) << ", got " << go::FormatFloat(got[pos].v, 'g', -1);
    seen.insert(found);
  }
  for (size_t i = 0; i < c.expected.size(); ++i) {
    EXPECT_TRUE(seen.count(i)) << "expected series " << LabelsToString(c.expected[i].labels)
                               << " missing from result:" << ShowSamples(got);
  }
}

INSTANTIATE_TEST_SUITE_P(PromQL, ConformanceTest, ::testing::Range<size_t>(0, AllCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& param) {
                           return AllCases()[param.param].name;
                         });

// The runner must see every case the folder declares: CASES.tsv lists them with their
// expressions, so a parsing slip here cannot silently drop or alter cases.
TEST(ConformanceInventory, EveryListedCaseRunsWithItsExpression) {
  std::ifstream tsv(ConformanceDir() + "/CASES.tsv");
  ASSERT_TRUE(tsv.good()) << "CASES.tsv missing in " << ConformanceDir();
  std::map<std::string, std::string> listed;
  for (std::string line; std::getline(tsv, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string col; std::getline(ss, col, '\t');) cols.push_back(col);
    ASSERT_EQ(cols.size(), 4u) << line;
    listed[cols[0]] = cols[3];
  }
  std::map<std::string, std::string> found;
  for (const auto& c : AllCases()) {
    if (c.file.rfind("optional/", 0) == 0) continue;
    EXPECT_TRUE(found.emplace(c.case_id, c.expr).second) << "duplicate case id " << c.case_id;
  }
  EXPECT_EQ(found, listed);
  EXPECT_GE(listed.size(), 300u);
}

// docs/promql.md and kExceptions are the one list of what we do not pass; keep them equal.
TEST(ConformanceInventory, ExceptionsMatchDocs) {
  std::ifstream doc(testing::SourceDir() + "/docs/promql.md");
  ASSERT_TRUE(doc.good());
  bool in_section = false;
  std::set<std::string> documented;
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Conformance exceptions";
    if (!in_section || line.rfind("- `", 0) != 0) continue;
    size_t end = line.find('`', 3);
    documented.insert(line.substr(3, end - 3));
  }
  std::set<std::string> coded;
  for (const auto& e : kExceptions) coded.insert(e.case_id);
  EXPECT_EQ(documented, coded);
}

}  // namespace
}  // namespace codebot::promql
