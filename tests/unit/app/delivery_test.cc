// The delivery stage as the HTTP receiver sees it around start-up: before the first Apply it is
// "unavailable" (503, which Alertmanager retries), never "no route" or "unknown receiver" (404,
// which it drops); once applied, a config without delivery says there is no route.
#include "exporter/app/delivery.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

namespace codebot::app {
namespace {

using alerts::webhook::Handover;

alerts::Alert Firing() {
  alerts::Alert alert;
  alert.labels = {{"alertname", "StartupRace"}};
  alert.starts_at_ms = 1'000;
  return alert;
}

alerts::Notification Group() {
  alerts::Notification n;
  n.receiver = "oncall";
  n.group_key = "{}:{alertname=\"StartupRace\"}";
  alerts::NotifiedAlert a;
  a.alert = Firing();
  n.alerts.push_back(a);
  return n;
}

TEST(DeliveryStage, UnavailableUntilAppliedThenNoRouteWithoutDelivery) {
  prometheus::Registry registry;
  DeliveryStage stage(registry);
  EXPECT_EQ(stage.Route({Firing()}), Handover::kUnavailable);
  EXPECT_EQ(stage.ToReceiver(Group()), Handover::kUnavailable);

  const config::Config config;  // no route, no receivers: nothing to deliver to
  stage.Apply(stage.Prepare(config), "http://sidecar.example:9877", "host");
  EXPECT_EQ(stage.Route({Firing()}), Handover::kNoRoute);
  EXPECT_EQ(stage.ToReceiver(Group()), Handover::kUnknownReceiver);
}

}  // namespace
}  // namespace codebot::app
