// The outbox and its lanes with scripted notifiers and a fake clock: what is enqueued survives a
// reopen and a torn tail, compaction keeps everything live, send_resolved filters, a group's
// resolution never overtakes its firing message, backoff honours retry_after and max_age, final
// failures are not retried, progress (EntryState, SharedState) survives a restart, metrics and
// log lines tell the story, Stop and Update behave, and a full disk makes Enqueue say no.
#include "exporter/notify/delivery/outbox.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <sys/resource.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "exporter/core/log.h"
#include "exporter/core/sanitize.h"
#include "exporter/notify/delivery/records.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::notify::delivery {
namespace {

using namespace std::chrono_literals;
using alerts::Status;

// Time moves only when the test says so; waiting lanes re-check every real millisecond.
class FakeClock final : public Clock {
 public:
  int64_t NowMs() override { return now_.load(); }
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 int64_t until_ms) override {
    if (until_ms <= now_.load()) return;
    cv.wait_for(lock, 1ms);
  }
  void Advance(std::chrono::milliseconds d) { now_ += d.count(); }

 private:
  std::atomic<int64_t> now_{1'700'000'000'000};
};

struct Call {
  std::string id;
  std::vector<std::pair<std::string, Status>> alerts;  // alertname/instance, status
  Labels common_labels;
  EntryState state;
  int64_t at_ms = 0;
  Deadline deadline;
};

// What every scripted notifier saw, shared with the test (the outbox owns the notifier).
class Recorder {
 public:
  void Add(Call call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
  }
  std::vector<Call> Calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  size_t Count() const {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    for (const auto& c : Calls()) ids.push_back(c.id);
    return ids;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Call> calls_;
};

using Script = std::function<Attempt(const alerts::Notification&, EntryState&, SharedState&,
                                     size_t call_index)>;

class ScriptedNotifier final : public Notifier {
 public:
  ScriptedNotifier(std::shared_ptr<Recorder> recorder, Clock& clock, Script script)
      : recorder_(std::move(recorder)), clock_(clock), script_(std::move(script)) {}
  Attempt Notify(const alerts::Notification& n, EntryState& state, SharedState& shared,
                 Deadline deadline) override {
    Call call;
    call.id = n.id;
    call.common_labels = n.common_labels;
    call.state = state;
    call.at_ms = clock_.NowMs();
    call.deadline = deadline;
    for (const auto& a : n.alerts) {
      call.alerts.emplace_back(std::string(a.alert.Label("instance")), a.status);
    }
    const size_t index = calls_++;
    recorder_->Add(std::move(call));
    return script_(n, state, shared, index);
  }

