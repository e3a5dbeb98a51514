#include "exporter/notify/delivery/outbox.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "exporter/core/log.h"

namespace codebot::notify::delivery {
namespace {

// While entries wait, their lane wakes at least this often to refresh the queue-age gauge.
constexpr int64_t kGaugeRefreshMs = 1000;
// Per shared-state value, what a record spends beyond the key and the value themselves.
constexpr uint64_t kSharedOverheadBytes = 8;

void Sub(uint64_t& total, uint64_t amount) { total -= std::min(total, amount); }

size_t FrameBytes(const std::string& payload) { return kFrameHeaderBytes + payload.size(); }

// Labels equal in every alert (Alertmanager's CommonLabels/CommonAnnotations).
Labels CommonOf(const std::vector<alerts::NotifiedAlert>& alerts, Labels alerts::Alert::*member) {
  if (alerts.empty()) return {};
  Labels common = alerts.front().alert.*member;
  for (size_t i = 1; i < alerts.size(); ++i) {
    const Labels& other = alerts[i].alert.*member;
    std::erase_if(common, [&](const Label& l) { return LabelValue(other, l.name) != l.value; });
  }
  return common;
}

}  // namespace

std::string LaneKey(const std::string& receiver, const std::string& name, size_t index) {
  return receiver + "/" + name + "/" + std::to_string(index);
}

std::optional<alerts::Notification> FiringOnly(const alerts::Notification& notification) {
  alerts::Notification out;
  out.id = notification.id;
  out.receiver = notification.receiver;
  out.group_key = notification.group_key;
  out.group_labels = notification.group_labels;
  out.external_url = notification.external_url;
  out.created_ms = notification.created_ms;
  out.truncated_alerts = notification.truncated_alerts;
  for (const auto& alert : notification.alerts) {
    if (alert.status == alerts::Status::kFiring) out.alerts.push_back(alert);
  }
  if (out.alerts.empty()) return std::nullopt;
  if (out.alerts.size() == notification.alerts.size()) return notification;
  out.common_labels = CommonOf(out.alerts, &alerts::Alert::labels);
  out.common_annotations = CommonOf(out.alerts, &alerts::Alert::annotations);
  return out;
}

OutboxOptions OutboxOptionsFrom(const config::NotificationsConfig& config) {
  OutboxOptions options;
  options.data_dir = config.data_dir;
  options.retry = {.max_age = config.max_age,
                   .min_backoff = config.min_backoff,
                   .max_backoff = config.max_backoff};
  return options;
}

// One enqueued notification as the log holds it: the entries made from it share it.
struct Outbox::Batch {
  std::shared_ptr<const alerts::Notification> full;
  int64_t enqueued_ms = 0;
  size_t bytes = 0;  // its add record in the log
  size_t live = 0;   // entries not yet removed
};

struct Outbox::Entry {
  uint64_t seq = 0;
  std::string lane;
  std::string integration;
  bool firing_only = false;
  std::shared_ptr<Batch> batch;
  std::shared_ptr<const alerts::Notification> view;  // what the notifier gets
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  EntryState state;
  size_t update_bytes = 0;  // its latest update record in the log
};

struct Outbox::Lane {
  std::string key;
  Integration spec;
  std::condition_variable cv;
  bool stop = false;
  // Set once the lane it replaces (if any) is gone; from then on its thread starts with its
  // first entry. A lane without entries has no thread: most integrations wait idle for hours.
  bool ready = false;
  std::thread thread;
  std::mt19937_64 rng;  // the lane's jitter; used by its thread only
};

// The SharedState a notifier sees during one attempt: reads and writes the lane's values in
// memory at once (a later Get sees them) and remembers the changes, which are persisted with
// the attempt's update record.
class Outbox::LaneShared final : public SharedState {
 public:
  LaneShared(Outbox& outbox, std::string lane) : outbox_(outbox), lane_(std::move(lane)) {}

