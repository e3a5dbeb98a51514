// The pusher against fake Alertmanagers on loopback: the request Alertmanager's API v2 takes,
// batches of at most 64 to every Alertmanager, one failing or slow Alertmanager not holding up
// the others, the bounded queue dropping its oldest alerts, credentials, and the metrics.
#include "exporter/notify/alertmanager/pusher.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/core/time.h"
#include "exporter/http/auth.h"
#include "tests/support/env.h"
#include "tests/support/fake_http.h"
#include "tests/support/process.h"

namespace codebot::notify::alertmanager {
namespace {

using nlohmann::json;
using testing::FakeHttp;
using testing::WaitFor;

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

double Value(prometheus::Registry& registry, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
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
      if (family.type == prometheus::MetricType::Counter) return metric.counter.value;
      if (family.type == prometheus::MetricType::Histogram) {
        return static_cast<double>(metric.histogram.sample_count);
      }
      return metric.gauge.value;
    }
  }
  return -1;
}

alerts::Alert MakeAlert(int i, int64_t ends_at_ms = kT0 + 4 * 60'000) {
  alerts::Alert a;
  a.labels = {{"alertname", "HighErrorRate"}, {"operation", "op" + std::to_string(i)}};
  a.annotations = {{"summary", "errors on op" + std::to_string(i)}};
  a.starts_at_ms = kT0;
  a.ends_at_ms = ends_at_ms;
  a.generator_url = "http://sidecar:9877/graph?g0.expr=x";
  return a;
}

// An Alertmanager's POST /api/v2/alerts, recording every request; answers `status` after
// `delay`.
class FakeAlertmanager {
 public:
  FakeAlertmanager() {
    http_.Handle("/api/v2/alerts",
                 [this](const http::Request&) {
                   if (delay_ms_ > 0)
                     http_.SleepUnlessStopping(std::chrono::milliseconds(delay_ms_.load()));
                   return http::Response::Text(status_, "");
                 },
                 {"POST"});
    http_.HandlePrefix(
        "/prefix/", [](const http::Request&) { return http::Response::Text(200, ""); }, {"POST"});
    http_.Start();
  }
  std::string Target() const { return "127.0.0.1:" + std::to_string(http_.port()); }
  std::string Url() const { return "http://" + Target() + "/api/v2/alerts"; }
  // The alerts of every request, one array per request.
  std::vector<json> Batches() const {
    std::vector<json> out;
    for (const auto& request : http_.Requests()) out.push_back(json::parse(request.body));
    return out;
  }
  size_t AlertCount() const {
    size_t n = 0;
    for (const auto& batch : Batches()) n += batch.size();
    return n;
  }
  std::vector<http::Request> Requests() const { return http_.Requests(); }
  void SetStatus(int status) { status_ = status; }
  void SetDelay(int ms) { delay_ms_ = ms; }

 private:
  FakeHttp http_;
  std::atomic<int> status_{200};
  std::atomic<int> delay_ms_{0};
};

config::AlertingConfig Alerting(const std::vector<const FakeAlertmanager*>& ams,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  config::AlertmanagerSet set;
  for (const auto* am : ams) set.targets.push_back(am->Target());
  set.timeout = timeout;
  config::AlertingConfig config;
  config.alertmanagers.push_back(set);
  return config;
}