 private:
  std::shared_ptr<Recorder> recorder_;
  Clock& clock_;
  Script script_;
  size_t calls_ = 0;
};

Attempt Delivered() {
  Attempt a;
  a.requests = {""};
  return a;
}

Attempt Retry(std::string_view reason, std::optional<std::chrono::milliseconds> retry_after = {}) {
  Attempt a;
  a.outcome = Outcome::kRetry;
  a.reason = reason;
  a.error = "HTTP 5xx from the fake";
  a.retry_after = retry_after;
  a.requests = {std::string(reason)};
  return a;
}

Attempt Failed(std::string_view reason) {
  Attempt a;
  a.outcome = Outcome::kFailed;
  a.reason = reason;
  a.error = "Bad Request: chat not found";
  a.requests = {std::string(reason)};
  return a;
}

alerts::NotifiedAlert MakeAlert(const std::string& instance, Status status,
                                const std::string& description = "") {
  alerts::NotifiedAlert a;
  a.alert.labels = {{"alertname", "HighLatency"}, {"instance", instance}, {"severity", "critical"}};
  if (!description.empty()) a.alert.annotations = {{"description", description}};
  a.alert.starts_at_ms = 1'699'999'000'000;
  a.alert.ends_at_ms = status == Status::kResolved ? 1'699'999'900'000 : kNoTime;
  a.status = status;
  a.enrichment.actions = {"Look at the dashboard"};
  return a;
}

alerts::Notification MakeNotification(const std::string& id, const std::string& group,
                                      std::vector<alerts::NotifiedAlert> alerts,
                                      const std::string& receiver = "oncall") {
  alerts::Notification n;
  n.id = id;
  n.receiver = receiver;
  n.group_key = "{}:{group=\"" + group + "\"}";
  n.group_labels = {{"group", group}};
  n.common_labels = {{"alertname", "HighLatency"}};
  n.created_ms = 1'700'000'000'000;
  n.alerts = std::move(alerts);
  return n;
}

alerts::Notification Firing(const std::string& id, const std::string& group = "g1") {
  return MakeNotification(id, group, {MakeAlert("a", Status::kFiring)});
}

double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : metric.label) found = found || (l.name == k && l.value == v);
        match = match && found;
      }
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        default:
          return NAN;
      }
    }
  }
  return NAN;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class OutboxTest : public ::testing::Test {
 protected:
  OutboxOptions Options() {
    OutboxOptions o;
    o.data_dir = dir_.path() + "/outbox";
    o.clock = &clock_;
    o.jitter_seed = 42;
    o.retry = {.max_age = 1h, .min_backoff = 1s, .max_backoff = 60s};
    o.attempt_timeout = 2s;
    return o;
  }

  std::unique_ptr<Outbox> Open(std::optional<OutboxOptions> options = std::nullopt) {
    registry_ = std::make_shared<prometheus::Registry>();
    return std::make_unique<Outbox>(*registry_, options ? *options : Options());
  }

  Integration Make(const std::string& receiver, const std::string& name, size_t index,
                   bool send_resolved, Script script, const std::string& fingerprint = "v1",
                   const std::shared_ptr<Recorder>& recorder = nullptr) {
    Integration i;
    i.receiver = receiver;
    i.name = name;
    i.index = index;
    i.send_resolved = send_resolved;
    i.fingerprint = fingerprint;
    i.notifier = std::make_unique<ScriptedNotifier>(recorder ? recorder : recorder_, clock_,
                                                    std::move(script));
    return i;
  }

  void Start(Outbox& outbox, Script script, bool send_resolved = true) {
    std::vector<Integration> list;
    list.push_back(Make("oncall", "telegram", 0, send_resolved, std::move(script)));
    outbox.Update(std::move(list));
  }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    return MetricValue(*registry_, name, labels);
  }

  static bool Eventually(const std::function<bool()>& condition) {
    return testing::WaitFor(condition, 10s);
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::shared_ptr<Recorder> recorder_ = std::make_shared<Recorder>();
  std::shared_ptr<prometheus::Registry> registry_;
};

TEST_F(OutboxTest, EnqueueBeforeTheIntegrationsAreSetIsRefused) {
  auto outbox = Open();
  EXPECT_FALSE(outbox->Enqueue(Firing("n1")));
  EXPECT_TRUE(outbox->Pending().empty());
  Start(*outbox, [](auto&&...) { return Retry(kReasonServerError, 1h); });
  EXPECT_TRUE(outbox->Enqueue(Firing("n1")));
  // A receiver without integrations (Alertmanager's "null" receiver) queues nothing.
  EXPECT_TRUE(
      outbox->Enqueue(MakeNotification("n2", "g", {MakeAlert("a", Status::kFiring)}, "blackhole")));
  EXPECT_EQ(outbox->Pending().size(), 1u);
}

size_t ThreadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

TEST_F(OutboxTest, ALaneStartsItsThreadWithItsFirstEntry) {
  const size_t before = ThreadCount();
  auto outbox = Open();
  Start(*outbox, [](auto&&...) { return Retry(kReasonServerError, 1h); });
  EXPECT_EQ(ThreadCount(), before);
  ASSERT_TRUE(outbox->Enqueue(Firing("n1")));
  EXPECT_EQ(ThreadCount(), before + 1);
  ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 1; }));
  ASSERT_TRUE(outbox->Enqueue(Firing("n2", "g2")));
  EXPECT_EQ(ThreadCount(), before + 1);
  outbox.reset();
  EXPECT_EQ(ThreadCount(), before);
  // Reopened with an entry pending: its lane starts with the integrations.
  outbox = Open();
  Start(*outbox, [](auto&&...) { return Retry(kReasonServerError, 1h); });
  EXPECT_EQ(ThreadCount(), before + 1);
}

