// Small operations on sorted label sets (core's Labels), the way Prometheus' labels.Builder
// behaves: setting an empty value removes the label.
#pragma once

#include <string_view>

#include "exporter/core/metric.h"

namespace codebot::rules {

// Sets name=value keeping labels sorted by name; an empty value removes the label.
void SetLabel(Labels* labels, std::string_view name, std::string_view value);
void DeleteLabel(Labels* labels, std::string_view name);

}  // namespace codebot::rules
