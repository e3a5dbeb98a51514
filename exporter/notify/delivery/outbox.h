// The durable outbox and the one retrying delivery layer. A flushed group (alerts::Notification)
// becomes one entry per integration of its receiver, written to an append-only log and
// fdatasync'd before Enqueue returns true, so that kill -9 at any moment loses nothing that was
// acknowledged; on start everything pending is replayed and sent again (at-least-once).
// Each integration instance ("oncall/telegram/0") is a lane with its own Notifier and thread
// (started with the lane's first entry):
// it makes one attempt at a time, oldest due entry first, never lets a group's later message
// overtake an earlier one still pending, and applies the verdict — delivered or failed: removed;
// retry: exponential backoff with full jitter, never earlier than the API's retry_after, given up
// as `expired` past notifications.max_age. EntryState and SharedState are persisted after every
// attempt, so a restart resumes a half-delivered message instead of starting it over.
// It owns the delivery metrics and the one log line per delivery outcome (alert_id = the
// notification id) for every integration. Never: blocks Enqueue on the network, logs or
// counts anything the sanitiser hasn't seen (error texts go through log::, never a metric
// label), or crashes on a disk error (Enqueue returns false and the dispatcher retries).
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "exporter/alerts/notification.h"
#include "exporter/config/notifications.h"
#include "exporter/notify/delivery/backoff.h"
#include "exporter/notify/delivery/clock.h"
#include "exporter/notify/delivery/log_file.h"
#include "exporter/notify/delivery/metrics.h"
#include "exporter/notify/delivery/records.h"
#include "exporter/notify/notifier.h"

namespace codebot::notify::delivery {

// One integration instance of a receiver, as the composition root builds it from the config.
struct Integration {
  std::string receiver;
  std::string name;  // "telegram", "slack", "pagerduty", "webhook": the `integration` label
  size_t index = 0;  // its position among the receiver's configs of that kind
  bool send_resolved = true;
  // Compared on Update: a lane whose key and fingerprint are unchanged keeps running with its
  // notifier (the one passed again is dropped); a changed one is restarted with the new
  // notifier and takes over the lane's pending entries. Any text that changes when the
  // integration's config does (the config serialised, or a hash of it). Never logged.
  std::string fingerprint;
  std::unique_ptr<Notifier> notifier;
};

// "receiver/name/index": the lane's key in the outbox and in its shared state.
std::string LaneKey(const std::string& receiver, const std::string& name, size_t index);

// The notification as an integration with send_resolved: false gets it: resolved alerts dropped
// and the common labels and annotations recomputed over the firing ones (as Alertmanager builds
// its template data from the alerts it sends). nullopt when no firing alert is left.
std::optional<alerts::Notification> FiringOnly(const alerts::Notification& notification);

struct OutboxOptions {
  std::string data_dir;  // the log lives in <data_dir>/outbox.log
  RetryPolicy retry;
  // Each attempt's deadline, so that Stop and Update never wait longer than this on a lane.
  std::chrono::milliseconds attempt_timeout{15000};
  // Compaction starts once the log is at least this big and dead records outweigh live ones.
  uint64_t compact_min_bytes = 1u << 20;
  Clock* clock = nullptr;               // nullptr: the real clock
  std::optional<uint64_t> jitter_seed;  // fixed for reproducible tests; random otherwise
};

OutboxOptions OutboxOptionsFrom(const config::NotificationsConfig& config);

// What the outbox holds for one entry (diagnostics and tests).
struct PendingEntry {
  uint64_t seq = 0;
  std::string lane;
  std::string integration;
  int64_t enqueued_ms = 0;
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  EntryState state;
  std::shared_ptr<const alerts::Notification> notification;  // as the integration gets it
};

class Outbox final : public alerts::NotificationSink {
 public:
  // Opens (creating) the log under options.data_dir and replays it: a torn tail is cut off
  // with one log line. Nothing is sent before the first Update. Throws std::runtime_error at
  // start-up when the folder can't be used or another process holds it.
  Outbox(prometheus::Registry& registry, OutboxOptions options);
  ~Outbox() override;
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Durably queues one entry per integration of the notification's receiver (a firing-only
  // copy for send_resolved: false, none when nothing is left) and wakes their lanes. A receiver
  // without integrations (Alertmanager's "null" receiver) queues nothing and returns true.
  // False (nothing queued, the dispatcher must try again) before the first Update and on a
  // disk error. Thread-safe; never waits on the network, only on the log's fdatasync.
  bool Enqueue(const alerts::Notification& notification) override;

