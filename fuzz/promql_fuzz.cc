// Fuzzes PromQL end to end, as a rule expression goes: parse and type-check, print (what the
// rules API shows) and re-parse the printed form, then evaluate at a few instants over a small
// fixed storage (counters with a reset, gauges with NaN/Inf, a stale marker, histogram buckets)
// with the engine's limits lowered so each input stays fast. The printed form of an accepted
// expression must parse again and print the same.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "exporter/core/series.h"
#include "exporter/promql/engine.h"
#include "exporter/promql/memory_storage.h"

namespace {

using codebot::Labels;
using codebot::promql::MemoryStorage;

constexpr int64_t kMinute = 60 * 1000;

const MemoryStorage& Storage() {
  static const MemoryStorage* storage = [] {
    auto* s = new MemoryStorage();
    const double inf = std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i <= 60; ++i) {
      const int64_t t = i * kMinute;
      s->Append({{"__name__", "x"}, {"job", "a"}}, t, static_cast<double>(i));
      s->Append({{"__name__", "x"}, {"job", "b"}}, t, static_cast<double>(i % 7));  // resets
      s->Append({{"__name__", "up"}, {"job", "a"}, {"instance", "i:1"}}, t, i % 10 == 0 ? 0 : 1);
      s->Append({{"__name__", "g"}, {"k", "v"}}, t,
                i % 13 == 0   ? std::numeric_limits<double>::quiet_NaN()
                : i % 17 == 0 ? -inf
                : i % 19 == 0 ? inf
                              : static_cast<double>(i) * 0.25 - 3);
      s->Append({{"__name__", "g"}, {"k", "w"}}, t, i == 30 ? codebot::StaleNaN() : 1e300);
      const std::pair<const char*, double> buckets[] = {
          {"0.1", 1}, {"1", 2}, {"10", 3}, {"+Inf", 4}};
      for (const auto& [le, factor] : buckets) {
        s->Append({{"__name__", "h_bucket"}, {"le", le}, {"job", "a"}}, t,
                  static_cast<double>(i) * factor);
      }
    }
    return s;
  }();
  return *storage;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = codebot::promql::Parse(text);
  if (!parsed.ok()) {
    (void)parsed.error.ToString();
    return 0;
  }
  const codebot::promql::Expr& expr = *parsed.expr;
  const std::string printed = codebot::promql::Format(expr);
  const auto reparsed = codebot::promql::Parse(printed);
  if (!reparsed.ok()) __builtin_trap();  // the canonical form must be valid PromQL
  if (codebot::promql::Format(*reparsed.expr) != printed) __builtin_trap();
  if (codebot::promql::ResultType(*reparsed.expr) != codebot::promql::ResultType(expr)) {
    __builtin_trap();
  }

  codebot::promql::EvalOptions options;
  options.max_samples = 200'000;
  options.timeout_ms = 2'000;
  (void)codebot::promql::MaxLookbackMs(expr, options);
  for (int64_t t : {int64_t{0}, 30 * kMinute, 61 * kMinute}) {
    const auto result = codebot::promql::EvalInstant(expr, Storage(), t, options);
    if (result.ok && result.value.type != codebot::promql::ResultType(expr)) __builtin_trap();
  }
  return 0;
}