  std::optional<std::string> Get(const std::string& key) const override {
    std::lock_guard lock(outbox_.mutex_);
    auto lane = outbox_.shared_.find(lane_);
    if (lane == outbox_.shared_.end()) return std::nullopt;
    auto it = lane->second.find(key);
    if (it == lane->second.end()) return std::nullopt;
    return it->second;
  }
  void Set(const std::string& key, std::string value) override {
    std::lock_guard lock(outbox_.mutex_);
    outbox_.ApplySharedLocked(lane_, key, value);
    changes_[key] = std::move(value);
  }
  void Erase(const std::string& key) override {
    std::lock_guard lock(outbox_.mutex_);
    outbox_.ApplySharedLocked(lane_, key, std::nullopt);
    changes_[key] = std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> TakeChanges() { return std::move(changes_); }

 private:
  Outbox& outbox_;
  const std::string lane_;
  std::map<std::string, std::optional<std::string>> changes_;
};

Outbox::Outbox(prometheus::Registry& registry, OutboxOptions options)
    : metrics_(registry),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : DefaultClock()),
      policy_(options_.retry) {
  if (options_.data_dir.empty()) {
    throw std::runtime_error("outbox: notifications.data_dir is not set");
  }
  log_ = LogFile::Open(options_.data_dir);
  Replay();
}

Outbox::~Outbox() { Stop(); }

void Outbox::Replay() {
  std::lock_guard log_lock(log_mutex_);
  size_t unreadable = 0;
  LogFile::ReplayResult result;
  {
    std::lock_guard lock(mutex_);
    result = log_->Replay([&](std::string_view payload, size_t bytes) {
      if (!ApplyRecordLocked(payload, bytes)) ++unreadable;
    });
  }
  if (result.truncated_bytes > 0) {
    // The record being written when the process died: never acknowledged, so nothing is lost.
    log::Warn(
        "outbox: cut off a torn tail",
        {{"path", log_->path()}, {"bytes", result.truncated_bytes}, {"why", result.truncation}});
  }
  if (unreadable > 0) {
    log::Warn("outbox: skipped records it can't read",
              {{"path", log_->path()}, {"records", unreadable}});
  }
  log_bytes_ = log_->size();
  metrics_.outbox_bytes().Set(static_cast<double>(log_bytes_.load()));
  if (log_->broken()) RewriteLocked();
  MaybeCompactLocked();
  size_t entries = 0;
  {
    std::lock_guard lock(mutex_);
    entries = entries_.size();
    RefreshGaugesLocked(clock_.NowMs());
  }
  log::Info("outbox opened", {{"path", log_->path()},
                              {"pending", entries},
                              {"records", result.records},
                              {"bytes", log_bytes_.load()}});
}

bool Outbox::ApplyRecordLocked(std::string_view payload, size_t bytes) {
  auto record = detail::DecodeRecord(payload);
  if (!record) return false;
  if (auto* add = std::get_if<detail::AddRecord>(&*record)) {
    for (const auto& e : add->entries) next_seq_ = std::max(next_seq_, e.seq + 1);
    ApplyAddLocked(std::make_shared<const alerts::Notification>(std::move(add->notification)),
                   add->enqueued_ms, add->entries, bytes);
  } else if (auto* update = std::get_if<detail::UpdateRecord>(&*record)) {
    ApplyUpdateLocked(*update, bytes);
  } else if (auto* shared = std::get_if<detail::SharedRecord>(&*record)) {
    ReplaceSharedLocked(shared->lane, shared->values);
  }
  return true;
}

void Outbox::ApplyAddLocked(const std::shared_ptr<const alerts::Notification>& notification,
                            int64_t enqueued_ms, const std::vector<detail::EntryRecord>& entries,
                            size_t bytes) {
  auto batch = std::make_shared<Batch>();
  batch->full = notification;
  batch->enqueued_ms = enqueued_ms;
  batch->bytes = bytes;
  std::shared_ptr<const alerts::Notification> firing_only;
  for (const auto& record : entries) {
    if (entries_.contains(record.seq)) continue;
    auto entry = std::make_unique<Entry>();
    entry->seq = record.seq;
    entry->lane = record.lane;
    entry->integration = record.integration;
    entry->firing_only = record.firing_only;
    entry->batch = batch;
    entry->attempts = record.attempts;
    entry->next_attempt_ms = record.next_attempt_ms;
    entry->state = record.state;
    if (record.firing_only) {
      if (firing_only == nullptr) {
        auto filtered = FiringOnly(*notification);
        if (!filtered) continue;
        firing_only = std::make_shared<const alerts::Notification>(std::move(*filtered));
      }
      entry->view = firing_only;
    } else {
      entry->view = notification;
    }
    ++batch->live;
    auto& queue = queues_[record.lane];
    queue.integration = record.integration;
    queue.seqs.insert(record.seq);
    entries_.emplace(record.seq, std::move(entry));
  }
  if (batch->live > 0) live_bytes_ += bytes;
}

void Outbox::ApplyUpdateLocked(const detail::UpdateRecord& update, size_t bytes) {
  for (const auto& [key, value] : update.shared) ApplySharedLocked(update.lane, key, value);
  auto it = entries_.find(update.seq);
  if (it == entries_.end()) return;
  if (update.done) {
    RemoveEntryLocked(update.seq);
    return;
  }
  Entry& entry = *it->second;
  Sub(live_bytes_, entry.update_bytes);
  entry.update_bytes = bytes;
  live_bytes_ += bytes;
  entry.attempts = update.attempts;
  entry.next_attempt_ms = update.next_attempt_ms;
  entry.state = update.state;
}

void Outbox::ApplySharedLocked(const std::string& lane, const std::string& key,
                               const std::optional<std::string>& value) {
  auto lane_it = shared_.find(lane);
  if (lane_it == shared_.end()) {
    if (!value) return;
    lane_it = shared_.emplace(lane, std::map<std::string, std::string>{}).first;
  }
  auto& values = lane_it->second;
  auto it = values.find(key);
  if (it != values.end()) {
    Sub(live_bytes_, key.size() + it->second.size() + kSharedOverheadBytes);
    if (value) {
      it->second = *value;
    } else {
      values.erase(it);
    }
  } else if (value) {
    values.emplace(key, *value);
  }
  if (value) live_bytes_ += key.size() + value->size() + kSharedOverheadBytes;
  if (values.empty()) shared_.erase(lane_it);
}

void Outbox::ReplaceSharedLocked(const std::string& lane,
                                 const std::map<std::string, std::string>& values) {
  auto it = shared_.find(lane);
  if (it != shared_.end()) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : it->second) keys.push_back(key);
    for (const auto& key : keys) ApplySharedLocked(lane, key, std::nullopt);
  }
  for (const auto& [key, value] : values) ApplySharedLocked(lane, key, value);
}

