#include "exporter/rules/labels.h"

#include <algorithm>

namespace codebot::rules {
namespace {

Labels::iterator Find(Labels* labels, std::string_view name) {
  return std::lower_bound(labels->begin(), labels->end(), name,
                          [](const Label& label, std::string_view n) { return label.name < n; });
}

}  // namespace

void SetLabel(Labels* labels, std::string_view name, std::string_view value) {
  auto it = Find(labels, name);
  const bool present = it != labels->end() && it->name == name;
  if (value.empty()) {
    if (present) labels->erase(it);
    return;
  }
  if (present) {
    it->value = std::string(value);
  } else {
    labels->insert(it, Label{std::string(name), std::string(value)});
  }
}

void DeleteLabel(Labels* labels, std::string_view name) {
  auto it = Find(labels, name);
  if (it != labels->end() && it->name == name) labels->erase(it);
}

}  // namespace codebot::rules
