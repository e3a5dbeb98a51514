#include "exporter/alerts/alert.h"

#include <cstdio>

#include "exporter/core/labels.h"

namespace codebot::alerts {

std::string_view StatusName(Status status) {
  return status == Status::kResolved ? "resolved" : "firing";
}

uint64_t Alert::Fingerprint() const { return HashLabels(labels); }

std::string FingerprintHex(uint64_t fingerprint) {
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(fingerprint));
  return buffer;
}

}  // namespace codebot::alerts
