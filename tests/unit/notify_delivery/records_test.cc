// The outbox's records: a notification survives the log with every field (enrichment, times,
// kNoTime, order of alerts), updates keep state and shared-state changes together, and the
// firing-only view recomputes what Alertmanager would show an integration without
// send_resolved.
#include "exporter/notify/delivery/records.h"

#include <gtest/gtest.h>

#include "exporter/notify/delivery/outbox.h"

namespace codebot::notify::delivery {
namespace {

using detail::AddRecord;
using detail::DecodeRecord;
using detail::EntryRecord;
using detail::SharedRecord;
using detail::UpdateRecord;

alerts::NotifiedAlert MakeAlert(const std::string& name, const std::string& instance,
                                alerts::Status status) {
  alerts::NotifiedAlert a;
  a.alert.labels = {{"alertname", name}, {"instance", instance}, {"severity", "critical"}};
  a.alert.annotations = {{"description", "Latency on " + instance + " is <b>high</b> & \"bad\""},
                         {"summary", "High latency"}};
  a.alert.starts_at_ms = 1'700'000'000'123;
  a.alert.ends_at_ms = status == alerts::Status::kResolved ? 1'700'000'600'000 : kNoTime;
  a.alert.generator_url = "http://prometheus:9090/graph?g0.expr=up";
  a.status = status;
  a.enrichment.summary = "The bot answers slowly";
  a.enrichment.actions = {"Check the database", "Restart the bot — if needed ✅"};
  a.enrichment.runbook_url = "https://runbooks/x#latency";
  a.enrichment.affected_services = {"bot", "postgres"};
  a.enrichment.dashboards = {{"Bot", "https://grafana/d/bot?from=1&to=2"}};
  a.enrichment.from_default = status == alerts::Status::kResolved;
  return a;
}

alerts::Notification MakeNotification() {
  alerts::Notification n;
  n.id = "n-1";
  n.receiver = "oncall";
  n.group_key = "{}/{severity=\"critical\"}:{alertname=\"HighLatency\"}";
  n.group_labels = {{"alertname", "HighLatency"}};
  n.common_labels = {{"alertname", "HighLatency"}, {"severity", "critical"}};
  n.common_annotations = {{"summary", "High latency"}};
  n.external_url = "http://sidecar:9187";
  n.created_ms = 1'700'000'700'000;
  n.alerts = {MakeAlert("HighLatency", "a", alerts::Status::kFiring),
              MakeAlert("HighLatency", "b", alerts::Status::kResolved)};
  n.truncated_alerts = 3;
  return n;
}

void ExpectSameNotification(const alerts::Notification& a, const alerts::Notification& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.receiver, b.receiver);
  EXPECT_EQ(a.group_key, b.group_key);
  EXPECT_EQ(a.group_labels, b.group_labels);
  EXPECT_EQ(a.common_labels, b.common_labels);
  EXPECT_EQ(a.common_annotations, b.common_annotations);
  EXPECT_EQ(a.external_url, b.external_url);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.truncated_alerts, b.truncated_alerts);
  ASSERT_EQ(a.alerts.size(), b.alerts.size());
  for (size_t i = 0; i < a.alerts.size(); ++i) {
    EXPECT_EQ(a.alerts[i].alert.labels, b.alerts[i].alert.labels);
    EXPECT_EQ(a.alerts[i].alert.annotations, b.alerts[i].alert.annotations);
    EXPECT_EQ(a.alerts[i].alert.starts_at_ms, b.alerts[i].alert.starts_at_ms);
    EXPECT_EQ(a.alerts[i].alert.ends_at_ms, b.alerts[i].alert.ends_at_ms);
    EXPECT_EQ(a.alerts[i].alert.generator_url, b.alerts[i].alert.generator_url);
    EXPECT_EQ(a.alerts[i].status, b.alerts[i].status);
    EXPECT_EQ(a.alerts[i].enrichment, b.alerts[i].enrichment);
  }
}

TEST(Records, NotificationRoundTripsEveryField) {
  const auto n = MakeNotification();
  auto back = detail::DecodeNotification(detail::EncodeNotification(n));
  ASSERT_TRUE(back.has_value());
  ExpectSameNotification(n, *back);
  EXPECT_EQ(back->alerts[0].alert.ends_at_ms, kNoTime);
}

TEST(Records, InvalidUtf8IsReplacedNotRefused) {
  auto n = MakeNotification();
  n.alerts[0].alert.annotations[0].value = "cut \xE2\x82 here";
  auto back = detail::DecodeNotification(detail::EncodeNotification(n));
  ASSERT_TRUE(back.has_value());
  EXPECT_NE(back->alerts[0].alert.annotations[0].value.find("here"), std::string::npos);
}

