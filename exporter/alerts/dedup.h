// Alertmanager's dedup stage: what a group last notified (its notification-log entry) and whether
// the group's current alerts warrant a new notification — a firing alert not notified before, a
// resolution, all alerts resolved, or repeat_interval elapsed. Pure functions over fingerprint
// sets; the dispatcher owns the entries, keeps them durably and decides when to ask.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace codebot::alerts {

// What a group last notified (Alertmanager's nflog entry).
struct DedupEntry {
  int64_t notified_ms = 0;
  std::vector<uint64_t> firing;    // fingerprints, sorted
  std::vector<uint64_t> resolved;  // fingerprints, sorted
  friend bool operator==(const DedupEntry&, const DedupEntry&) = default;
};

enum class NotifyReason {
  kNone,
  kFirst,        // nothing notified before (or the last notification resolved everything)
  kNewFiring,    // a firing alert the receiver hasn't heard of
  kNewResolved,  // a resolution the receiver hasn't heard of
  kAllResolved,  // nothing fires any more
  kRepeat,       // unchanged, but repeat_interval has elapsed
};

// "none", "first", "new_firing", "new_resolved", "all_resolved", "repeat": for log lines.
std::string_view NotifyReasonName(NotifyReason reason);

// Alertmanager's DedupStage.needsUpdate for a group the dispatcher grouped and timed. Inputs
// sorted. send_resolved: whether any integration of the receiver sends resolutions (a resolution
// alone then warrants a notification). A repeat is due once repeat_ms has elapsed since the last
// notification: Alertmanager compares against the time its log was written, just after the
// flush, and so repeats one group_interval late; the flush time is recorded here instead.
NotifyReason NeedsUpdate(const DedupEntry* entry, const std::vector<uint64_t>& firing,
                         const std::vector<uint64_t>& resolved, bool send_resolved,
                         int64_t repeat_ms, int64_t now_ms);

// The same question for a group an Alertmanager has already grouped, timed and deduplicated
// (POST /alertmanager/<receiver>): its decision stands, only a repeat of what was notified within
// window_ms (a retried POST, both members of an HA pair sending) is dropped. A group we have no
// entry for notifies even when everything in it is resolved: the Alertmanager knows the receiver
// heard of the firing alerts, even if we lost that.
NotifyReason NeedsUpdateDirect(const DedupEntry* entry, const std::vector<uint64_t>& firing,
                               const std::vector<uint64_t>& resolved, int64_t window_ms,
                               int64_t now_ms);

}  // namespace codebot::alerts
