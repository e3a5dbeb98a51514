#include "exporter/alerts/notification.h"

namespace codebot::alerts {

Status Notification::GroupStatus() const {
  return Firing() > 0 ? Status::kFiring : Status::kResolved;
}

size_t Notification::Firing() const {
  size_t n = 0;
  for (const auto& a : alerts) n += a.status == Status::kFiring ? 1 : 0;
  return n;
}

size_t Notification::Resolved() const { return alerts.size() - Firing(); }

}  // namespace codebot::alerts