  // Sets the integrations (first start and every reload): unchanged lanes keep running,
  // changed ones are restarted with the new notifier, their pending entries due at once (the
  // backoff they waited on was earned by the old config), removed ones stopped (an attempt in
  // flight finishes first, bounded by attempt_timeout). Entries of a lane that no longer exists
  // are given up with reason `other` and one log line each, and its shared state dropped: the
  // operator removed that destination, and its credentials may be gone with it.
  void Update(std::vector<Integration> integrations);

  // notifications.max_age / min_backoff / max_backoff after a reload; applies to the next
  // scheduling decision of every entry.
  void SetRetryPolicy(const RetryPolicy& policy);

  // Stops every lane (each finishes an attempt in flight) and sends nothing more; pending
  // entries stay in the log for the next start. Enqueue still queues durably. Idempotent.
  void Stop();

  // Rewrites the log with only the live entries and shared state (normally automatic).
  bool Compact();

  std::vector<PendingEntry> Pending() const;
  std::map<std::string, std::string> SharedValues(const std::string& lane) const;
  uint64_t LogBytes() const { return log_bytes_.load(); }

 private:
  struct Batch;
  struct Entry;
  struct Lane;
  class LaneShared;
  struct Route {
    std::string lane;
    std::string integration;
    bool send_resolved = true;
  };
  struct Queue {
    std::string integration;
    std::set<uint64_t> seqs;  // seq order is enqueue order
  };

  void Replay();
  // Starts the lane's thread unless it runs already or may not start yet.
  void StartLaneLocked(Lane& lane);
  void RunLane(Lane& lane);
  // The lane's next entry to attempt, or nullptr and *wake_ms (when to look again).
  Entry* NextDueLocked(const Lane& lane, int64_t now, int64_t* wake_ms);
  // One attempt and its bookkeeping; called and returns with `lock` (on mutex_) held, which it
  // releases meanwhile.
  void AttemptLocked(Lane& lane, Entry& entry, std::unique_lock<std::mutex>& lock);
  void GiveUpOrphans();

  // Must hold log_mutex_ and not mutex_. Writes records (rewriting the log first when an
  // earlier failure left it behind memory); counts and logs a failure.
  bool WriteLocked(const std::vector<std::string>& payloads);
  bool RewriteLocked();
  void MaybeCompactLocked();

  // Must hold mutex_: apply records to memory (replay and live writes alike).
  void ApplyAddLocked(const std::shared_ptr<const alerts::Notification>& notification,
                      int64_t enqueued_ms, const std::vector<detail::EntryRecord>& entries,
                      size_t bytes);
  bool ApplyRecordLocked(std::string_view payload, size_t bytes);  // false: unreadable
  void ApplyUpdateLocked(const detail::UpdateRecord& update, size_t bytes);
  void ReplaceSharedLocked(const std::string& lane,
                           const std::map<std::string, std::string>& values);
  void ApplySharedLocked(const std::string& lane, const std::string& key,
                         const std::optional<std::string>& value);
  void RemoveEntryLocked(uint64_t seq);
  void RefreshGaugesLocked(int64_t now);

  DeliveryMetrics metrics_;
  const OutboxOptions options_;
  Clock& clock_;
  std::atomic<uint64_t> log_bytes_{0};

  std::mutex update_mutex_;  // serialises Update and Stop

  // Lock order: log_mutex_ before mutex_. Every change that is persisted is written and applied
  // to memory under log_mutex_, so that a compaction (which holds it) snapshots memory that
  // matches the log exactly.
  std::mutex log_mutex_;
  std::unique_ptr<LogFile> log_;
  bool rewrite_needed_ = false;  // a write failed after memory moved on: rewrite before appending
  uint64_t compact_floor_ = 0;   // after a failed compaction, wait for this size before retrying

  mutable std::mutex mutex_;
  RetryPolicy policy_;
  std::map<uint64_t, std::unique_ptr<Entry>> entries_;
  std::map<std::string, Queue> queues_;  // by lane key
  std::map<std::string, std::map<std::string, std::string>> shared_;
  std::map<std::string, std::unique_ptr<Lane>> lanes_;
  std::map<std::string, std::vector<Route>> routes_;  // by receiver
  std::set<std::string> gauge_names_;
  uint64_t next_seq_ = 1;
  uint64_t live_bytes_ = 0;  // estimated bytes of the log that are still needed
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace codebot::notify::delivery
