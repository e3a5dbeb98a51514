#include "exporter/rules/recording_rule.h"

#include <algorithm>

#include "exporter/core/labels.h"

namespace codebot::rules {

EvalOutput RecordingRule::Eval(int64_t t_ms, const EvalContext& context, int64_t limit) {
  EvalOutput out;
  QueryResult result = context.query(spec_.query.get(), spec_.expr, t_ms);
  if (!result.ok) {
    out.ok = false;
    out.error = std::move(result.error);
    out.reason = kReasonQuery;
    return out;
  }
  out.samples.reserve(result.vector.size());
  for (auto& sample : result.vector) {
    OutputSample recorded;
    recorded.labels = std::move(sample.labels);
    SetLabel(&recorded.labels, "__name__", spec_.name);
    for (const auto& label : spec_.labels) SetLabel(&recorded.labels, label.name, label.value);
    recorded.t_ms = t_ms;
    recorded.v = sample.v;
    out.samples.push_back(std::move(recorded));
  }
  std::vector<const Labels*> sorted;
  sorted.reserve(out.samples.size());
  for (const auto& sample : out.samples) sorted.push_back(&sample.labels);
  std::sort(sorted.begin(), sorted.end(), [](const Labels* a, const Labels* b) { return *a < *b; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (*sorted[i] == *sorted[i - 1]) {
      out.ok = false;
      out.samples.clear();
      out.error = "vector contains metrics with the same labelset after applying rule labels";
      out.reason = kReasonDuplicate;
      return out;
    }
  }
  if (limit > 0 && static_cast<int64_t>(out.samples.size()) > limit) {
    out.ok = false;
    out.error = "exceeded limit of " + std::to_string(limit) + " with " +
                std::to_string(out.samples.size()) + " series";
    out.samples.clear();
    out.reason = kReasonLimit;
  }
  return out;
}

}  // namespace codebot::rules
