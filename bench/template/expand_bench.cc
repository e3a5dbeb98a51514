// Cost of expanding alert label/annotation templates: the rule evaluator pays it for every
// alert, every label and annotation, at every evaluation (Prometheus parses each time too).
#include <benchmark/benchmark.h>

#include "exporter/template/prometheus.h"

namespace codebot::tmpl {
namespace {

const Labels kLabels = {{"__name__", "up"},
                        {"instance", "bot-7d9f8c6b5-x2x9k.codebot.svc:8080"},
                        {"job", "codebot"},
                        {"namespace", "codebot"},
                        {"pod", "bot-7d9f8c6b5-x2x9k"}};

constexpr std::string_view kSummary =
    "Target {{ $labels.instance }} of job {{ $labels.job }} is down ({{ $value | humanize }})";
constexpr std::string_view kDescription =
    "{{ range $k, $v := $labels }}{{ if ne $k \"__name__\" }}{{ $k }}={{ $v }} {{ end }}{{ end }}"
    "for {{ humanizeDuration 93.5 }}; value {{ printf \"%.2f\" $value }} "
    "({{ humanizePercentage 0.8512 }}) {{ reReplaceAll \":[0-9]+$\" \"\" $labels.instance }}";

// As the rule evaluator calls it: one expander per alert, parse + execute per text.
void BM_ExpandSummary(benchmark::State& state) {
  const AlertTemplateExpander expander("BotServiceDown", kLabels, 0, {}, {});
  for (auto _ : state) benchmark::DoNotOptimize(expander.Expand(kSummary));
}
BENCHMARK(BM_ExpandSummary);

void BM_ExpandDescription(benchmark::State& state) {
  const AlertTemplateExpander expander("BotServiceDown", kLabels, 0.8512, {}, {});
  for (auto _ : state) benchmark::DoNotOptimize(expander.Expand(kDescription));
}
BENCHMARK(BM_ExpandDescription);

// Setting up the per-alert data ($labels map, the root struct) once.
void BM_NewExpander(benchmark::State& state) {
  for (auto _ : state) {
    AlertTemplateExpander expander("BotServiceDown", kLabels, 0, {}, {});
    benchmark::DoNotOptimize(&expander);
  }
}
BENCHMARK(BM_NewExpander);

// The two halves: parsing (with the definitions Prometheus prepends), and executing an already
// parsed template.
void BM_ParseSummary(benchmark::State& state) {
  const auto funcs = DefaultPrometheusFunctions();
  const std::string text =
      "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
      "{{$externalURL := .ExternalURL}}{{$value := .Value}}" +
      std::string(kSummary);
  for (auto _ : state) benchmark::DoNotOptimize(Template::Parse("s", text, funcs));
}
BENCHMARK(BM_ParseSummary);

void BM_ExecuteParsedSummary(benchmark::State& state) {
  const auto parsed =
      Template::Parse("s", "{{$labels := .Labels}}{{$value := .Value}}" + std::string(kSummary),
                      DefaultPrometheusFunctions(), MissingKey::kZero);
  const Value data =
      Value::Struct({{"Labels", Value::FromLabels(kLabels)}, {"Value", Value::Float(0)}}, "struct");
  for (auto _ : state) benchmark::DoNotOptimize(parsed.tmpl->Execute(data));
}
BENCHMARK(BM_ExecuteParsedSummary);

}  // namespace
}  // namespace codebot::tmpl

BENCHMARK_MAIN();
