// Prometheus' series notation for test data, shared by the PromQL `.test` runner and promtool's
// rule unit tests (`input_series`, `exp_samples`):
//
//   foo{a="b"} 0+10x3 _ _x2 stale 5 1e3 -Inf
//
// `N` is one sample, `_` one empty slot, `_xK` K empty slots, `stale` a staleness marker,
// `NxK` K+1 samples of N, `N+DxK` / `N-DxK` K+1 samples N, N±D, ... by repeated floating-point
// addition (exactly like Prometheus, so the values compare equal). Only parsing: no storage.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"
#include "exporter/promql/engine.h"

namespace codebot::promql {

struct SequenceValue {
  double value = 0;
  bool omitted = false;  // '_': no sample in this slot
};

struct SeriesDescription {
  Labels labels;  // sorted, __name__ included
  std::vector<SequenceValue> values;
};

// Upper bound on the values one description may expand to, so a typo like `0x100000000000`
// fails instead of exhausting memory.
inline constexpr size_t kMaxSeriesValues = 10'000'000;

// A whole line: series selector, then values (possibly none), at most max_values of them.
bool ParseSeriesDescription(std::string_view text, SeriesDescription* out, ParseError* error,
                            size_t max_values = kMaxSeriesValues);

// Just the values part (promtool's `values:` field).
bool ParseSeriesValues(std::string_view text, std::vector<SequenceValue>* out, ParseError* error,
                       size_t max_values = kMaxSeriesValues);

// A series written as `foo`, `foo{a="b"}`, `{__name__="foo", a="b"}` or `{}` (promtool's
// `series:` and exp_samples `labels:`). Only '=' is allowed; the result is sorted.
bool ParseSeriesLabels(std::string_view text, Labels* out, ParseError* error);

}  // namespace codebot::promql
