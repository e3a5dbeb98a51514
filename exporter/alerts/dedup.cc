#include "exporter/alerts/dedup.h"

#include <algorithm>

namespace codebot::alerts {
namespace {

// Whether every element of `subset` is in `set` (both sorted).
bool IsSubset(const std::vector<uint64_t>& subset, const std::vector<uint64_t>& set) {
  return std::includes(set.begin(), set.end(), subset.begin(), subset.end());
}

}  // namespace

std::string_view NotifyReasonName(NotifyReason reason) {
  switch (reason) {
    case NotifyReason::kNone:
      return "none";
    case NotifyReason::kFirst:
      return "first";
    case NotifyReason::kNewFiring:
      return "new_firing";
    case NotifyReason::kNewResolved:
      return "new_resolved";
    case NotifyReason::kAllResolved:
      return "all_resolved";
    case NotifyReason::kRepeat:
      return "repeat";
  }
  return "none";
}

NotifyReason NeedsUpdate(const DedupEntry* entry, const std::vector<uint64_t>& firing,
                         const std::vector<uint64_t>& resolved, bool send_resolved,
                         int64_t repeat_ms, int64_t now_ms) {
  // Never notified: only firing alerts are news; resolutions of alerts the receiver never heard
  // of are not.
  if (entry == nullptr) return firing.empty() ? NotifyReason::kNone : NotifyReason::kFirst;
  if (!IsSubset(firing, entry->firing)) {
    return entry->firing.empty() ? NotifyReason::kFirst : NotifyReason::kNewFiring;
  }
  // Everything resolved: notified whatever send_resolved says, so that the log forgets the
  // firing alerts — unless the receiver never heard of any (they fired and resolved between two
  // flushes).
  if (firing.empty()) {
    return entry->firing.empty() ? NotifyReason::kNone : NotifyReason::kAllResolved;
  }
  if (send_resolved && !IsSubset(resolved, entry->resolved)) return NotifyReason::kNewResolved;
  return now_ms - entry->notified_ms >= repeat_ms ? NotifyReason::kRepeat : NotifyReason::kNone;
}

NotifyReason NeedsUpdateDirect(const DedupEntry* entry, const std::vector<uint64_t>& firing,
                               const std::vector<uint64_t>& resolved, int64_t window_ms,
                               int64_t now_ms) {
  if (firing.empty() && resolved.empty()) return NotifyReason::kNone;
  if (entry == nullptr) return NotifyReason::kFirst;
  if (!IsSubset(firing, entry->firing)) {
    return entry->firing.empty() ? NotifyReason::kFirst : NotifyReason::kNewFiring;
  }
  if (firing.empty() && !entry->firing.empty()) return NotifyReason::kAllResolved;
  if (!IsSubset(resolved, entry->resolved)) return NotifyReason::kNewResolved;
  // Alertmanager repeats firing groups after its repeat_interval, never resolved-only ones: a
  // resolved-only group seen before is always a retry.
  if (firing.empty()) return NotifyReason::kNone;
  return now_ms - entry->notified_ms >= window_ms ? NotifyReason::kRepeat : NotifyReason::kNone;
}

}  // namespace codebot::alerts