void Outbox::RemoveEntryLocked(uint64_t seq) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  Entry& entry = *it->second;
  Sub(live_bytes_, entry.update_bytes);
  if (--entry.batch->live == 0) Sub(live_bytes_, entry.batch->bytes);
  auto queue = queues_.find(entry.lane);
  if (queue != queues_.end()) {
    queue->second.seqs.erase(seq);
    if (queue->second.seqs.empty()) queues_.erase(queue);
  }
  entries_.erase(it);
}

void Outbox::RefreshGaugesLocked(int64_t now) {
  struct Totals {
    size_t count = 0;
    int64_t oldest_ms = kForever;
  };
  std::map<std::string, Totals> totals;
  for (const auto& name : gauge_names_) totals[name];
  for (const auto& [lane, queue] : queues_) {
    if (queue.seqs.empty()) continue;
    auto& t = totals[queue.integration];
    t.count += queue.seqs.size();
    t.oldest_ms = std::min(t.oldest_ms, entries_.at(*queue.seqs.begin())->batch->enqueued_ms);
  }
  for (const auto& [name, t] : totals) {
    const auto& m = metrics_.For(name);
    m.queue_length->Set(static_cast<double>(t.count));
    const int64_t age_ms = t.count == 0 ? 0 : std::max<int64_t>(now - t.oldest_ms, 0);
    m.oldest_age->Set(static_cast<double>(age_ms) / 1000.0);
    gauge_names_.insert(name);
  }
}

bool Outbox::Enqueue(const alerts::Notification& notification) {
  const int64_t now = clock_.NowMs();
  std::vector<detail::EntryRecord> entries;
  {
    std::lock_guard lock(mutex_);
    if (!started_) {
      log::Warn("outbox: notification refused before the integrations are set",
                {{"alert_id", notification.id}, {"receiver", notification.receiver}});
      return false;
    }
    auto routes = routes_.find(notification.receiver);
    if (routes == routes_.end()) {
      log::Debug("notification for a receiver without integrations: nothing to deliver",
                 {{"alert_id", notification.id}, {"receiver", notification.receiver}});
      return true;
    }
    const bool any_firing = notification.Firing() > 0;
    const bool any_resolved = notification.Resolved() > 0;
    for (const auto& route : routes->second) {
      if (!route.send_resolved && !any_firing) continue;
      detail::EntryRecord entry;
      entry.seq = next_seq_++;
      entry.lane = route.lane;
      entry.integration = route.integration;
      entry.firing_only = !route.send_resolved && any_resolved;
      entry.next_attempt_ms = now;
      entries.push_back(std::move(entry));
    }
  }
  if (entries.empty()) return true;
  const std::string payload = detail::EncodeAdd(now, notification, entries);
  auto full = std::make_shared<const alerts::Notification>(notification);
  std::lock_guard log_lock(log_mutex_);
  if (!WriteLocked({payload})) return false;
  {
    std::lock_guard lock(mutex_);
    ApplyAddLocked(full, now, entries, FrameBytes(payload));
    RefreshGaugesLocked(now);
    for (const auto& entry : entries) {
      metrics_.For(entry.integration).notifications->Increment();
      auto lane = lanes_.find(entry.lane);
      if (lane == lanes_.end()) continue;
      StartLaneLocked(*lane->second);
      lane->second->cv.notify_all();
    }
  }
  MaybeCompactLocked();
  return true;
}

