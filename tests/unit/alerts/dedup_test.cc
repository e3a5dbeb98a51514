#include "exporter/alerts/dedup.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace codebot::alerts {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kM = 60'000;

using Set = std::vector<uint64_t>;

// The cases of Alertmanager's TestDedupStageNeedsUpdate, with repeat_interval 10m.
TEST(NeedsUpdate, DecidesAsAlertmanagersDedupStage) {
  struct Case {
    std::optional<DedupEntry> entry;
    Set firing;
    Set resolved;
    bool send_resolved;
    NotifyReason want;
    const char* why;
  };
  const std::vector<Case> cases = {
      {std::nullopt, {2, 3, 4}, {}, true, NotifyReason::kFirst, "never notified, firing"},
      {std::nullopt, {}, {2, 3, 4}, true, NotifyReason::kNone, "never notified, only resolved"},
      {DedupEntry{kNow - kM, {1, 2, 3}, {}},
       {2, 3, 4},
       {},
       true,
       NotifyReason::kNewFiring,
       "a firing alert not notified before"},
      {DedupEntry{kNow - kM, {}, {1}},
       {1},
       {},
       true,
       NotifyReason::kFirst,
       "firing again after everything resolved"},
      {DedupEntry{kNow - kM, {1, 2}, {}},
       {1, 2},
       {},
       true,
       NotifyReason::kNone,
       "unchanged within repeat_interval"},
      {DedupEntry{kNow - 10 * kM, {1, 2}, {}},
       {1, 2},
       {},
       true,
       NotifyReason::kRepeat,
       "unchanged, repeat_interval elapsed"},
      {DedupEntry{kNow - kM, {1, 2}, {}},
       {1},
       {},
       true,
       NotifyReason::kNone,
       "fewer firing alerts, none resolved: nothing new"},
      {DedupEntry{kNow - kM, {1, 2, 3}, {}},
       {1, 2},
       {3},
       false,
       NotifyReason::kNone,
       "a resolution, send_resolved off"},
      {DedupEntry{kNow - kM, {1, 2, 3}, {}},
       {1, 2},
       {3},
       true,
       NotifyReason::kNewResolved,
       "a resolution, send_resolved on"},
      {DedupEntry{kNow - kM, {1, 2}, {3}},
       {1},
       {2, 3},
       true,
       NotifyReason::kNewResolved,
       "another resolution"},
      {DedupEntry{kNow - kM, {1, 2}, {3}},
       {1},
       {3},
       true,
       NotifyReason::kNone,
       "a resolution already notified"},
      {DedupEntry{kNow - kM, {1, 2}, {3}},
       {},
       {1, 2, 3},
       false,
       NotifyReason::kAllResolved,
       "all resolved notifies whatever send_resolved says"},
      {DedupEntry{kNow - kM, {}, {1, 2, 3}},
       {},
       {1, 2, 3},
       true,
       NotifyReason::kNone,
       "all resolved and notified"},
      {DedupEntry{kNow - kM, {}, {1}},
       {},
       {2},
       true,
       NotifyReason::kNone,
       "fired and resolved between two flushes: the receiver never heard of it"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(NeedsUpdate(c.entry ? &*c.entry : nullptr, c.firing, c.resolved, c.send_resolved,
                          10 * kM, kNow),
              c.want)
        << c.why;
  }
}

TEST(NeedsUpdateDirect, OnlyRetriesAreDropped) {
  const DedupEntry entry{kNow - kM, {1, 2}, {3}};
  const int64_t window = 5 * kM;
  EXPECT_EQ(NeedsUpdateDirect(nullptr, {}, {3}, window, kNow), NotifyReason::kFirst)
      << "the Alertmanager notified the firing alerts even if we don't know it";
  EXPECT_EQ(NeedsUpdateDirect(nullptr, {}, {}, window, kNow), NotifyReason::kNone);
  EXPECT_EQ(NeedsUpdateDirect(&entry, {1, 2}, {3}, window, kNow), NotifyReason::kNone) << "retry";
  EXPECT_EQ(NeedsUpdateDirect(&entry, {1, 2, 4}, {3}, window, kNow), NotifyReason::kNewFiring);
  EXPECT_EQ(NeedsUpdateDirect(&entry, {1}, {2, 3}, window, kNow), NotifyReason::kNewResolved);
  EXPECT_EQ(NeedsUpdateDirect(&entry, {}, {3}, window, kNow), NotifyReason::kAllResolved);
  EXPECT_EQ(NeedsUpdateDirect(&entry, {1, 2}, {3}, window, kNow + 4 * kM), NotifyReason::kRepeat)
      << "the Alertmanager's repeat, past the window";
  const DedupEntry resolved{kNow - 10 * kM, {}, {1, 2}};
  EXPECT_EQ(NeedsUpdateDirect(&resolved, {}, {1, 2}, window, kNow), NotifyReason::kNone)
      << "Alertmanager never repeats a resolved group: a late retry";
}

}  // namespace
}  // namespace codebot::alerts