TEST_F(OutboxTest, PendingEntriesAreReplayedAfterReopenAndThenDelivered) {
  const auto notification =
      MakeNotification("n1", "g1",
                       {MakeAlert("a", Status::kFiring, "Latency <b>high</b> & rising"),
                        MakeAlert("b", Status::kResolved)});
  {
    auto outbox = Open();
    Start(*outbox, [](auto&&...) { return Retry(kReasonServerError); });
    ASSERT_TRUE(outbox->Enqueue(notification));
    ASSERT_TRUE(outbox->Enqueue(Firing("n2", "g2")));
    ASSERT_TRUE(Eventually([&] { return recorder_->Count() >= 2; }));
    ASSERT_TRUE(Eventually([&] {
      auto pending = outbox->Pending();
      return pending.size() == 2 && pending[0].attempts == 1 && pending[1].attempts == 1;
    }));
  }
  auto outbox = Open();
  auto pending = outbox->Pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].lane, "oncall/telegram/0");
  EXPECT_EQ(pending[0].integration, "telegram");
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_GT(pending[0].next_attempt_ms, clock_.NowMs());
  // The notification comes back exactly as it went in.
  EXPECT_EQ(detail::EncodeNotification(*pending[0].notification),
            detail::EncodeNotification(notification));
  EXPECT_EQ(pending[1].notification->id, "n2");
  EXPECT_EQ(Metric("codebot_exporter_notification_queue_length", {{"integration", "telegram"}}), 2);

  Start(*outbox, [](auto&&...) { return Delivered(); });
  clock_.Advance(2min);
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().empty(); }));
  outbox.reset();
  EXPECT_TRUE(Open()->Pending().empty());
}

TEST_F(OutboxTest, TornTailAtEveryOffsetLosesOnlyTheUnacknowledgedRecord) {
  const std::string log_path = Options().data_dir + "/" + std::string(kLogFileName);
  uint64_t last_start = 0;
  {
    auto outbox = Open();
    Start(*outbox, [](auto&&...) { return Delivered(); });
    outbox->Stop();  // nothing is sent: the log holds only the enqueued entries
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(outbox->Enqueue(Firing("n" + std::to_string(i))));
    last_start = outbox->LogBytes();
    ASSERT_TRUE(outbox->Enqueue(Firing("last")));
  }
  const std::string full = ReadAll(log_path);
  ASSERT_GT(full.size(), last_start);
  for (size_t cut = last_start; cut <= full.size(); ++cut) {
    {
      std::ofstream out(log_path, std::ios::binary | std::ios::trunc);
      out << full.substr(0, cut);
    }
    auto outbox = Open();
    std::vector<std::string> ids;
    for (const auto& e : outbox->Pending()) ids.push_back(e.notification->id);
    if (cut == full.size()) {
      EXPECT_EQ(ids.size(), 5u);
      continue;
    }
    ASSERT_EQ(ids, (std::vector<std::string>{"n0", "n1", "n2", "n3"})) << "cut at " << cut;
    EXPECT_EQ(outbox->LogBytes(), last_start);
  }
  // After a cut the log takes new entries and keeps them.
  {
    std::ofstream out(log_path, std::ios::binary | std::ios::trunc);
    out << full.substr(0, full.size() - 1);
  }
  {
    auto outbox = Open();
    // The replayed entries may get an attempt before Stop: one that keeps them.
    Start(*outbox, [](auto&&...) { return Retry(kReasonServerError, 1h); });
    outbox->Stop();
    ASSERT_TRUE(outbox->Enqueue(Firing("after")));
  }
  auto outbox = Open();
  ASSERT_EQ(outbox->Pending().size(), 5u);
  EXPECT_EQ(outbox->Pending().back().notification->id, "after");
}