TEST(EncodeAlerts, AlertmanagersApiV2Shape) {
  alerts::Alert resolved = MakeAlert(1, kT0 + 90'000);
  alerts::Alert unknown_end = MakeAlert(2, kNoTime);
  unknown_end.generator_url.clear();
  const json body = json::parse(EncodeAlerts({resolved, unknown_end}));
  EXPECT_EQ(body, json::parse(R"([
    {"labels": {"alertname": "HighErrorRate", "operation": "op1"},
     "annotations": {"summary": "errors on op1"},
     "startsAt": "2023-11-14T22:13:20Z", "endsAt": "2023-11-14T22:14:50Z",
     "generatorURL": "http://sidecar:9877/graph?g0.expr=x"},
    {"labels": {"alertname": "HighErrorRate", "operation": "op2"},
     "annotations": {"summary": "errors on op2"},
     "startsAt": "2023-11-14T22:13:20Z"}
  ])"));
}

TEST(Pusher, BatchesOfAtMost64GoToEveryAlertmanager) {
  prometheus::Registry registry;
  FakeAlertmanager a;
  FakeAlertmanager b;
  Pusher pusher({&registry});
  pusher.Apply(Alerting({&a, &b}), {{"cluster", "prod"}});
  std::vector<alerts::Alert> sent;
  for (int i = 0; i < 150; ++i) sent.push_back(MakeAlert(i));
  pusher.Send(sent);
  ASSERT_TRUE(WaitFor([&] { return a.AlertCount() == 150 && b.AlertCount() == 150; }));
  for (const auto* am : {&a, &b}) {
    std::vector<std::string> operations;
    for (const auto& batch : am->Batches()) {
      EXPECT_LE(batch.size(), 64u);
      for (const auto& alert : batch) {
        EXPECT_EQ(alert["labels"]["cluster"], "prod");  // external labels added
        operations.push_back(alert["labels"]["operation"]);
      }
    }
    ASSERT_EQ(operations.size(), 150u);
    EXPECT_EQ(operations.front(), "op0");  // in order
    EXPECT_EQ(operations.back(), "op149");
    const http::Request request = am->Requests().front();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(http::FindHeader(request.headers, "Content-Type"), "application/json");
  }
  EXPECT_TRUE(WaitFor([&] {
    return Value(registry, "codebot_exporter_notifications_alertmanager_sent_total",
                 {{"alertmanager", b.Url()}}) == 150;
  }));
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_sent_total",
                  {{"alertmanager", a.Url()}}),
            150);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_errors_total",
                  {{"alertmanager", a.Url()}}),
            0);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_latency_seconds",
                  {{"alertmanager", a.Url()}}),
            static_cast<double>(a.Requests().size()));
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_dropped_total"), 0);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_queue_length"), 0);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_queue_capacity"), 10000);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanagers_discovered"), 2);
}

TEST(Pusher, AFailingAlertmanagerCountsErrorsWhileTheOtherGetsTheAlerts) {
  prometheus::Registry registry;
  FakeAlertmanager good;
  FakeAlertmanager bad;
  bad.SetStatus(500);
  Pusher pusher({&registry});
  pusher.Apply(Alerting({&good, &bad}), {});
  pusher.Send({MakeAlert(1), MakeAlert(2)});
  ASSERT_TRUE(WaitFor([&] {
    return Value(registry, "codebot_exporter_notifications_alertmanager_errors_total",
                 {{"alertmanager", bad.Url()}}) == 2;
  }));
  EXPECT_EQ(good.AlertCount(), 2u);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_dropped_total"), 0);
  // Both failing: nobody took the batch, which is dropped (the rule manager sends it again).
  good.SetStatus(503);
  pusher.Send({MakeAlert(3)});
  EXPECT_TRUE(WaitFor([&] {
    return Value(registry, "codebot_exporter_notifications_alertmanager_dropped_total") == 1;
  }));
}

TEST(Pusher, ASlowAlertmanagerDoesNotHoldUpTheOthersAndTimesOut) {
  prometheus::Registry registry;
  FakeAlertmanager fast;
  FakeAlertmanager slow;
  slow.SetDelay(5000);
  Pusher pusher({&registry});
  pusher.Apply(Alerting({&slow, &fast}, std::chrono::milliseconds(300)), {});
  pusher.Send({MakeAlert(1)});
  ASSERT_TRUE(WaitFor([&] {
    return Value(registry, "codebot_exporter_notifications_alertmanager_errors_total",
                 {{"alertmanager", slow.Url()}}) == 1;
  }));
  EXPECT_EQ(fast.AlertCount(), 1u);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_sent_total",
                  {{"alertmanager", fast.Url()}}),
            1);
}

