// Fuzzes the series notation of rule unit tests and PromQL test files (`foo{a="b"} 0+10x3 _
// stale`): the whole line, the values alone and the labels alone.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "exporter/promql/series_notation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  codebot::promql::ParseError error;
  codebot::promql::SeriesDescription description;
  if (!codebot::promql::ParseSeriesDescription(text, &description, &error)) {
    (void)error.ToString();
  }
  std::vector<codebot::promql::SequenceValue> values;
  (void)codebot::promql::ParseSeriesValues(text, &values, &error);
  codebot::Labels labels;
  (void)codebot::promql::ParseSeriesLabels(text, &labels, &error);
  return 0;
}