TEST_F(OutboxTest, CompactionKeepsEverythingLiveAndShrinksTheLog) {
  auto options = Options();
  options.compact_min_bytes = 64 << 10;
  const std::string big(2000, 'x');
  {
    auto outbox = Open(options);
    // Everything is delivered except the "keep" notifications, which wait with some progress.
    Start(*outbox,
          [](const alerts::Notification& n, EntryState& state, SharedState& shared, size_t) {
            shared.Set("last", n.id);
            if (n.id.rfind("keep", 0) == 0) {
              state["progress"] = n.id;
              shared.Set("kept:" + n.id, "1");
              return Retry(kReasonServerError, 30min);
            }
            return Delivered();
          });
    uint64_t max_bytes = 0;
    for (int i = 0; i < 300; ++i) {
      const std::string id = (i % 30 == 0 ? "keep" : "n") + std::to_string(i);
      ASSERT_TRUE(outbox->Enqueue(MakeNotification(id, "g" + std::to_string(i),
                                                   {MakeAlert("a", Status::kFiring, big + id)})));
      max_bytes = std::max(max_bytes, outbox->LogBytes());
    }
    ASSERT_TRUE(Eventually([&] { return outbox->Pending().size() == 10; }));
    ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 300; }));
    // 300 notifications of over 2 KB each went through (600 KB and more without compaction);
    // the log never held even half of them.
    EXPECT_LT(max_bytes, 300u * 2000u / 2u);
    std::cerr << "largest log: " << max_bytes << " bytes\n";
    const uint64_t before = outbox->LogBytes();
    ASSERT_TRUE(outbox->Compact());
    EXPECT_LT(outbox->LogBytes(), before);
    EXPECT_LT(outbox->LogBytes(), 10u * 3000u);
  }
  auto outbox = Open(options);
  auto pending = outbox->Pending();
  ASSERT_EQ(pending.size(), 10u);
  for (size_t i = 0; i < pending.size(); ++i) {
    const std::string id = "keep" + std::to_string(i * 30);
    EXPECT_EQ(pending[i].notification->id, id);
    EXPECT_EQ(pending[i].attempts, 1);
    EXPECT_EQ(pending[i].state, (EntryState{{"progress", id}}));
    EXPECT_EQ(pending[i].notification->alerts[0].alert.Annotation("description"), big + id);
  }
  auto shared = outbox->SharedValues("oncall/telegram/0");
  EXPECT_EQ(shared["last"], "n299");
  EXPECT_EQ(shared.size(), 11u);
  EXPECT_EQ(shared["kept:keep270"], "1");
}

TEST_F(OutboxTest, SendResolvedFalseGetsOnlyFiringAlertsAndNothingWhenAllResolved) {
  auto outbox = Open();
  auto with_resolved = std::make_shared<Recorder>();
  auto firing_only = std::make_shared<Recorder>();
  std::vector<Integration> list;
  list.push_back(Make(
      "oncall", "webhook", 0, true, [](auto&&...) { return Delivered(); }, "v1", with_resolved));
  list.push_back(Make(
      "oncall", "slack", 0, false, [](auto&&...) { return Delivered(); }, "v1", firing_only));
  outbox->Update(std::move(list));

  auto mixed = MakeNotification(
      "mixed", "g1", {MakeAlert("a", Status::kFiring), MakeAlert("b", Status::kResolved)});
  mixed.alerts[1].alert.labels.push_back({"zone", "eu"});
  mixed.common_labels = {{"alertname", "HighLatency"}, {"severity", "critical"}};
  ASSERT_TRUE(outbox->Enqueue(mixed));
  ASSERT_TRUE(
      outbox->Enqueue(MakeNotification("resolved", "g2", {MakeAlert("c", Status::kResolved)})));
  ASSERT_TRUE(Eventually([&] { return with_resolved->Count() == 2 && firing_only->Count() == 1; }));
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().empty(); }));

  auto all = with_resolved->Calls();
  EXPECT_EQ(all[0].alerts.size(), 2u);
  EXPECT_EQ(all[1].id, "resolved");
  auto firing = firing_only->Calls();
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].id, "mixed");
  EXPECT_EQ(firing[0].alerts,
            (std::vector<std::pair<std::string, Status>>{{"a", Status::kFiring}}));
  // Common labels as the firing alert alone has them.
  EXPECT_EQ(firing[0].common_labels,
            (Labels{{"alertname", "HighLatency"}, {"instance", "a"}, {"severity", "critical"}}));
  EXPECT_EQ(Metric("codebot_exporter_notifications_total", {{"integration", "slack"}}), 1);
  EXPECT_EQ(Metric("codebot_exporter_notifications_total", {{"integration", "webhook"}}), 2);
}

TEST_F(OutboxTest, AResolutionWaitsForItsFiringMessageWhileOtherGroupsPass) {
  auto outbox = Open();
  std::atomic<int> firing_attempts{0};
  Start(*outbox, [&](const alerts::Notification& n, EntryState&, SharedState&, size_t) {
    if (n.id == "g1-firing" && ++firing_attempts <= 2) return Retry(kReasonServerError);
    return Delivered();
  });
  ASSERT_TRUE(outbox->Enqueue(Firing("g1-firing", "g1")));
  ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 1; }));
  ASSERT_TRUE(
      outbox->Enqueue(MakeNotification("g1-resolved", "g1", {MakeAlert("a", Status::kResolved)})));
  ASSERT_TRUE(outbox->Enqueue(Firing("g2-firing", "g2")));
  // The other group goes out at once, the resolution stays behind the failing firing message.
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().size() == 2; }));
  EXPECT_EQ(recorder_->Ids(), (std::vector<std::string>{"g1-firing", "g2-firing"}));
  EXPECT_EQ(outbox->Pending()[1].notification->id, "g1-resolved");
  while (!outbox->Pending().empty()) {
    clock_.Advance(5s);
    ASSERT_TRUE(Eventually([&] { return outbox->Pending().size() <= 2; }));
    std::this_thread::sleep_for(5ms);
  }
  const auto ids = recorder_->Ids();
  EXPECT_EQ(ids, (std::vector<std::string>{"g1-firing", "g2-firing", "g1-firing", "g1-firing",
                                           "g1-resolved"}));
}