void Outbox::Update(std::vector<Integration> integrations) {
  std::lock_guard update_lock(update_mutex_);
  std::vector<std::unique_ptr<Lane>> stopping;
  std::vector<Lane*> starting;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    std::map<std::string, std::unique_ptr<Lane>> lanes;
    std::map<std::string, std::vector<Route>> routes;
    for (auto& integration : integrations) {
      const std::string key = LaneKey(integration.receiver, integration.name, integration.index);
      if (lanes.contains(key) || integration.notifier == nullptr) {
        log::Error("outbox: integration ignored (duplicate or without a notifier)",
                   {{"receiver", integration.receiver}, {"integration", integration.name}});
        continue;
      }
      metrics_.For(integration.name);  // every reason at 0 from the start
      gauge_names_.insert(integration.name);
      routes[integration.receiver].push_back({key, integration.name, integration.send_resolved});
      auto old = lanes_.find(key);
      if (old != lanes_.end() && old->second->spec.fingerprint == integration.fingerprint &&
          old->second->spec.name == integration.name) {
        lanes.emplace(key, std::move(old->second));
        lanes_.erase(old);
        continue;
      }
      if (old != lanes_.end()) {
        // The integration's config changed (a reload): what its entries wait for is a backoff
        // the old config earned, and the change is often the fix (a URL, a token, a chat).
        // They are due now; an API that still refuses answers again, with its retry_after.
        const int64_t now = clock_.NowMs();
        if (auto queue = queues_.find(key); queue != queues_.end()) {
          for (uint64_t seq : queue->second.seqs) {
            Entry& entry = *entries_.at(seq);
            entry.next_attempt_ms = std::min(entry.next_attempt_ms, now);
          }
        }
      }
      auto lane = std::make_unique<Lane>();
      lane->key = key;
      lane->spec = std::move(integration);
      if (options_.jitter_seed) {
        lane->rng.seed(*options_.jitter_seed ^ std::hash<std::string>{}(key));
      } else {
        lane->rng.seed(std::random_device{}());
      }
      starting.push_back(lane.get());
      lanes.emplace(key, std::move(lane));
    }
    for (auto& [key, lane] : lanes_) {
      lane->stop = true;
      lane->cv.notify_all();
      stopping.push_back(std::move(lane));
    }
    lanes_ = std::move(lanes);
    routes_ = std::move(routes);
    started_ = true;
  }
  // A replaced lane's thread must be gone before its successor starts on the same entries.
  for (auto& lane : stopping) {
    if (lane->thread.joinable()) lane->thread.join();
  }
  stopping.clear();
  GiveUpOrphans();
  std::lock_guard lock(mutex_);
  for (Lane* lane : starting) {
    lane->ready = true;
    if (queues_.contains(lane->key)) StartLaneLocked(*lane);
  }
}

void Outbox::StartLaneLocked(Lane& lane) {
  if (!lane.ready || lane.stop || lane.thread.joinable()) return;
  lane.thread = std::thread([this, &lane] { RunLane(lane); });
}

void Outbox::SetRetryPolicy(const RetryPolicy& policy) {
  std::lock_guard lock(mutex_);
  policy_ = policy;
}

void Outbox::Stop() {
  std::lock_guard update_lock(update_mutex_);
  std::vector<Lane*> lanes;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (auto& [key, lane] : lanes_) {
      lane->stop = true;
      lane->cv.notify_all();
      lanes.push_back(lane.get());
    }
  }
  for (Lane* lane : lanes) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