TEST(Records, AddCarriesEntriesWithTheirProgress) {
  EntryRecord e{.seq = 42,
                .lane = "oncall/telegram/0",
                .integration = "telegram",
                .firing_only = true,
                .attempts = 3,
                .next_attempt_ms = 99,
                .state = {{"part.0", "17"}}};
  auto record = DecodeRecord(detail::EncodeAdd(1234, MakeNotification(), {e}));
  ASSERT_TRUE(record.has_value());
  auto* add = std::get_if<AddRecord>(&*record);
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->enqueued_ms, 1234);
  ExpectSameNotification(add->notification, MakeNotification());
  ASSERT_EQ(add->entries.size(), 1u);
  EXPECT_EQ(add->entries[0].seq, 42u);
  EXPECT_EQ(add->entries[0].lane, "oncall/telegram/0");
  EXPECT_EQ(add->entries[0].integration, "telegram");
  EXPECT_TRUE(add->entries[0].firing_only);
  EXPECT_EQ(add->entries[0].attempts, 3);
  EXPECT_EQ(add->entries[0].next_attempt_ms, 99);
  EXPECT_EQ(add->entries[0].state, (EntryState{{"part.0", "17"}}));
}

TEST(Records, UpdateKeepsStateAndSharedChangesTogether) {
  UpdateRecord u;
  u.seq = 7;
  u.attempts = 2;
  u.next_attempt_ms = 5000;
  u.state = {{"sent", "1"}};
  u.lane = "oncall/telegram/0";
  u.shared = {{"reply:g1", "555"}, {"reply:g0", std::nullopt}};
  auto record = DecodeRecord(detail::EncodeUpdate(u));
  ASSERT_TRUE(record.has_value());
  auto* back = std::get_if<UpdateRecord>(&*record);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->seq, 7u);
  EXPECT_FALSE(back->done);
  EXPECT_EQ(back->attempts, 2);
  EXPECT_EQ(back->next_attempt_ms, 5000);
  EXPECT_EQ(back->state, u.state);
  EXPECT_EQ(back->lane, u.lane);
  EXPECT_EQ(back->shared, u.shared);

  UpdateRecord done;
  done.seq = 8;
  done.done = true;
  record = DecodeRecord(detail::EncodeUpdate(done));
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(std::get<UpdateRecord>(*record).done);
}

TEST(Records, SharedSnapshotAndGarbage) {
  auto record = DecodeRecord(detail::EncodeShared("r/slack/0", {{"a", "1"}, {"b", "2"}}));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(std::get<SharedRecord>(*record).values.size(), 2u);
  EXPECT_FALSE(DecodeRecord("{not json").has_value());
  EXPECT_FALSE(DecodeRecord(R"({"k":"add"})").has_value());
  EXPECT_FALSE(DecodeRecord(R"({"k":"mystery"})").has_value());
  EXPECT_FALSE(DecodeRecord("[1,2]").has_value());
}

TEST(FiringOnly, DropsResolvedAndRecomputesCommonLabels) {
  auto n = MakeNotification();
  // Two firing alerts that differ in instance, one resolved with another severity.
  n.alerts = {MakeAlert("HighLatency", "a", alerts::Status::kFiring),
              MakeAlert("HighLatency", "b", alerts::Status::kFiring),
              MakeAlert("HighLatency", "c", alerts::Status::kResolved)};
  n.alerts[2].alert.labels[2].value = "warning";
  n.common_labels = {{"alertname", "HighLatency"}};
  auto firing = FiringOnly(n);
  ASSERT_TRUE(firing.has_value());
  ASSERT_EQ(firing->alerts.size(), 2u);
  EXPECT_EQ(firing->Resolved(), 0u);
  EXPECT_EQ(firing->common_labels,
            (Labels{{"alertname", "HighLatency"}, {"severity", "critical"}}));
  EXPECT_EQ(firing->common_annotations, (Labels{{"summary", "High latency"}}));
  EXPECT_EQ(firing->id, n.id);
  EXPECT_EQ(firing->group_key, n.group_key);
  EXPECT_EQ(firing->truncated_alerts, n.truncated_alerts);

  n.alerts = {MakeAlert("HighLatency", "c", alerts::Status::kResolved)};
  EXPECT_FALSE(FiringOnly(n).has_value());
}

}  // namespace
}  // namespace codebot::notify::delivery