TEST_F(OutboxTest, RetryAfterIsHonouredNeverEarlier) {
  auto outbox = Open();
  Start(*outbox, [](auto&&...) { return Retry(kReasonRateLimited, 30s); });
  ASSERT_TRUE(outbox->Enqueue(Firing("n1")));
  ASSERT_TRUE(
      Eventually([&] { return !outbox->Pending().empty() && outbox->Pending()[0].attempts == 1; }));
  const int64_t first = recorder_->Calls()[0].at_ms;
  EXPECT_GE(outbox->Pending()[0].next_attempt_ms, first + 30'000);
  clock_.Advance(29s);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(recorder_->Count(), 1u);  // not at 29 s
  clock_.Advance(2s);
  ASSERT_TRUE(Eventually([&] { return outbox->Pending()[0].attempts == 2; }));
  EXPECT_GE(recorder_->Calls()[1].at_ms - first, 30'000);
  // Requests that hit 429 are counted as such, but the notification is not failed.
  EXPECT_EQ(Metric("codebot_exporter_notification_requests_failed_total",
                   {{"integration", "telegram"}, {"reason", "rate_limited"}}),
            2);
  EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                   {{"integration", "telegram"}, {"reason", "rate_limited"}}),
            0);
}

TEST_F(OutboxTest, RetriesBackOffAndExpireAtMaxAge) {
  auto outbox = Open();
  Start(*outbox, [](auto&&...) { return Retry(kReasonServerError); });
  const int64_t enqueued = clock_.NowMs();
  ASSERT_TRUE(outbox->Enqueue(Firing("n1")));
  ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 1; }));
  // Time jumps to each scheduled attempt, so every attempt happens when the lane said.
  for (;;) {
    ASSERT_TRUE(Eventually([&] {
      auto p = outbox->Pending();
      return p.empty() || p[0].attempts == static_cast<int>(recorder_->Count());
    }));
    auto pending = outbox->Pending();
    if (pending.empty()) break;
    const size_t before = recorder_->Count();
    clock_.Advance(std::chrono::milliseconds(pending[0].next_attempt_ms - clock_.NowMs()));
    ASSERT_TRUE(
        Eventually([&] { return recorder_->Count() > before || outbox->Pending().empty(); }));
    ASSERT_LT(clock_.NowMs() - enqueued, 2 * 3'600'000) << "never expired";
  }
  const auto calls = recorder_->Calls();
  EXPECT_GT(calls.size(), 55u);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_LE(calls[i].at_ms, enqueued + 3'600'000) << "attempt after max_age";
    if (i > 0) {
      EXPECT_GE(calls[i].at_ms - calls[i - 1].at_ms, 1000) << "before min_backoff";
    }
  }
  EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                   {{"integration", "telegram"}, {"reason", "expired"}}),
            1);
  EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                   {{"integration", "telegram"}, {"reason", "server_error"}}),
            0);
}

TEST_F(OutboxTest, AFinalFailureIsNotRetried) {
  auto outbox = Open();
  Start(*outbox, [](auto&&...) { return Failed(kReasonClientError); });
  ASSERT_TRUE(outbox->Enqueue(Firing("n1")));
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().empty(); }));
  clock_.Advance(2h);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(recorder_->Count(), 1u);
  EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                   {{"integration", "telegram"}, {"reason", "client_error"}}),
            1);
  outbox.reset();
  EXPECT_TRUE(Open()->Pending().empty());
}