void Outbox::GiveUpOrphans() {
  struct Orphan {
    uint64_t seq;
    std::string integration;
    std::string receiver;
    std::string id;
  };
  std::vector<Orphan> orphans;
  std::vector<std::string> dropped_shared;
  std::lock_guard log_lock(log_mutex_);
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, queue] : queues_) {
      if (lanes_.contains(key)) continue;
      for (uint64_t seq : queue.seqs) {
        const Entry& entry = *entries_.at(seq);
        orphans.push_back({seq, entry.integration, entry.view->receiver, entry.view->id});
      }
    }
    for (const auto& [lane, values] : shared_) {
      if (!lanes_.contains(lane)) dropped_shared.push_back(lane);
    }
  }
  if (orphans.empty() && dropped_shared.empty()) return;
  std::vector<std::string> payloads;
  for (const auto& orphan : orphans) {
    detail::UpdateRecord done;
    done.seq = orphan.seq;
    done.done = true;
    payloads.push_back(detail::EncodeUpdate(done));
  }
  for (const auto& lane : dropped_shared) payloads.push_back(detail::EncodeShared(lane, {}));
  const bool written = WriteLocked(payloads);
  {
    std::lock_guard lock(mutex_);
    if (!written) rewrite_needed_ = true;
    for (const auto& orphan : orphans) RemoveEntryLocked(orphan.seq);
    for (const auto& lane : dropped_shared) ReplaceSharedLocked(lane, {});
    RefreshGaugesLocked(clock_.NowMs());
  }
  for (const auto& orphan : orphans) {
    metrics_.For(orphan.integration).Failed(kReasonOther);
    log::Warn("notification given up: its integration is no longer configured",
              {{"alert_id", orphan.id},
               {"receiver", orphan.receiver},
               {"integration", orphan.integration},
               {"reason", kReasonOther}});
  }
  MaybeCompactLocked();
}

void Outbox::RunLane(Lane& lane) {
  std::unique_lock lock(mutex_);
  while (!lane.stop) {
    const int64_t now = clock_.NowMs();
    int64_t wake_ms = kForever;
    Entry* entry = NextDueLocked(lane, now, &wake_ms);
    if (entry == nullptr) {
      RefreshGaugesLocked(now);
      clock_.WaitUntil(lock, lane.cv, wake_ms);
      continue;
    }
    AttemptLocked(lane, *entry, lock);
  }
}

Outbox::Entry* Outbox::NextDueLocked(const Lane& lane, int64_t now, int64_t* wake_ms) {
  auto queue = queues_.find(lane.key);
  if (queue == queues_.end() || queue->second.seqs.empty()) return nullptr;
  // A group's later message waits for its earlier one (a resolution never overtakes its
  // firing message); other groups go on.
  std::unordered_set<std::string_view> held;
  for (uint64_t seq : queue->second.seqs) {
    Entry& entry = *entries_.at(seq);
    if (!held.insert(entry.view->group_key).second) continue;
    if (entry.next_attempt_ms <= now) return &entry;
    *wake_ms = std::min(*wake_ms, entry.next_attempt_ms);
  }
  *wake_ms = std::min(*wake_ms, now + kGaugeRefreshMs);
  return nullptr;
}