TEST(Pusher, AFullQueueDropsTheOldestAlerts) {
  prometheus::Registry registry;
  FakeAlertmanager am;
  PusherOptions options{&registry};
  options.capacity = 10;
  Pusher pusher(options);
  // Not applied yet: nothing sends, the queue fills.
  std::vector<alerts::Alert> first;
  for (int i = 0; i < 8; ++i) first.push_back(MakeAlert(i));
  pusher.Send(first);
  std::vector<alerts::Alert> second;
  for (int i = 8; i < 12; ++i) second.push_back(MakeAlert(i));
  pusher.Send(second);
  EXPECT_EQ(pusher.QueueLength(), 10u);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_dropped_total"), 2);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_queue_length"), 10);
  // More than the whole capacity at once: only the newest fit.
  std::vector<alerts::Alert> flood;
  for (int i = 100; i < 115; ++i) flood.push_back(MakeAlert(i));
  pusher.Send(flood);
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanager_dropped_total"), 17);

  pusher.Apply(Alerting({&am}), {});
  ASSERT_TRUE(WaitFor([&] { return am.AlertCount() == 10; }));
  std::vector<std::string> operations;
  for (const auto& batch : am.Batches()) {
    for (const auto& alert : batch) operations.push_back(alert["labels"]["operation"]);
  }
  EXPECT_EQ(operations.front(), "op105");
  EXPECT_EQ(operations.back(), "op114");
}

TEST(Pusher, CredentialsAndPathPrefix) {
  prometheus::Registry registry;
  FakeAlertmanager am;
  testing::TempDir dir;
  testing::WriteFile(dir.File("token"), "am-bearer-token-1\n");
  config::AlertingConfig config = Alerting({&am});
  config.alertmanagers[0].authorization_type = "Bearer";
  config.alertmanagers[0].authorization_credentials.file = dir.File("token");
  Pusher pusher({&registry});
  pusher.Apply(config, {});
  pusher.Send({MakeAlert(1)});
  ASSERT_TRUE(WaitFor([&] { return am.Requests().size() == 1; }));
  EXPECT_EQ(http::FindHeader(am.Requests()[0].headers, "Authorization"),
            "Bearer am-bearer-token-1");

  // The file is read on every request: a rotated secret applies at once.
  testing::WriteFile(dir.File("token"), "am-bearer-token-2\n");
  pusher.Send({MakeAlert(2)});
  ASSERT_TRUE(WaitFor([&] { return am.Requests().size() == 2; }));
  EXPECT_EQ(http::FindHeader(am.Requests()[1].headers, "Authorization"),
            "Bearer am-bearer-token-2");

  // basic_auth, and a path prefix (an Alertmanager behind a reverse proxy).
  config = Alerting({&am});
  config.alertmanagers[0].basic_auth_username = "sidecar";
  config.alertmanagers[0].basic_auth_password.inline_value = "pw";
  config.alertmanagers[0].path_prefix = "/prefix";
  pusher.Apply(config, {});
  pusher.Send({MakeAlert(3)});
  ASSERT_TRUE(WaitFor([&] { return am.Requests().size() == 3; }));
  const http::Request request = am.Requests()[2];
  EXPECT_EQ(request.path, "/prefix/api/v2/alerts");
  EXPECT_EQ(http::FindHeader(request.headers, "Authorization"),
            "Basic " + http::Base64Encode("sidecar:pw"));
  EXPECT_EQ(Value(registry, "codebot_exporter_notifications_alertmanagers_discovered"), 1);
}

size_t ThreadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

TEST(Pusher, StartsItsThreadOnlyWhenThereIsSomethingToSend) {
  prometheus::Registry registry;
  FakeAlertmanager am;
  const size_t before = ThreadCount();
  Pusher pusher({&registry});
  // The sidecar applies its alerting section at start even when it is empty (alerts then go to
  // the local route and nothing is ever sent here): no thread for that.
  pusher.Apply({}, {});
  pusher.Apply(Alerting({&am}), {});
  EXPECT_EQ(ThreadCount(), before);
  pusher.Send({MakeAlert(1)});
  EXPECT_GT(ThreadCount(), before);
  ASSERT_TRUE(WaitFor([&] { return am.AlertCount() == 1; }));
  const size_t sending = ThreadCount();  // the fake's own worker may have started meanwhile
  pusher.Stop();
  EXPECT_EQ(ThreadCount(), sending - 1);
}

TEST(Pusher, StopSendsWhatIsQueued) {
  prometheus::Registry registry;
  FakeAlertmanager am;
  Pusher pusher({&registry});
  pusher.Send({MakeAlert(1), MakeAlert(2)});
  pusher.Apply(Alerting({&am}), {});
  pusher.Stop();
  EXPECT_EQ(am.AlertCount(), 2u);
  pusher.Stop();  // idempotent
}

}  // namespace
}  // namespace codebot::notify::alertmanager
