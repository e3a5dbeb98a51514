// The dispatcher: Alertmanager's dispatch and notification pipeline up to the integrations, for
// our own alerts and those an Alertmanager posts to /alertmanager. It keeps the alerts by
// fingerprint (a newer copy replaces an older one, but a resolution the sender made stands
// against a stale firing copy with the same startsAt — alertmanager#4008), puts each into the
// group of every route it matches, and on each group's timers (group_wait, then every
// group_interval) mutes inhibited alerts, asks the dedup stage whether the receiver needs to hear
// anything (a new firing alert, a resolution, a repeat), enriches every alert of the group with
// its playbook and hands the notification to the outbox. Groups from an Alertmanager
// (/alertmanager/<receiver>) go straight to the dedup stage. What each group notified is kept on
// disk, so a restart neither loses a resolution nor repeats a notification.
//
// Send and SendToReceiver are called from the rule manager's and the HTTP server's threads: they
// take one short lock and never wait on the network (SendToReceiver waits for the outbox's
// fsync, which the HTTP answer must follow). One thread of its own runs the timers; it sleeps on
// a condition variable until the earliest group deadline. Nothing here is ever called on the
// /metrics path, and no log line or metric label carries an alert's annotations.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "exporter/alerts/alert.h"
#include "exporter/alerts/dedup.h"
#include "exporter/alerts/dispatcher_state.h"
#include "exporter/alerts/inhibit.h"
#include "exporter/alerts/notification.h"
#include "exporter/alerts/route.h"
#include "exporter/alerts/sink.h"
#include "exporter/config/notifications.h"

