#include "exporter/alerts/dispatcher.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "exporter/core/labels.h"
#include "exporter/core/log.h"
#include "exporter/core/time.h"

namespace codebot::alerts {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int64_t kGcEveryMs = 60'000;

constexpr std::string_view kInvalidNoLabels = "no_labels";
constexpr std::string_view kInvalidLabelName = "invalid_label_name";
constexpr std::string_view kInvalidDuplicateLabel = "duplicate_label";
constexpr std::string_view kInvalidEndsBeforeStarts = "ends_before_starts";

bool ByName(const Label& a, const Label& b) { return a.name < b.name; }

// Labels common to every alert with the same value, as Alertmanager's template data has them.
void SetCommon(Notification* n) {
  n->common_labels.clear();
  n->common_annotations.clear();
  if (n->alerts.empty()) return;
  auto common = [&](auto member) {
    Labels out;
    for (const auto& label : n->alerts.front().alert.*member) {
      bool everywhere = true;
      for (size_t i = 1; i < n->alerts.size() && everywhere; ++i) {
        const std::string* value = FindLabel(n->alerts[i].alert.*member, label.name);
        everywhere = value != nullptr && *value == label.value;
      }
      if (everywhere) out.push_back(label);
    }
    return out;
  };
  n->common_labels = common(&Alert::labels);
  n->common_annotations = common(&Alert::annotations);
}

// Firing first, then resolved, each in fingerprint order.
void SortAlerts(std::vector<NotifiedAlert>* alerts) {
  std::stable_sort(alerts->begin(), alerts->end(),
                   [](const NotifiedAlert& a, const NotifiedAlert& b) {
                     if (a.status != b.status) return a.status == Status::kFiring;
                     return a.alert.Fingerprint() < b.alert.Fingerprint();
                   });
}

// The fingerprints of the firing and of the resolved alerts of a notification, sorted.
void SplitFingerprints(const std::vector<NotifiedAlert>& alerts, std::vector<uint64_t>* firing,
                       std::vector<uint64_t>* resolved) {
  for (const auto& a : alerts) {
    (a.status == Status::kFiring ? firing : resolved)->push_back(a.alert.Fingerprint());
  }
  std::sort(firing->begin(), firing->end());
  std::sort(resolved->begin(), resolved->end());
}

void Enrich(const std::shared_ptr<const EnrichFunc>& enricher, Notification* n) {
  if (enricher == nullptr || !*enricher) return;
  for (auto& a : n->alerts) a.enrichment = (*enricher)(a.alert);
}

uint64_t Fnv1a(uint64_t h, std::string_view bytes) {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

struct Dispatcher::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : groups(prometheus::BuildGauge()
                   .Name("codebot_exporter_alert_groups")
                   .Help("Alert groups the dispatcher holds.")
                   .Register(registry)
                   .Add({})),
        alerts_family(prometheus::BuildGauge()
                          .Name("codebot_exporter_alerts")
                          .Help("Firing alerts the dispatcher holds, by whether an inhibit rule "
                                "suppresses them.")
                          .Register(registry)),
        active(alerts_family.Add({{"state", "active"}})),
        suppressed(alerts_family.Add({{"state", "suppressed"}})),
        notifications(prometheus::BuildCounter()
                          .Name("codebot_exporter_dispatcher_notifications_total")
                          .Help("Notifications the dispatcher handed to the outbox, by receiver.")
                          .Register(registry)),
        enqueue_failures(prometheus::BuildCounter()
                             .Name("codebot_exporter_dispatcher_enqueue_failures_total")
                             .Help("Notifications the outbox refused (they are tried again), by "
                                   "receiver.")
                             .Register(registry)),
        invalid(prometheus::BuildCounter()
                    .Name("codebot_exporter_alerts_invalid_total")
                    .Help("Alerts the dispatcher dropped as invalid, by reason.")
                    .Register(registry)),
        state_errors_family(prometheus::BuildCounter()
                                .Name("codebot_exporter_dispatcher_state_errors_total")
                                .Help("Failures to read or write the dispatcher's durable state.")
                                .Register(registry)),
        state_read_errors(state_errors_family.Add({{"operation", "read"}})),
        state_write_errors(state_errors_family.Add({{"operation", "write"}})) {
    for (auto reason :
         {kInvalidNoLabels, kInvalidLabelName, kInvalidDuplicateLabel, kInvalidEndsBeforeStarts}) {
      invalid.Add({{"reason", std::string(reason)}});
    }
  }

  prometheus::Gauge& groups;
  prometheus::Family<prometheus::Gauge>& alerts_family;
  prometheus::Gauge& active;
  prometheus::Gauge& suppressed;
  prometheus::Family<prometheus::Counter>& notifications;
  prometheus::Family<prometheus::Counter>& enqueue_failures;
  prometheus::Family<prometheus::Counter>& invalid;
  prometheus::Family<prometheus::Counter>& state_errors_family;
  prometheus::Counter& state_read_errors;
  prometheus::Counter& state_write_errors;
};

// One due group's flush: what was decided under the lock, handed over without it, and recorded
// under it again if the group still exists.
struct Dispatcher::Plan {
  std::shared_ptr<Group> group;
  NotifyReason reason = NotifyReason::kNone;
  // The resolved alerts of the flush (fingerprint, startsAt): they leave the group once the
  // flush succeeded, unless they fired again meanwhile.
  std::vector<std::pair<uint64_t, int64_t>> resolved;
  std::optional<DedupEntry> entry;           // recorded once handed over
  std::optional<Notification> notification;  // unset: nothing to hand over
  std::shared_ptr<const EnrichFunc> enricher;
  bool queued = true;
};

Dispatcher::Dispatcher(DispatcherOptions options, const config::Delivery& delivery,
                       EnrichFunc enricher)
    : options_([&] {
        if (!options.now) options.now = [] { return NowUnixMs(); };
        return std::move(options);
      }()),
      own_registry_(options_.registry == nullptr ? std::make_unique<prometheus::Registry>()
                                                 : nullptr),
      metrics_(std::make_unique<Metrics>(options_.registry != nullptr ? *options_.registry
                                                                      : *own_registry_)),
      id_salt_(static_cast<uint64_t>(SteadyClock::now().time_since_epoch().count()) ^
               (static_cast<uint64_t>(::getpid()) << 32)) {
  if (!options_.state_dir.empty()) state_file_.emplace(options_.state_dir);
  const int64_t now = options_.now();
  std::optional<DispatcherState> state;
  if (state_file_) {
    std::string error;
    state = state_file_->Load(&error);
    if (!state) {
      metrics_->state_read_errors.Increment();
      log::Error("dispatcher state unreadable, starting without it (file moved aside)",
                 {{"error", error}});
    }
  }
  std::lock_guard lock(mutex_);
  Configure(delivery, std::move(enricher));
  if (state) Restore(std::move(*state), now);
  UpdateGauges(now);
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Configure(const config::Delivery& delivery, EnrichFunc enricher) {
  router_.reset();
  if (delivery.route) router_.emplace(*delivery.route);
  receivers_.clear();
  for (const auto& r : delivery.receivers) {
    Receiver info;
    std::vector<bool> send_resolved;
    for (const auto& c : r.telegram_configs) send_resolved.push_back(c.send_resolved);
    for (const auto& c : r.slack_configs) send_resolved.push_back(c.send_resolved);
    for (const auto& c : r.pagerduty_configs) send_resolved.push_back(c.send_resolved);
    for (const auto& c : r.webhook_configs) send_resolved.push_back(c.send_resolved);
    info.has_integrations = !send_resolved.empty();
    info.send_resolved =
        std::any_of(send_resolved.begin(), send_resolved.end(), [](bool b) { return b; });
    receivers_[r.name] = info;
    metrics_->notifications.Add({{"receiver", r.name}});
    metrics_->enqueue_failures.Add({{"receiver", r.name}});
  }
  inhibitor_ = Inhibitor(delivery.inhibit_rules);
  enricher_ = std::make_shared<const EnrichFunc>(std::move(enricher));
}

bool Dispatcher::StillRoutes(const RouteNode& node, const Alert& alert,
                             const Labels& group_labels) const {
  if (GroupLabels(alert.labels, node.opts) != group_labels) return false;
  for (const RouteNode* match : router_->Match(alert.labels)) {
    if (match == &node) return true;
  }
  return false;
}

void Dispatcher::Restore(DispatcherState state, int64_t now_ms) {
  for (auto& stored : state.alerts) {
    const uint64_t fp = stored.alert.Fingerprint();
    alerts_.insert_or_assign(fp, std::move(stored));
  }
  size_t groups = 0;
  for (auto& record : state.groups) {
    if (!router_) break;
    const RouteNode* node = router_->FindById(record.route_id);
    // A group of a route that is gone, or now goes to another receiver, has nothing to carry
    // over: that receiver never heard of it.
    if (node == nullptr || node->opts.receiver != record.receiver) continue;
    auto group = std::make_shared<Group>();
    group->id = GroupId{record.route_id, record.receiver, record.labels};
    group->group_key = GroupKey(node->key, record.labels);
    group->opts = node->opts;
    group->notified = record.notified;
    group->has_flushed = record.notified.has_value();
    // Not at once: the rule manager gets a group_wait to refresh what still fires before a
    // firing alert whose endsAt passed while we were down is taken for resolved.
    group->next_flush_ms = now_ms + node->opts.group_wait_ms;
    for (uint64_t fp : record.members) {
      auto it = alerts_.find(fp);
      if (it != alerts_.end() && StillRoutes(*node, it->second.alert, record.labels)) {
        group->members.insert(fp);
      }
    }
    if (group->members.empty()) continue;
    GroupId id = group->id;
    groups_.emplace(std::move(id), std::move(group));
    ++groups;
  }
  if (router_) {
    for (const auto& [fp, stored] : alerts_) {
      if (!stored.alert.Resolved(now_ms)) RouteAlert(fp, stored.alert, now_ms);
    }
  }
  for (auto& record : state.direct) {
    Direct& d = direct_[{record.receiver, record.group_key}];
    d.notified = std::move(record.notified);
    for (auto& stored : record.alerts) {
      const uint64_t fp = stored.alert.Fingerprint();
      d.alerts.insert_or_assign(fp, std::move(stored));
    }
  }
  log::Info("dispatcher state restored",
            {{"alerts", alerts_.size()}, {"groups", groups}, {"receiver_groups", direct_.size()}});
}

std::optional<std::string_view> Dispatcher::Normalize(Alert* alert, int64_t now_ms) const {
  auto& labels = alert->labels;
  if (!std::is_sorted(labels.begin(), labels.end(), ByName)) {
    std::stable_sort(labels.begin(), labels.end(), ByName);
  }
  for (size_t i = 1; i < labels.size(); ++i) {
    if (labels[i].name == labels[i - 1].name) return kInvalidDuplicateLabel;
  }
  // An empty label is no label, in matching and in identity alike.
  std::erase_if(labels, [](const Label& l) { return l.value.empty(); });
  if (labels.empty()) return kInvalidNoLabels;
  for (const auto& l : labels) {
    if (!IsValidLabelName(l.name)) return kInvalidLabelName;
  }
  auto& annotations = alert->annotations;
  if (!std::is_sorted(annotations.begin(), annotations.end(), ByName)) {
    std::stable_sort(annotations.begin(), annotations.end(), ByName);
  }
  if (alert->starts_at_ms == kNoTime) alert->starts_at_ms = now_ms;
  if (alert->ends_at_ms != kNoTime && alert->ends_at_ms < alert->starts_at_ms) {
    return kInvalidEndsBeforeStarts;
  }
  return std::nullopt;
}

bool Dispatcher::Merge(uint64_t fp, Alert alert, int64_t now_ms) {
  const bool resolved = alert.Resolved(now_ms);
  auto it = alerts_.find(fp);
  if (it == alerts_.end()) {
    alerts_.emplace(fp, StoredAlert{std::move(alert), resolved});
    return true;
  }
  StoredAlert& held = it->second;
  if (held.resolved_by_sender && !resolved && alert.starts_at_ms <= held.alert.starts_at_ms) {
    // A firing copy of an alert its sender already resolved, from before the resolution (an HA
    // peer's or a retry's): the person must not see it come back (alertmanager#4008).
    log::Debug("stale firing copy of a resolved alert ignored",
               {{"fingerprint", FingerprintHex(fp)}, {"alertname", alert.Name()}});
    return false;
  }
  const bool resent_resolution =
      resolved && held.alert.Resolved(now_ms) && alert.starts_at_ms == held.alert.starts_at_ms;
  held.alert = std::move(alert);
  held.resolved_by_sender = resolved;
  // A resolution sent again (Prometheus resends them for 15 minutes) updates the groups still
  // holding the alert but brings it back to none it has left: they have notified it.
  return !resent_resolution;
}

bool Dispatcher::RouteAlert(uint64_t fp, const Alert& alert, int64_t now_ms) {
  bool wake = false;
  for (const RouteNode* node : router_->Match(alert.labels)) {
    GroupId id{node->id, node->opts.receiver, GroupLabels(alert.labels, node->opts)};
    auto it = groups_.find(id);
    if (it == groups_.end()) {
      auto group = std::make_shared<Group>();
      group->id = id;
      group->group_key = GroupKey(node->key, id.labels);
      group->opts = node->opts;
      group->next_flush_ms = now_ms + node->opts.group_wait_ms;
      it = groups_.emplace(std::move(id), std::move(group)).first;
      wake = true;
    }
    Group& group = *it->second;
    group.members.insert(fp);
    // An alert that started longer than group_wait ago has waited enough: the first flush is
    // now, as in Alertmanager.
    if (!group.has_flushed && alert.starts_at_ms + group.opts.group_wait_ms < now_ms &&
        group.next_flush_ms > now_ms) {
      group.next_flush_ms = now_ms;
      wake = true;
    }
  }
  return wake;
}

void Dispatcher::Send(std::vector<Alert> alerts) {
  const int64_t now = options_.now();
  std::vector<std::pair<std::string_view, std::string>> rejected;  // reason, alertname
  std::vector<std::pair<uint64_t, Alert>> valid;
  valid.reserve(alerts.size());
  for (auto& alert : alerts) {
    if (auto reason = Normalize(&alert, now)) {
      rejected.emplace_back(*reason, std::string(alert.Name()));
      continue;
    }
    const uint64_t fp = alert.Fingerprint();
    valid.emplace_back(fp, std::move(alert));
  }
  {
    std::lock_guard lock(mutex_);
    bool wake = false;
    for (auto& [fp, alert] : valid) {
      if (!Merge(fp, std::move(alert), now) || !router_) continue;
      wake = RouteAlert(fp, alerts_.at(fp).alert, now) || wake;
    }
    if (!valid.empty()) dirty_ = true;
    MaybeCollectGarbage(now);
    UpdateGauges(now);
    if (wake) Wake();
  }
  for (const auto& [reason, name] : rejected) {
    metrics_->invalid.Add({{"reason", std::string(reason)}}).Increment();
    log::Warn("alert dropped as invalid", {{"reason", reason}, {"alertname", name}});
  }
}

void Dispatcher::SetInhibitionSources(int64_t now_ms) {
  if (inhibitor_.empty()) return;
  std::vector<const Labels*> firing;
  for (const auto& [fp, stored] : alerts_) {
    if (!stored.alert.Resolved(now_ms)) firing.push_back(&stored.alert.labels);
  }
  inhibitor_.SetSources(firing);
}

std::vector<Dispatcher::Plan> Dispatcher::Prepare(int64_t now_ms) {
  std::vector<Plan> plans;
  SetInhibitionSources(now_ms);
  for (auto& [id, group] : groups_) {
    Group& g = *group;
    if (g.next_flush_ms > now_ms) continue;
    g.has_flushed = true;
    g.next_flush_ms = now_ms + g.opts.group_interval_ms;
    Plan plan;
    plan.group = group;
    std::vector<NotifiedAlert> firing;
    std::vector<NotifiedAlert> resolved;
    std::vector<uint64_t> firing_fps;
    std::vector<uint64_t> resolved_fps;
    for (uint64_t fp : g.members) {  // a std::set: in fingerprint order
      auto it = alerts_.find(fp);
      if (it == alerts_.end()) continue;
      const Alert& alert = it->second.alert;
      const bool is_resolved = alert.Resolved(now_ms);
      if (is_resolved) plan.resolved.emplace_back(fp, alert.starts_at_ms);
      if (!inhibitor_.empty() && inhibitor_.Mutes(alert.labels)) continue;
      NotifiedAlert n{alert, is_resolved ? Status::kResolved : Status::kFiring, {}};
      // As in Alertmanager: a firing alert's endsAt is only how long it stays valid, not news.
      if (!is_resolved) n.alert.ends_at_ms = kNoTime;
      (is_resolved ? resolved : firing).push_back(std::move(n));
      (is_resolved ? resolved_fps : firing_fps).push_back(fp);
    }
    auto receiver = receivers_.find(g.id.receiver);
    const bool send_resolved = receiver == receivers_.end() || receiver->second.send_resolved;
    plan.reason = NeedsUpdate(g.notified ? &*g.notified : nullptr, firing_fps, resolved_fps,
                              send_resolved, g.opts.repeat_interval_ms, now_ms);
    if (plan.reason != NotifyReason::kNone) {
      plan.entry = DedupEntry{now_ms, firing_fps, resolved_fps};
      if (receiver != receivers_.end() && receiver->second.has_integrations) {
        Notification n;
        n.id = NewNotificationId(g.id.receiver, g.group_key, now_ms);
        n.receiver = g.id.receiver;
        n.group_key = g.group_key;
        n.group_labels = g.id.labels;
        n.external_url = options_.external_url;
        n.created_ms = now_ms;
        n.alerts = std::move(firing);
        n.alerts.insert(n.alerts.end(), std::make_move_iterator(resolved.begin()),
                        std::make_move_iterator(resolved.end()));
        SetCommon(&n);
        plan.notification = std::move(n);
        plan.enricher = enricher_;
      }
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

void Dispatcher::Finish(Plan* plan) {
  if (!plan->notification) return;
  Notification& n = *plan->notification;
  Enrich(plan->enricher, &n);
  plan->queued = options_.sink->Enqueue(n);
  if (plan->queued) {
    metrics_->notifications.Add({{"receiver", n.receiver}}).Increment();
    log::Info("notification queued", {{"alert_id", n.id},
                                      {"receiver", n.receiver},
                                      {"group_key", n.group_key},
                                      {"reason", NotifyReasonName(plan->reason)},
                                      {"firing", n.Firing()},
                                      {"resolved", n.Resolved()}});
  } else {
    metrics_->enqueue_failures.Add({{"receiver", n.receiver}}).Increment();
    log::Warn("outbox refused a notification, trying again",
              {{"alert_id", n.id},
               {"receiver", n.receiver},
               {"group_key", n.group_key},
               {"retry_in_ms", static_cast<int64_t>(options_.enqueue_retry.count())}});
  }
}

void Dispatcher::Commit(std::vector<Plan>* plans, int64_t now_ms) {
  for (auto& plan : *plans) {
    auto it = groups_.find(plan.group->id);
    // A reload dropped the group meanwhile: nothing to record.
    if (it == groups_.end() || it->second != plan.group) continue;
    Group& g = *plan.group;
    if (!plan.queued) {
      // Not notified: nothing recorded, the resolved alerts stay, and the flush comes again.
      g.next_flush_ms = std::min(g.next_flush_ms, now_ms + options_.enqueue_retry.count());
      continue;
    }
    if (plan.entry) {
      g.notified = std::move(plan.entry);
      dirty_ = true;
    }
    for (const auto& [fp, starts_at] : plan.resolved) {
      // Only if still resolved: an alert that fired again during the flush stays.
      auto a = alerts_.find(fp);
      if (a != alerts_.end() && a->second.alert.Resolved(now_ms) &&
          a->second.alert.starts_at_ms == starts_at) {
        g.members.erase(fp);
        dirty_ = true;
      }
    }
    if (g.members.empty()) {
      groups_.erase(it);
      dirty_ = true;
    }
  }
  MaybeCollectGarbage(now_ms);
  UpdateGauges(now_ms);
}

void Dispatcher::MaybeCollectGarbage(int64_t now_ms) {
  if (now_ms - last_gc_ms_ < kGcEveryMs && now_ms >= last_gc_ms_) return;
  last_gc_ms_ = now_ms;
  std::set<uint64_t> members;
  for (const auto& [id, group] : groups_)
    members.insert(group->members.begin(), group->members.end());
  const int64_t retention = options_.resolved_retention.count();
  const size_t before = alerts_.size() + direct_.size();
  std::erase_if(alerts_, [&](const auto& entry) {
    const Alert& a = entry.second.alert;
    return a.Resolved(now_ms) && now_ms - a.ends_at_ms >= retention &&
           !members.contains(entry.first);
  });
  std::erase_if(direct_, [&](const auto& entry) {
    const DedupEntry& e = entry.second.notified;
    const int64_t age = now_ms - e.notified_ms;
    return age >= options_.direct_retention.count() || (e.firing.empty() && age >= retention);
  });
  if (alerts_.size() + direct_.size() != before) dirty_ = true;
}

void Dispatcher::UpdateGauges(int64_t now_ms) {
  SetInhibitionSources(now_ms);
  int64_t active = 0;
  int64_t suppressed = 0;
  for (const auto& [fp, stored] : alerts_) {
    if (stored.alert.Resolved(now_ms)) continue;
    if (!inhibitor_.empty() && inhibitor_.Mutes(stored.alert.labels)) {
      ++suppressed;
    } else {
      ++active;
    }
  }
  metrics_->active.Set(static_cast<double>(active));
  metrics_->suppressed.Set(static_cast<double>(suppressed));
  metrics_->groups.Set(static_cast<double>(groups_.size()));
}

int64_t Dispatcher::NextDeadline() const {
  int64_t next = kNever;
  for (const auto& [id, group] : groups_) next = std::min(next, group->next_flush_ms);
  return next;
}

int64_t Dispatcher::RunDue(int64_t now_ms) {
  std::lock_guard flush(flush_mutex_);
  std::vector<Plan> plans;
  {
    std::lock_guard lock(mutex_);
    plans = Prepare(now_ms);
  }
  for (auto& plan : plans) Finish(&plan);
  {
    std::lock_guard lock(mutex_);
    Commit(&plans, now_ms);
  }
  SaveState(now_ms);
  std::lock_guard lock(mutex_);
  return NextDeadline();
}

int64_t Dispatcher::Tick() { return RunDue(options_.now()); }

DirectResult Dispatcher::SendToReceiver(Notification notification) {
  std::lock_guard direct(direct_mutex_);
  const int64_t now = options_.now();
  Notification& n = notification;
  NotifyReason reason = NotifyReason::kNone;
  DedupEntry entry;
  bool send = false;
  std::shared_ptr<const EnrichFunc> enricher;
  {
    std::lock_guard lock(mutex_);
    auto receiver = receivers_.find(n.receiver);
    if (receiver == receivers_.end()) return DirectResult::kUnknownReceiver;
    auto d = direct_.find({n.receiver, n.group_key});
    if (d != direct_.end()) {
      bool changed = false;
      for (auto& a : n.alerts) {
        if (a.status != Status::kFiring) continue;
        auto held = d->second.alerts.find(a.alert.Fingerprint());
        if (held == d->second.alerts.end() || !held->second.resolved_by_sender) continue;
        if (a.alert.starts_at_ms > held->second.alert.starts_at_ms) continue;  // fired again
        // The group notified this alert resolved already: a firing copy from before that is
        // stale (a retry, an HA peer's), and must not make it fire again.
        a.alert = held->second.alert;
        a.status = Status::kResolved;
        changed = true;
      }
      if (changed) {
        SortAlerts(&n.alerts);
        SetCommon(&n);
      }
    }
    SplitFingerprints(n.alerts, &entry.firing, &entry.resolved);
    reason = NeedsUpdateDirect(d == direct_.end() ? nullptr : &d->second.notified, entry.firing,
                               entry.resolved, options_.direct_repeat_window.count(), now);
    if (reason == NotifyReason::kNone) {
      return n.alerts.empty() ? DirectResult::kNothingToSend : DirectResult::kDuplicate;
    }
    entry.notified_ms = now;
    send = receiver->second.has_integrations;
    enricher = enricher_;
    if (n.id.empty()) n.id = NewNotificationId(n.receiver, n.group_key, now);
    if (n.created_ms == 0) n.created_ms = now;
  }
  if (send) {
    Plan plan;
    plan.reason = reason;
    plan.notification = std::move(n);
    plan.enricher = std::move(enricher);
    Finish(&plan);
    if (!plan.queued) return DirectResult::kNotQueued;
    n = std::move(*plan.notification);
  }
  {
    std::lock_guard lock(mutex_);
    Direct& d = direct_[{n.receiver, n.group_key}];
    d.notified = std::move(entry);
    for (auto& a : n.alerts) {
      const uint64_t fp = a.alert.Fingerprint();
      d.alerts.insert_or_assign(fp, StoredAlert{std::move(a.alert), a.status == Status::kResolved});
    }
    dirty_ = true;
  }
  SaveState(now);
  return send ? DirectResult::kQueued : DirectResult::kNothingToSend;
}

void Dispatcher::Update(const config::Delivery& delivery, EnrichFunc enricher) {
  const int64_t now = options_.now();
  std::lock_guard lock(mutex_);
  Configure(delivery, std::move(enricher));
  auto old = std::move(groups_);
  groups_.clear();
  if (router_) {
    for (auto& entry : old) {
      // Not a structured binding: a lambda below refers to it.
      const GroupId& id = entry.first;
      const std::shared_ptr<Group>& group = entry.second;
      const RouteNode* node = router_->FindById(id.route_id);
      if (node == nullptr || node->opts.receiver != id.receiver) continue;
      Group& g = *group;
      std::erase_if(g.members, [&](uint64_t fp) {
        auto it = alerts_.find(fp);
        return it == alerts_.end() || !StillRoutes(*node, it->second.alert, id.labels);
      });
      if (g.members.empty()) continue;
      g.opts = node->opts;
      g.group_key = GroupKey(node->key, id.labels);
      // Shorter timers take effect now, longer ones from the next flush.
      g.next_flush_ms = std::min(
          g.next_flush_ms, now + (g.has_flushed ? g.opts.group_interval_ms : g.opts.group_wait_ms));
      groups_.emplace(id, group);
    }
    for (const auto& [fp, stored] : alerts_) {
      if (!stored.alert.Resolved(now)) RouteAlert(fp, stored.alert, now);
    }
  }
  dirty_ = true;
  UpdateGauges(now);
  Wake();
}

bool Dispatcher::HasRoute() const {
  std::lock_guard lock(mutex_);
  return router_.has_value();
}

std::vector<Dispatcher::GroupView> Dispatcher::Groups() const {
  std::lock_guard lock(mutex_);
  std::vector<GroupView> out;
  out.reserve(groups_.size());
  for (const auto& [id, group] : groups_) {
    out.push_back(
        GroupView{.route_id = id.route_id,
                  .receiver = id.receiver,
                  .group_key = group->group_key,
                  .labels = id.labels,
                  .members = std::vector<uint64_t>(group->members.begin(), group->members.end()),
                  .notified = group->notified,
                  .next_flush_ms = group->next_flush_ms});
  }
  return out;
}

std::optional<Alert> Dispatcher::GetAlert(uint64_t fingerprint) const {
  std::lock_guard lock(mutex_);
  auto it = alerts_.find(fingerprint);
  if (it == alerts_.end()) return std::nullopt;
  return it->second.alert;
}

DispatcherState Dispatcher::Snapshot() const {
  DispatcherState state;
  state.alerts.reserve(alerts_.size());
  for (const auto& [fp, stored] : alerts_) state.alerts.push_back(stored);
  std::sort(
      state.alerts.begin(), state.alerts.end(),
      [](const StoredAlert& a, const StoredAlert& b) { return a.alert.labels < b.alert.labels; });
  for (const auto& [id, group] : groups_) {
    state.groups.push_back(
        GroupRecord{.route_id = id.route_id,
                    .receiver = id.receiver,
                    .labels = id.labels,
                    .members = std::vector<uint64_t>(group->members.begin(), group->members.end()),
                    .notified = group->notified});
  }
  for (const auto& [key, d] : direct_) {
    DirectRecord record{
        .receiver = key.first, .group_key = key.second, .notified = d.notified, .alerts = {}};
    for (const auto& [fp, stored] : d.alerts) record.alerts.push_back(stored);
    state.direct.push_back(std::move(record));
  }
  return state;
}

bool Dispatcher::SaveState(int64_t now_ms) {
  if (!state_file_) return true;
  std::lock_guard write(write_mutex_);
  DispatcherState state;
  {
    std::lock_guard lock(mutex_);
    if (!dirty_) return true;
    state = Snapshot();
    dirty_ = false;
  }
  std::string error;
  if (state_file_->Save(EncodeState(state, now_ms), &error)) return true;
  {
    std::lock_guard lock(mutex_);
    dirty_ = true;  // written at the next chance
  }
  metrics_->state_write_errors.Increment();
  log::Error("dispatcher state not saved", {{"error", error}});
  return false;
}

bool Dispatcher::Persist() { return SaveState(options_.now()); }

std::string Dispatcher::NewNotificationId(const std::string& receiver, const std::string& group_key,
                                          int64_t now_ms) {
  uint64_t h = 14695981039346656037ULL;
  h = Fnv1a(h, receiver);
  h = Fnv1a(h, std::string_view("\xff", 1));
  h = Fnv1a(h, group_key);
  const uint64_t numbers[] = {static_cast<uint64_t>(now_ms), ++sequence_, id_salt_};
  h = Fnv1a(h, std::string_view(reinterpret_cast<const char*>(numbers), sizeof(numbers)));
  return FingerprintHex(h);
}

void Dispatcher::Wake() {
  wake_ = true;
  cv_.notify_one();
}

void Dispatcher::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  SaveState(options_.now());
}

void Dispatcher::Loop() {
  while (true) {
    const int64_t next = RunDue(options_.now());
    std::unique_lock lock(mutex_);
    if (stop_) return;
    if (!wake_) {
      auto woken = [this] { return stop_ || wake_; };
      const int64_t now = options_.now();
      if (next == kNever) {
        cv_.wait(lock, woken);
      } else if (next > now) {
        cv_.wait_for(lock, std::chrono::milliseconds(next - now), woken);
      }
    }
    if (stop_) return;
    wake_ = false;
  }
}

}  // namespace codebot::alerts
