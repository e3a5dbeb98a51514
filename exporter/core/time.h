// Wall-clock and deadline helpers shared by every stage.
#pragma once

#include <chrono>
#include <cstdint>

namespace codebot {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

// Milliseconds since the Unix epoch, the timestamp unit of the exposition format and PromQL.
inline int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline double NowUnixSeconds() { return static_cast<double>(NowUnixMs()) / 1000.0; }

// Time left until a deadline, never negative.
inline std::chrono::milliseconds Remaining(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

}  // namespace codebot