namespace codebot::alerts {

// Applies a playbook to one alert (alerts/enrich). Must be cheap and must not block: it runs on
// the dispatcher's thread for every alert of every notification.
using EnrichFunc = std::function<Enrichment(const Alert&)>;

struct DispatcherOptions {
  NotificationSink* sink = nullptr;          // required: the outbox
  prometheus::Registry* registry = nullptr;  // optional: metrics go nowhere when unset
  std::function<int64_t()> now;              // Unix ms; unset: NowUnixMs (tests inject a clock)
  std::string external_url;                  // the sidecar's, for our own notifications
  // Where the dispatcher state is kept (notifications.data_dir); "": nowhere, a restart forgets.
  std::string state_dir;
  // A notification the outbox refused (disk full) is tried again this much later, or at the
  // group's next flush if that comes first.
  std::chrono::milliseconds enqueue_retry = std::chrono::seconds(10);
  // How long an alert is remembered after it resolved and left its groups, so that a stale
  // firing copy arriving later (an HA peer's, a sender's retry) can't bring it back.
  std::chrono::milliseconds resolved_retention = std::chrono::hours(1);
  // An Alertmanager group posted again within this window with nothing new is a retry (or the
  // other member of an HA pair), not a repeat: it doesn't notify again. Shorter than any sane
  // repeat_interval.
  std::chrono::milliseconds direct_repeat_window = std::chrono::minutes(5);
  // An Alertmanager group not posted for this long is forgotten (Alertmanager keeps its own
  // notification log for 120h).
  std::chrono::milliseconds direct_retention = std::chrono::hours(120);
};

enum class DirectResult {
  kQueued,           // handed to the outbox
  kDuplicate,        // nothing the receiver hasn't heard already: answered as done
  kNothingToSend,    // the receiver has no integrations, or the group had no alerts
  kUnknownReceiver,  // no receiver of that name (HTTP 404)
  kNotQueued,        // the outbox refused it: the sender should retry (HTTP 503)
};

class Dispatcher final : public AlertSink {
 public:
  // Restores the state kept in options.state_dir, if any. Throws nothing: an unreadable state is
  // logged, counted and replaced by an empty one.
  Dispatcher(DispatcherOptions options, const config::Delivery& delivery, EnrichFunc enricher);
  ~Dispatcher() override;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Alerts from the rule manager or POST /alertmanager. Invalid ones (no labels, a bad label
  // name, endsAt before startsAt) are dropped and counted; a missing startsAt is now.
  void Send(std::vector<Alert> alerts) override;

  // Writes the state now if anything changed since the last write; false when that failed
  // (logged and counted). Send doesn't write (the rule manager calls it every evaluation and
  // sends everything again anyway); POST /alertmanager calls this after Send so that its 200
  // means the alerts survive a crash before their group's first flush.
  bool Persist();

  // A group an Alertmanager has grouped and timed, for our receiver `notification.receiver`:
  // every field filled but the enrichment (an empty id or created_ms is filled here). The dedup
  // stage still applies, and so does the guard against a stale firing copy of an alert this
  // group already notified as resolved.
  DirectResult SendToReceiver(Notification notification);

  // A reloaded config: routes, receivers, inhibit rules and the enricher are replaced. Alerts are
  // kept and routed again; a group whose route (same Route.ID and receiver) and labels still
  // exist keeps its timers and what it notified; the others are dropped.
  void Update(const config::Delivery& delivery, EnrichFunc enricher);

  // Whether a route tree is configured (POST /alertmanager has somewhere to go).
  bool HasRoute() const;

  // The timer thread. Without Start, nothing flushes unless RunDue/Tick is called (tests).
  void Start();
  void Stop();  // idempotent; a flush in progress finishes first

  // Flushes every group due at now_ms; returns the earliest deadline left (INT64_MAX: none).
  int64_t RunDue(int64_t now_ms);
  int64_t Tick();  // RunDue(options.now())

  struct GroupView {
    std::string route_id;
    std::string receiver;
    std::string group_key;
    Labels labels;
    std::vector<uint64_t> members;  // fingerprints, sorted
    std::optional<DedupEntry> notified;
    int64_t next_flush_ms = 0;
  };
  // The current groups, ordered by (route, receiver, labels): for tests and an API.
  std::vector<GroupView> Groups() const;
  // The alert held for a fingerprint, if any.
  std::optional<Alert> GetAlert(uint64_t fingerprint) const;

 private:
  struct GroupId {
    std::string route_id;
    std::string receiver;
    Labels labels;
    friend auto operator<=>(const GroupId&, const GroupId&) = default;
    friend bool operator==(const GroupId&, const GroupId&) = default;
  };
  struct Group {
    GroupId id;
    std::string group_key;
    RouteOpts opts;
    std::set<uint64_t> members;
    std::optional<DedupEntry> notified;
    bool has_flushed = false;
    int64_t next_flush_ms = 0;
  };
  struct Receiver {
    bool send_resolved = true;      // any of its integrations sends resolutions
    bool has_integrations = false;  // none: Alertmanager's "null" receiver, nothing is sent
  };
  struct Direct {
    DedupEntry notified;
    std::map<uint64_t, StoredAlert> alerts;
  };
  struct Plan;  // one due group's flush, prepared under the lock and finished outside it
  struct Metrics;

  void Configure(const config::Delivery& delivery, EnrichFunc enricher);  // mutex_ held
  void Restore(DispatcherState state, int64_t now_ms);                    // mutex_ held
  std::optional<std::string_view> Normalize(Alert* alert, int64_t now_ms) const;
  bool Merge(uint64_t fp, Alert alert, int64_t now_ms);              // mutex_ held
  bool RouteAlert(uint64_t fp, const Alert& alert, int64_t now_ms);  // mutex_ held
  // Whether the alert still belongs to the group with these labels on this route.
  bool StillRoutes(const RouteNode& node, const Alert& alert,
                   const Labels& group_labels) const;     // mutex_ held
  void SetInhibitionSources(int64_t now_ms);              // mutex_ held
  std::vector<Plan> Prepare(int64_t now_ms);              // mutex_ held
  void Finish(Plan* plan);                                // no lock
  void Commit(std::vector<Plan>* plans, int64_t now_ms);  // mutex_ held
  void MaybeCollectGarbage(int64_t now_ms);               // mutex_ held
  void UpdateGauges(int64_t now_ms);                      // mutex_ held
  int64_t NextDeadline() const;                           // mutex_ held
  DispatcherState Snapshot() const;                       // mutex_ held
  bool SaveState(int64_t now_ms);                         // takes write_mutex_, then mutex_
  std::string NewNotificationId(const std::string& receiver, const std::string& group_key,
                                int64_t now_ms);  // mutex_ held
  void Wake();                                    // mutex_ held
  void Loop();

  const DispatcherOptions options_;
  std::unique_ptr<prometheus::Registry> own_registry_;  // when options_.registry is unset
  std::unique_ptr<Metrics> metrics_;
  std::optional<StateFile> state_file_;
  const uint64_t id_salt_;

  // Lock order: flush_mutex_ or direct_mutex_, then write_mutex_, then mutex_. The outbox and the
  // enricher are only ever called with neither write_mutex_ nor mutex_ held.
  std::mutex flush_mutex_;   // one RunDue at a time
  std::mutex direct_mutex_;  // one SendToReceiver at a time: a retried POST waits for the first
  std::mutex write_mutex_;   // state saves in the order their snapshots were taken
  mutable std::mutex mutex_;
  std::condition_variable cv_;

  // Everything below is guarded by mutex_.
  std::optional<Router> router_;
  std::map<std::string, Receiver, std::less<>> receivers_;
  Inhibitor inhibitor_{std::vector<config::InhibitRule>{}};
  std::shared_ptr<const EnrichFunc> enricher_;
  std::unordered_map<uint64_t, StoredAlert> alerts_;
  std::map<GroupId, std::shared_ptr<Group>> groups_;
  std::map<std::pair<std::string, std::string>, Direct> direct_;  // (receiver, group key)
  uint64_t sequence_ = 0;
  int64_t last_gc_ms_ = 0;
  bool dirty_ = false;  // the state on disk is behind
  bool wake_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace codebot::alerts
