#include "exporter/promql/label_string.h"

#include "exporter/go/strconv.h"

namespace codebot::promql {

std::string LabelsToString(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i].name;
    out += '=';
    out += go::Quote(labels[i].value);
  }
  out += '}';
  return out;
}

}  // namespace codebot::promql