TEST_F(OutboxTest, ProgressSurvivesARestartAndIsResumedNotRestarted) {
  {
    auto outbox = Open();
    // Part one goes out, part two fails: the notifier keeps what it sent.
    Start(*outbox, [](const alerts::Notification&, EntryState& state, SharedState& shared, size_t) {
      state["part.0"] = "msg-101";
      shared.Set("reply_to:g1", "msg-101");
      shared.Set("stale", "x");
      shared.Erase("stale");
      return Retry(kReasonTimeout);
    });
    ASSERT_TRUE(outbox->Enqueue(Firing("n1")));
    ASSERT_TRUE(Eventually([&] {
      auto p = outbox->Pending();
      return p.size() == 1 && p[0].attempts == 1;
    }));
  }
  auto outbox = Open();
  std::optional<std::string> reply_to;
  std::optional<std::string> stale;
  Start(*outbox, [&](const alerts::Notification&, EntryState& state, SharedState& shared, size_t) {
    reply_to = shared.Get("reply_to:g1");
    stale = shared.Get("stale");
    state["part.1"] = "msg-102";
    return Delivered();
  });
  clock_.Advance(2min);
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().empty(); }));
  const auto calls = recorder_->Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_TRUE(calls[0].state.empty());
  EXPECT_EQ(calls[1].state, (EntryState{{"part.0", "msg-101"}}));
  EXPECT_EQ(reply_to, "msg-101");
  EXPECT_EQ(stale, std::nullopt);
}

TEST_F(OutboxTest, ThrottledIsNotAFailureNorAnAttempt) {
  auto outbox = Open();
  Start(*outbox, [](const alerts::Notification&, EntryState&, SharedState&, size_t call) {
    if (call == 0) {
      Attempt a;
      a.outcome = Outcome::kRetry;
      a.throttled = true;
      a.retry_after = 1500ms;
      return a;
    }
    return Delivered();
  });
  ASSERT_TRUE(outbox->Enqueue(Firing("n1")));
  ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 1; }));
  ASSERT_TRUE(Eventually([&] {
    auto p = outbox->Pending();
    return p.size() == 1 && p[0].next_attempt_ms >= recorder_->Calls()[0].at_ms + 1500;
  }));
  EXPECT_EQ(outbox->Pending()[0].attempts, 0);
  clock_.Advance(1500ms);
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().empty(); }));
  EXPECT_EQ(Metric("codebot_exporter_notification_requests_total", {{"integration", "telegram"}}),
            1);
  for (const char* reason :
       {"client_error", "server_error", "rate_limited", "timeout", "connect", "other", "expired"}) {
    EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                     {{"integration", "telegram"}, {"reason", reason}}),
              0)
        << reason;
  }
}