void Outbox::AttemptLocked(Lane& lane, Entry& entry, std::unique_lock<std::mutex>& lock) {
  enum class Result { kDelivered, kFailed, kRetry, kThrottled };
  const RetryPolicy policy = policy_;
  const auto view = entry.view;
  const int64_t enqueued_ms = entry.batch->enqueued_ms;
  const EntryState state_before = entry.state;
  const auto& m = metrics_.For(lane.spec.name);

  detail::UpdateRecord update;
  update.seq = entry.seq;
  update.lane = lane.key;
  update.attempts = entry.attempts;
  update.next_attempt_ms = entry.next_attempt_ms;
  update.state = state_before;
  Result result = Result::kFailed;
  std::string reason;
  std::string error;
  if (Expired(policy, enqueued_ms, entry.next_attempt_ms, clock_.NowMs())) {
    lock.unlock();
    reason = kReasonExpired;
    error = "older than notifications.max_age before this attempt";
  } else {
    lock.unlock();
    EntryState state = state_before;
    LaneShared shared(*this, lane.key);
    Attempt attempt;
    try {
      attempt = lane.spec.notifier->Notify(*view, state, shared,
                                           SteadyClock::now() + options_.attempt_timeout);
    } catch (const std::exception& e) {
      // Integrations return verdicts; an exception is a bug in one, and must not end the lane.
      attempt = Attempt();
      attempt.outcome = Outcome::kRetry;
      attempt.reason = kReasonOther;
      attempt.error = e.what();
    } catch (...) {
      attempt = Attempt();
      attempt.outcome = Outcome::kRetry;
      attempt.reason = kReasonOther;
      attempt.error = "the notifier threw";
    }
    const int64_t now = clock_.NowMs();
    update.shared = shared.TakeChanges();
    update.state = std::move(state);
    error = attempt.error;
    for (const auto& request : attempt.requests) {
      m.requests->Increment();
      if (!request.empty()) m.RequestFailed(request);
    }
    if (attempt.outcome == Outcome::kDelivered) {
      result = Result::kDelivered;
      ++update.attempts;
    } else if (attempt.throttled) {
      // The integration's own rate limit held the attempt back: no request, no failure.
      result = Result::kThrottled;
      update.next_attempt_ms = now + attempt.retry_after.value_or(policy.min_backoff).count();
    } else if (attempt.outcome == Outcome::kFailed) {
      ++update.attempts;
      reason = BoundedReason(attempt.reason, false);
    } else {
      ++update.attempts;
      reason = BoundedReason(attempt.reason, false);
      const Duration backoff = NextBackoff(policy, update.attempts, attempt.retry_after, lane.rng);
      if (auto next = ScheduleRetry(policy, enqueued_ms, now, backoff, attempt.retry_after)) {
        result = Result::kRetry;
        update.next_attempt_ms = *next;
      } else {
        reason = kReasonExpired;
      }
    }
  }
  update.done = result == Result::kDelivered || result == Result::kFailed;
  const int64_t now = clock_.NowMs();
  // Counted before the entry leaves the queue, so that whoever sees it gone sees it counted.
  if (result == Result::kDelivered) {
    m.latency->Observe(static_cast<double>(std::max<int64_t>(now - enqueued_ms, 0)) / 1000.0);
  } else if (result == Result::kFailed) {
    m.Failed(reason);
  }
  const bool persist =
      result != Result::kThrottled || !update.shared.empty() || update.state != state_before;
  if (persist) {
    std::lock_guard log_lock(log_mutex_);
    const std::string payload = detail::EncodeUpdate(update);
    const bool written = WriteLocked({payload});
    {
      std::lock_guard relock(mutex_);
      // The attempt happened whatever the disk says: memory follows it, and the log is
      // rewritten from memory before the next append.
      if (!written) rewrite_needed_ = true;
      ApplyUpdateLocked(update, written ? FrameBytes(payload) : 0);
      RefreshGaugesLocked(now);
    }
    MaybeCompactLocked();
  } else {
    std::lock_guard relock(mutex_);
    ApplyUpdateLocked(update, entry.update_bytes);
  }

  switch (result) {
    case Result::kDelivered:
      log::Info("notification delivered", {{"alert_id", view->id},
                                           {"receiver", lane.spec.receiver},
                                           {"integration", lane.spec.name},
                                           {"index", lane.spec.index},
                                           {"attempt", update.attempts}});
      break;
    case Result::kFailed:
      log::Warn("notification given up", {{"alert_id", view->id},
                                          {"receiver", lane.spec.receiver},
                                          {"integration", lane.spec.name},
                                          {"index", lane.spec.index},
                                          {"attempt", update.attempts},
                                          {"reason", reason},
                                          {"error", error}});
      break;
    case Result::kRetry:
      log::Debug("notification retry scheduled", {{"alert_id", view->id},
                                                  {"receiver", lane.spec.receiver},
                                                  {"integration", lane.spec.name},
                                                  {"index", lane.spec.index},
                                                  {"attempt", update.attempts},
                                                  {"reason", reason},
                                                  {"error", error},
                                                  {"retry_in_ms", update.next_attempt_ms - now}});
      break;
    case Result::kThrottled:
      log::Debug("notification held back by the integration's rate limit",
                 {{"alert_id", view->id},
                  {"receiver", lane.spec.receiver},
                  {"integration", lane.spec.name},
                  {"index", lane.spec.index},
                  {"retry_in_ms", update.next_attempt_ms - now}});
      break;
  }
  lock.lock();
}

