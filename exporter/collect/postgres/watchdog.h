// A client-side deadline for blocking libpq calls. statement_timeout is enforced by the server and
// connect_timeout only covers connecting, so a server that stops answering (SIGSTOP, a dead
// network path) would block a query forever; the watchdog shuts the socket down when the deadline
// passes, which makes the blocked call fail at once. It never closes the descriptor: the
// connection that owns it does, after Disarm().
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "exporter/core/time.h"

namespace codebot::collect::postgres {

class Watchdog {
 public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // From now until Disarm(): once deadline passes, shutdown(fd, SHUT_RDWR). One fd at a time.
  void Arm(int fd, Deadline deadline);
  // Stops watching; true when the deadline had passed and the socket was shut down.
  bool Disarm();

 private:
  void Loop();

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool armed_ = false;
  bool fired_ = false;
  int fd_ = -1;
  Deadline deadline_{};
  std::thread thread_;
};

// Arms a watchdog for one scope.
class WatchdogScope {
 public:
  WatchdogScope(Watchdog& watchdog, int fd, Deadline deadline) : watchdog_(watchdog) {
    watchdog_.Arm(fd, deadline);
  }
  ~WatchdogScope() {
    if (!disarmed_) watchdog_.Disarm();
  }
  WatchdogScope(const WatchdogScope&) = delete;
  WatchdogScope& operator=(const WatchdogScope&) = delete;

  bool Disarm() {
    disarmed_ = true;
    return watchdog_.Disarm();
  }

 private:
  Watchdog& watchdog_;
  bool disarmed_ = false;
};

}  // namespace codebot::collect::postgres