TEST_F(OutboxTest, MetricsAndLogLinesTellTheStory) {
  std::mutex lines_mutex;
  std::vector<std::string> lines;
  log::Init(log::Level::kDebug, log::Format::kJson);
  log::SetCaptureForTesting([&](std::string_view line) {
    std::lock_guard lock(lines_mutex);
    lines.emplace_back(line);
  });
  const std::string secret = "987654:AAHsecretBotTokenValue_xyz";
  sanitize::RegisterSecret(secret);

  auto outbox = Open();
  // Before anything happens, every reason of the configured integration exists at 0.
  Start(*outbox, [&](const alerts::Notification& n, EntryState&, SharedState&, size_t call) {
    if (n.id == "ok") return Delivered();
    if (n.id == "flaky") {
      if (call == 1) return Retry(kReasonServerError);
      Attempt a = Delivered();
      a.requests = {"connect", ""};  // the client retried the connection itself
      return a;
    }
    Attempt a = Failed(kReasonClientError);
    a.error = "Unauthorized: token " + secret + " rejected";
    return a;
  });
  for (const char* reason :
       {"client_error", "server_error", "rate_limited", "timeout", "connect", "other", "expired"}) {
    EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                     {{"integration", "telegram"}, {"reason", reason}}),
              0)
        << reason;
  }
  EXPECT_EQ(Metric("codebot_exporter_notification_queue_oldest_age_seconds",
                   {{"integration", "telegram"}}),
            0);

  ASSERT_TRUE(outbox->Enqueue(Firing("ok", "g1")));
  ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 1; }));
  ASSERT_TRUE(outbox->Enqueue(Firing("flaky", "g2")));
  ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 2; }));
  ASSERT_TRUE(outbox->Enqueue(Firing("bad", "g3")));
  ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 3; }));
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().size() == 1; }));
  // The flaky one waits: it is counted in the queue, and its age grows with the clock.
  EXPECT_EQ(Metric("codebot_exporter_notification_queue_length", {{"integration", "telegram"}}), 1);
  clock_.Advance(10s);
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().empty(); }));

  const std::map<std::string, std::string> telegram = {{"integration", "telegram"}};
  EXPECT_EQ(Metric("codebot_exporter_notifications_total", telegram), 3);
  EXPECT_EQ(Metric("codebot_exporter_notification_requests_total", telegram), 5);
  EXPECT_EQ(Metric("codebot_exporter_notification_requests_failed_total",
                   {{"integration", "telegram"}, {"reason", "server_error"}}),
            1);
  EXPECT_EQ(Metric("codebot_exporter_notification_requests_failed_total",
                   {{"integration", "telegram"}, {"reason", "connect"}}),
            1);
  EXPECT_EQ(Metric("codebot_exporter_notification_requests_failed_total",
                   {{"integration", "telegram"}, {"reason", "client_error"}}),
            1);
  EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                   {{"integration", "telegram"}, {"reason", "client_error"}}),
            1);
  EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                   {{"integration", "telegram"}, {"reason", "server_error"}}),
            0);
  EXPECT_EQ(Metric("codebot_exporter_notification_latency_seconds", telegram), 2);
  EXPECT_EQ(Metric("codebot_exporter_notification_queue_length", telegram), 0);
  EXPECT_EQ(Metric("codebot_exporter_notification_queue_oldest_age_seconds", telegram), 0);
  EXPECT_GT(Metric("codebot_exporter_outbox_bytes", {}), 0);
  EXPECT_EQ(Metric("codebot_exporter_outbox_write_failures_total", {}), 0);

  log::SetCaptureForTesting(nullptr);
  log::Init(log::Level::kInfo, log::Format::kJson);
  sanitize::ClearSecretsForTesting();
  auto has_line = [&](const std::vector<std::string>& parts) {
    for (const auto& line : lines) {
      bool all = true;
      for (const auto& part : parts) all = all && line.find(part) != std::string::npos;
      if (all) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_line({"notification delivered", R"("alert_id":"ok")", R"("receiver":"oncall")",
                        R"("integration":"telegram")", R"("attempt":1)"}));
  EXPECT_TRUE(has_line({"notification delivered", R"("alert_id":"flaky")", R"("attempt":2)"}));
  EXPECT_TRUE(has_line(
      {"notification retry scheduled", R"("alert_id":"flaky")", R"("reason":"server_error")"}));
  EXPECT_TRUE(has_line({"notification given up", R"("alert_id":"bad")",
                        R"("reason":"client_error")", "Unauthorized"}));
  for (const auto& line : lines) EXPECT_EQ(line.find(secret), std::string::npos) << line;
}

TEST_F(OutboxTest, StopLetsTheAttemptInFlightFinishWithinItsDeadlineAndKeepsItsResult) {
  auto options = Options();
  options.attempt_timeout = 300ms;
  std::atomic<bool> entered{false};
  std::atomic<bool> returned{false};
  Deadline deadline{};
  {
    auto outbox = Open(options);
    Start(*outbox, [&](const alerts::Notification&, EntryState& state, SharedState&, size_t) {
      entered = true;
      std::this_thread::sleep_until(recorder_->Calls().back().deadline);
      state["sent"] = "part-1";
      returned = true;
      return Retry(kReasonTimeout);
    });
    const auto before = SteadyClock::now();
    ASSERT_TRUE(outbox->Enqueue(Firing("n1")));
    ASSERT_TRUE(Eventually([&] { return entered.load(); }));
    outbox->Stop();
    EXPECT_TRUE(returned.load()) << "Stop returned before the attempt in flight finished";
    deadline = recorder_->Calls()[0].deadline;
    EXPECT_LE(deadline - before, 300ms + 1s);
    EXPECT_GT(deadline, before);
    // Stopped: a new notification is kept, not sent.
    ASSERT_TRUE(outbox->Enqueue(Firing("n2", "g2")));
    clock_.Advance(1h);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(recorder_->Count(), 1u);
  }
  auto outbox = Open(options);
  auto pending = outbox->Pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(pending[0].state, (EntryState{{"sent", "part-1"}}));
}

