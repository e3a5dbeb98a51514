// Fuzzes the Go text/template engine the way alert rules use it: the input is an annotation
// template, checked as `check rules` checks it, then expanded with Prometheus' functions and
// conventions ($labels, $value, $externalLabels, $externalURL, missingkey=zero) over fixed data,
// with a `query` function that answers from a fixed vector. It is also parsed and executed as a
// plain template over a small data tree (lists, maps, structs, nil) with the built-ins only.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/log.h"
#include "exporter/template/prometheus.h"
#include "exporter/template/template.h"

namespace {

using codebot::Labels;
using codebot::tmpl::Value;

bool FixedQuery(std::string_view query, std::vector<codebot::tmpl::QuerySample>* out,
                std::string* error) {
  if (query.find("fail") != std::string_view::npos) {
    *error = "1:1: parse error: unexpected end of input";
    return false;
  }
  out->push_back({{{"__name__", "up"}, {"job", "bot"}, {"instance", "bot:8000"}}, 1});
  out->push_back({{{"__name__", "up"}, {"job", "db"}}, 0});
  out->push_back({{{"job", "x"}}, std::numeric_limits<double>::quiet_NaN()});
  return true;
}

const Value& PlainData() {
  static const Value data = Value::Map({
      {"Labels", Value::FromLabels({{"alertname", "Down"}, {"job", "bot"}})},
      {"List", Value::List({Value::Int(3), Value::Float(-0.5), Value::String("s"), Value::Nil(),
                            Value::Bool(true)})},
      {"Empty", Value::List({})},
      {"Nested", Value::Map({{"a", Value::Map({{"b", Value::Int(1)}})},
                             {"l", Value::List({Value::List({Value::Int(1)})})}})},
      {"Struct", Value::Struct({{"Name", Value::String("n")}, {"Value", Value::Float(1e300)}},
                               "template.sample", /*pointer=*/true)},
      {"Big", Value::Int(std::numeric_limits<int64_t>::max())},
      {"Small", Value::Int(std::numeric_limits<int64_t>::min())},
      {"Inf", Value::Float(std::numeric_limits<double>::infinity())},
  });
  return data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    // Every failed expansion logs a warning; the fuzzer wants its own output readable.
    codebot::log::Init(codebot::log::Level::kError, codebot::log::Format::kLogfmt);
    return true;
  }();
  (void)quiet;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  (void)codebot::tmpl::CheckAlertTemplate("Fuzz", text);
  codebot::tmpl::PrometheusContext context;
  context.query = FixedQuery;
  context.external_url = "https://prometheus.example.com/prefix";
  const Labels labels = {{"alertname", "Fuzz"}, {"instance", "bot:8000"}, {"job", "bot"}};
  (void)codebot::tmpl::ExpandAlertTemplate(text, "Fuzz", labels, 0.25, {{"cluster", "c1"}},
                                           context);

  const auto parsed = codebot::tmpl::Template::Parse("plain", text);
  if (parsed.ok()) {
    (void)parsed.tmpl->Execute(PlainData());
    (void)parsed.tmpl->Execute(Value());
  }
  return 0;
}
