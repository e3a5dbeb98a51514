#include "exporter/collect/postgres/watchdog.h"

#include <sys/socket.h>

namespace codebot::collect::postgres {

Watchdog::Watchdog() : thread_([this] { Loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::Arm(int fd, Deadline deadline) {
  {
    std::lock_guard lock(mutex_);
    fd_ = fd;
    deadline_ = deadline;
    armed_ = fd >= 0;
    fired_ = false;
  }
  cv_.notify_all();
}

bool Watchdog::Disarm() {
  std::lock_guard lock(mutex_);
  armed_ = false;
  fd_ = -1;
  return fired_;
}

void Watchdog::Loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (!armed_) {
      cv_.wait(lock, [this] { return stop_ || armed_; });
      continue;
    }
    const Deadline deadline = deadline_;
    if (cv_.wait_until(lock, deadline, [&] { return stop_ || !armed_ || deadline_ != deadline; })) {
      continue;
    }
    // Still armed for the same deadline, which has passed. The mutex is held, so the owner is
    // inside its blocking call (or waiting in Disarm) and the descriptor is still open.
    ::shutdown(fd_, SHUT_RDWR);
    fired_ = true;
    armed_ = false;
  }
}

}  // namespace codebot::collect::postgres
