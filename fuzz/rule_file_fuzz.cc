// Fuzzes rule files as `check rules` and a reload read them (rules::ParseRuleText: YAML, groups,
// PromQL, templates, durations), then evaluates every group of an accepted file twice over a
// small fixed storage, as the rule manager would: alert state, `for`, templates with $labels
// and `query`, limits. A bad file must come back as errors (or config::ConfigError), never take
// the process down: on SIGHUP it would kill a running sidecar.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/yaml.h"
#include "exporter/core/log.h"
#include "exporter/promql/memory_storage.h"
#include "exporter/rules/group.h"
#include "exporter/rules/rule_file.h"
#include "exporter/rules/templates.h"

namespace {

using codebot::rules::OutputSample;

class DiscardWriter final : public codebot::rules::ResultWriter {
 public:
  void Write(const std::string& /*writer*/, int64_t /*t_ms*/,
             const std::vector<OutputSample>& /*samples*/) override {}
  void Forget(const std::string& /*writer*/) override {}
};

const codebot::promql::MemoryStorage& Storage() {
  static const codebot::promql::MemoryStorage* storage = [] {
    auto* s = new codebot::promql::MemoryStorage();
    for (int64_t i = 0; i <= 20; ++i) {
      const int64_t t = i * 60'000;
      s->Append({{"__name__", "up"}, {"job", "bot"}, {"instance", "bot:8000"}}, t, i % 5 ? 1 : 0);
      s->Append({{"__name__", "up"}, {"job", "db"}}, t, 0);
      s->Append({{"__name__", "codebot_errors_total"}, {"handler", "start"}}, t,
                static_cast<double>(i * i));
    }
    return s;
  }();
  return *storage;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    codebot::log::Init(codebot::log::Level::kError, codebot::log::Format::kLogfmt);
    return true;
  }();
  (void)quiet;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  codebot::rules::RuleFileResult result;
  try {
    result = codebot::rules::ParseRuleText(text, "fuzz.rules.yml");
  } catch (const codebot::config::ConfigError&) {
    return 0;
  }
  if (!result.ok()) return 0;
  (void)codebot::rules::FindDuplicateRules(result.groups);

  codebot::promql::EvalOptions options;
  options.max_samples = 200'000;
  options.timeout_ms = 2'000;
  codebot::rules::EvalContext context;
  context.query = codebot::rules::EngineQueryFunc(Storage(), options);
  context.expand = codebot::rules::DefaultExpandFunc();
  context.external_labels = {{"cluster", "c1"}};
  context.external_url = "https://prometheus.example.com";
  DiscardWriter writer;
  for (auto& spec : result.groups) {
    codebot::rules::Group group(std::move(spec), std::chrono::seconds(60));
    for (int64_t t : {int64_t{600'000}, int64_t{1'200'000}}) {
      (void)group.Eval(t, context, &writer, 60'000);
    }
    (void)group.AlertSeries();
  }
  return 0;
}
