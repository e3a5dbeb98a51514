#include "exporter/alerts/dispatcher_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/env.h"

namespace codebot::alerts {
namespace {

using testing::TempDir;

constexpr int64_t kT0 = 1'700'000'000'123;

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (const auto& [n, v] : pairs) out.push_back(Label{n, v});
  std::sort(out.begin(), out.end());
  return out;
}

DispatcherState Sample() {
  StoredAlert firing;
  firing.alert.labels = L({{"alertname", "BotDown"}, {"instance", "bot:8080"}});
  firing.alert.annotations = L({{"summary", "the bot is down <&>"}, {"description", "line\nline"}});
  firing.alert.starts_at_ms = kT0;
  firing.alert.ends_at_ms = kT0 + 240'000;
  firing.alert.generator_url = "http://prometheus/graph?g0.expr=up+%3D%3D+0&g0.tab=1";
  StoredAlert resolved;
  resolved.alert.labels = L({{"alertname", "DbDown"}});
  resolved.alert.starts_at_ms = kT0 - 1;
  resolved.alert.ends_at_ms = kT0 + 5;
  resolved.resolved_by_sender = true;
  StoredAlert webhook;  // from an Alertmanager: no endsAt while it fires
  webhook.alert.labels = L({{"alertname", "Other"}});
  webhook.alert.starts_at_ms = kT0;

  DispatcherState state;
  state.alerts = {firing, resolved, webhook};
  state.groups.push_back(GroupRecord{
      .route_id = R"({}/{team="db"}/0)",
      .receiver = "db",
      .labels = L({{"alertname", "DbDown"}}),
      .members = {resolved.alert.Fingerprint()},
      .notified = DedupEntry{kT0, {resolved.alert.Fingerprint()}, {}},
  });
  state.groups.push_back(GroupRecord{.route_id = "{}",
                                     .receiver = "team",
                                     .labels = {},
                                     .members = {firing.alert.Fingerprint()},
                                     .notified = std::nullopt});
  state.direct.push_back(
      DirectRecord{.receiver = "team",
                   .group_key = R"({}:{alertname="Other"})",
                   .notified = DedupEntry{kT0, {webhook.alert.Fingerprint()}, {}},
                   .alerts = {webhook}});
  return state;
}

TEST(DispatcherState, RoundTripsExactly) {
  const DispatcherState state = Sample();
  const std::string text = EncodeState(state, kT0 + 10);
  std::string error;
  auto back = DecodeState(text, &error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(*back, state);
  // Readable, with Alertmanager's names and times.
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["alerts"][0]["startsAt"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(doc["alerts"][0]["status"], "firing");
  EXPECT_EQ(doc["alerts"][1]["status"], "resolved");
  EXPECT_EQ(doc["alerts"][2]["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(doc["alerts"][0]["fingerprint"], FingerprintHex(state.alerts[0].alert.Fingerprint()));
}

TEST(DispatcherState, RejectsWhatItDidNotWrite) {
  const std::string good = EncodeState(Sample(), kT0);
  std::vector<std::string> bad = {
      "",
      "[]",
      R"({"version":2,"alerts":[],"groups":[],"direct":[]})",
      R"({"version":1,"alerts":[{"labels":{}}],"groups":[],"direct":[]})",
      R"({"version":1,"alerts":[],"groups":[{"routeID":"{}","receiver":"r","labels":{},"members":["xyz"]}],"direct":[]})",
      R"({"version":1,"alerts":[],"groups":[],"direct":[{"receiver":"r"}]})",
      good.substr(0, good.size() / 2),
  };
  for (const auto& text : bad) {
    std::string error;
    EXPECT_FALSE(DecodeState(text, &error).has_value()) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(StateFile, SavesAtomicallyAndLoadsBack) {
  TempDir dir;
  StateFile file(dir.path() + "/sub");  // created on first save
  std::string error;
  auto empty = file.Load(&error);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, DispatcherState{});

  ASSERT_TRUE(file.Save(EncodeState(Sample(), kT0), &error)) << error;
  ASSERT_TRUE(file.Save(EncodeState(Sample(), kT0 + 1), &error)) << error;
  // Only the state: no temporary file left behind.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/sub")) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"dispatcher_state.json"});
  auto loaded = file.Load(&error);
  ASSERT_TRUE(loaded.has_value()) << error;
  EXPECT_EQ(*loaded, Sample());
}

TEST(StateFile, ACorruptFileIsMovedAside) {
  TempDir dir;
  StateFile file(dir.path());
  { std::ofstream(file.path()) << "{\"version\":1,\"alerts\":[{\"lab"; }
  std::string error;
  EXPECT_FALSE(file.Load(&error).has_value());
  EXPECT_NE(error.find(file.path()), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(file.path()));
  EXPECT_TRUE(std::filesystem::exists(file.path() + ".corrupt"));
  // The next start finds nothing and starts empty.
  auto next = file.Load(&error);
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->groups.empty());
}

TEST(StateFile, AFailedSaveLeavesThePreviousState) {
  TempDir dir;
  StateFile file(dir.path());
  std::string error;
  ASSERT_TRUE(file.Save(EncodeState(Sample(), kT0), &error)) << error;
  // The temporary file's name is taken by a folder: the write fails before the rename.
  std::filesystem::create_directory(file.path() + ".tmp");
  EXPECT_FALSE(file.Save("garbage", &error));
  EXPECT_FALSE(error.empty());
  auto loaded = file.Load(&error);
  ASSERT_TRUE(loaded.has_value()) << error;
  EXPECT_EQ(*loaded, Sample());
}

}  // namespace
}  // namespace codebot::alerts
