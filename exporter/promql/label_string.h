// Prometheus' textual form of a label set, {a="b", c="d"} with Go-quoted values, as its error
// messages, promtool's reports and our logs print label sets.
#pragma once

#include <string>

#include "exporter/core/metric.h"

namespace codebot::promql {

std::string LabelsToString(const Labels& labels);

}  // namespace codebot::promql