TEST_F(OutboxTest, UpdateKeepsUnchangedLanesRestartsChangedOnesAndGivesUpRemovedOnes) {
  auto outbox = Open();
  auto first = std::make_shared<Recorder>();
  auto second = std::make_shared<Recorder>();
  auto slack = std::make_shared<Recorder>();
  auto retry = [](auto&&...) { return Retry(kReasonServerError); };
  {
    std::vector<Integration> list;
    list.push_back(Make("oncall", "telegram", 0, true, retry, "chat=1", first));
    list.push_back(Make("oncall", "slack", 0, true, retry, "hook=1", slack));
    outbox->Update(std::move(list));
  }
  ASSERT_TRUE(outbox->Enqueue(Firing("n1")));
  ASSERT_TRUE(Eventually([&] { return first->Count() == 1 && slack->Count() == 1; }));

  // Same fingerprint: the running lane and its notifier stay (the new notifier is unused).
  {
    std::vector<Integration> list;
    list.push_back(Make("oncall", "telegram", 0, true, retry, "chat=1", second));
    list.push_back(Make("oncall", "slack", 0, true, retry, "hook=1", slack));
    outbox->Update(std::move(list));
  }
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(first->Count(), 1u) << "an unchanged lane keeps its backoff";
  clock_.Advance(2min);
  ASSERT_TRUE(Eventually([&] { return first->Count() == 2; }));
  EXPECT_EQ(second->Count(), 0u);

  // Changed fingerprint: the new notifier takes over the pending entry at once, without waiting
  // out the backoff the old config earned (the clock doesn't move). Slack removed: its entry is
  // given up with reason other.
  {
    std::vector<Integration> list;
    list.push_back(Make(
        "oncall", "telegram", 0, true, [](auto&&...) { return Delivered(); }, "chat=2", second));
    outbox->Update(std::move(list));
  }
  EXPECT_EQ(Metric("codebot_exporter_notifications_failed_total",
                   {{"integration", "slack"}, {"reason", "other"}}),
            1);
  ASSERT_TRUE(Eventually([&] { return outbox->Pending().empty(); }));
  EXPECT_EQ(second->Count(), 1u);
  EXPECT_EQ(Metric("codebot_exporter_notification_queue_length", {{"integration", "slack"}}), 0);
  outbox.reset();
  EXPECT_TRUE(Open()->Pending().empty());
}

// Runs f with the process' file-size limit at `limit` bytes: writes beyond it fail (EFBIG), as
// on a full disk.
template <typename F>
void WithFileSizeLimit(rlim_t limit, F f) {
  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit low = old;
  low.rlim_cur = limit;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &low), 0);
  f();
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
}

TEST_F(OutboxTest, AFullDiskMakesEnqueueSayNoAndLosesNothingAcknowledged) {
  {
    auto outbox = Open();
    Start(*outbox, [](const alerts::Notification& n, EntryState& state, SharedState&, size_t) {
      state["seen"] = n.id;
      return Retry(kReasonServerError, 10min);
    });
    ASSERT_TRUE(outbox->Enqueue(Firing("before")));
    ASSERT_TRUE(Eventually([&] {
      auto p = outbox->Pending();
      return p.size() == 1 && p[0].attempts == 1;
    }));
    // Every file write beyond 100 bytes fails: the log and any rewrite of it.
    WithFileSizeLimit(100, [&] { EXPECT_FALSE(outbox->Enqueue(Firing("refused", "g2"))); });
    EXPECT_EQ(Metric("codebot_exporter_outbox_write_failures_total", {}), 1);
    EXPECT_EQ(outbox->Pending().size(), 1u);
    // The dispatcher tries again once there is room.
    ASSERT_TRUE(outbox->Enqueue(Firing("refused", "g2")));
    ASSERT_TRUE(Eventually([&] {
      auto p = outbox->Pending();
      return p.size() == 2 && p[1].attempts == 1;
    }));
    // A failure while recording an attempt: memory goes on, the next write rewrites the log.
    WithFileSizeLimit(100, [&] {
      clock_.Advance(11min);
      ASSERT_TRUE(Eventually([&] { return recorder_->Count() == 4; }));
      ASSERT_TRUE(Eventually(
          [&] { return Metric("codebot_exporter_outbox_write_failures_total", {}) >= 3; }));
    });
    ASSERT_TRUE(outbox->Enqueue(Firing("after", "g3")));
  }
  auto outbox = Open();
  auto pending = outbox->Pending();
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].notification->id, "before");
  EXPECT_EQ(pending[0].attempts, 2);
  EXPECT_EQ(pending[1].notification->id, "refused");
  EXPECT_EQ(pending[1].attempts, 2);
  EXPECT_EQ(pending[2].notification->id, "after");
}

}  // namespace
}  // namespace codebot::notify::delivery
