// The periodic worker: runs on its slots, wall-clock aligned when asked, skips (and counts) the
// slots an overrunning iteration swallowed, wakes on request and stops promptly.
#include "exporter/core/periodic.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "exporter/core/time.h"

namespace codebot {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicWorker, AlignedSlotsSitOnMultiplesOfTheIntervalPlusOffset) {
  std::mutex mutex;
  std::vector<int64_t> slots;
  PeriodicWorker worker({.interval = 50ms, .aligned = true, .offset = 7ms}, [&](int64_t slot) {
    std::lock_guard lock(mutex);
    slots.push_back(slot);
  });
  worker.Start();
  std::this_thread::sleep_for(400ms);
  worker.Stop();
  std::lock_guard lock(mutex);
  ASSERT_GE(slots.size(), 3u);
  for (size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i] % 50, 7) << slots[i];
    if (i > 0) {
      EXPECT_EQ(slots[i] - slots[i - 1], 50);
    }
  }
}

TEST(PeriodicWorker, OverrunSkipsAndCountsTheSwallowedSlots) {
  std::atomic<int> runs{0};
  std::atomic<int64_t> reported{0};
  PeriodicWorker worker(
      {.interval = 20ms},
      [&](int64_t) {
        ++runs;
        std::this_thread::sleep_for(70ms);
      },
      [&](int64_t skipped) { reported += skipped; });
  worker.Start();
  std::this_thread::sleep_for(500ms);
  worker.Stop();
  EXPECT_GE(worker.skipped(), 2 * (runs.load() - 1));
  EXPECT_EQ(worker.skipped(), reported.load());
  EXPECT_LE(runs.load(), 500 / 70 + 2);
}

TEST(PeriodicWorker, WakeRunsAtOnceAndStopIsPrompt) {
  std::atomic<int> runs{0};
  PeriodicWorker worker({.interval = 1h, .aligned = true}, [&](int64_t) { ++runs; });
  worker.Start();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs.load(), 0) << "the first aligned slot is up to an hour away";
  worker.Wake();
  for (int i = 0; i < 200 && runs.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(runs.load(), 1);
  const auto start = std::chrono::steady_clock::now();
  worker.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

}  // namespace
}  // namespace codebot