bool Outbox::WriteLocked(const std::vector<std::string>& payloads) {
  bool ok = true;
  if (rewrite_needed_ || log_->broken()) ok = RewriteLocked();
  if (ok) {
    std::string error;
    ok = log_->Append(payloads, &error);
    if (!ok) {
      metrics_.write_failures().Increment();
      log::Error("outbox write failed", {{"path", log_->path()}, {"error", error}});
    }
  }
  log_bytes_ = log_->size();
  metrics_.outbox_bytes().Set(static_cast<double>(log_bytes_.load()));
  return ok;
}

bool Outbox::RewriteLocked() {
  std::vector<std::string> payloads;
  std::vector<std::pair<std::shared_ptr<Batch>, size_t>> batch_bytes;
  {
    std::lock_guard lock(mutex_);
    // One add record per enqueued notification still live, with its live entries' progress.
    std::unordered_map<const Batch*, size_t> index;
    std::vector<std::pair<std::shared_ptr<Batch>, std::vector<detail::EntryRecord>>> groups;
    for (const auto& [seq, entry] : entries_) {
      auto [it, inserted] = index.emplace(entry->batch.get(), groups.size());
      if (inserted) groups.emplace_back(entry->batch, std::vector<detail::EntryRecord>{});
      groups[it->second].second.push_back({.seq = seq,
                                           .lane = entry->lane,
                                           .integration = entry->integration,
                                           .firing_only = entry->firing_only,
                                           .attempts = entry->attempts,
                                           .next_attempt_ms = entry->next_attempt_ms,
                                           .state = entry->state});
    }
    for (auto& [batch, records] : groups) {
      payloads.push_back(detail::EncodeAdd(batch->enqueued_ms, *batch->full, records));
      batch_bytes.emplace_back(batch, FrameBytes(payloads.back()));
    }
    for (const auto& [lane, values] : shared_)
      payloads.push_back(detail::EncodeShared(lane, values));
  }
  const uint64_t before = log_->size();
  std::string error;
  const bool ok = log_->Rewrite(payloads, &error);
  log_bytes_ = log_->size();
  metrics_.outbox_bytes().Set(static_cast<double>(log_bytes_.load()));
  if (!ok) {
    metrics_.write_failures().Increment();
    log::Error("outbox rewrite failed", {{"path", log_->path()}, {"error", error}});
    compact_floor_ = log_->size() + options_.compact_min_bytes;
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    uint64_t live = 0;
    for (auto& [batch, bytes] : batch_bytes) {
      batch->bytes = bytes;
      if (batch->live > 0) live += bytes;
    }
    for (auto& [seq, entry] : entries_) entry->update_bytes = 0;
    for (const auto& [lane, values] : shared_) {
      for (const auto& [key, value] : values)
        live += key.size() + value.size() + kSharedOverheadBytes;
    }
    live_bytes_ = live;
  }
  rewrite_needed_ = false;
  compact_floor_ = 0;
  log::Debug("outbox rewritten",
             {{"path", log_->path()}, {"bytes_before", before}, {"bytes_after", log_->size()}});
  return true;
}

void Outbox::MaybeCompactLocked() {
  const uint64_t size = log_->size();
  if (size < options_.compact_min_bytes || size < compact_floor_) return;
  uint64_t live = 0;
  {
    std::lock_guard lock(mutex_);
    live = live_bytes_;
  }
  if (size - std::min(size, live) <= live) return;
  RewriteLocked();
}

bool Outbox::Compact() {
  std::lock_guard log_lock(log_mutex_);
  return RewriteLocked();
}

std::vector<PendingEntry> Outbox::Pending() const {
  std::lock_guard lock(mutex_);
  std::vector<PendingEntry> out;
  out.reserve(entries_.size());
  for (const auto& [seq, entry] : entries_) {
    out.push_back({.seq = seq,
                   .lane = entry->lane,
                   .integration = entry->integration,
                   .enqueued_ms = entry->batch->enqueued_ms,
                   .attempts = entry->attempts,
                   .next_attempt_ms = entry->next_attempt_ms,
                   .state = entry->state,
                   .notification = entry->view});
  }
  return out;
}

std::map<std::string, std::string> Outbox::SharedValues(const std::string& lane) const {
  std::lock_guard lock(mutex_);
  auto it = shared_.find(lane);
  return it == shared_.end() ? std::map<std::string, std::string>{} : it->second;
}

}  // namespace codebot::notify::delivery
