#include "exporter/collect/postgres/watchdog.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace codebot::collect::postgres {
namespace {

class SocketPair {
 public:
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  ~SocketPair() {
    close(fds_[0]);
    close(fds_[1]);
  }
  int ours() const { return fds_[0]; }
  int peer() const { return fds_[1]; }

 private:
  int fds_[2] = {-1, -1};
};

// A blocking read on a silent peer stands for libpq waiting on a hung server: without the
// watchdog it would never return.
TEST(WatchdogTest, ShutsDownTheSocketWhenTheDeadlinePasses) {
  SocketPair pair;
  Watchdog watchdog;
  watchdog.Arm(pair.ours(), SteadyClock::now() + std::chrono::milliseconds(50));
  char byte = 0;
  const ssize_t n = recv(pair.ours(), &byte, 1, 0);
  EXPECT_EQ(n, 0);  // end of stream: the blocked call returned
  EXPECT_TRUE(watchdog.Disarm());
}

TEST(WatchdogTest, DisarmedInTimeLeavesTheSocketAlone) {
  SocketPair pair;
  Watchdog watchdog;
  watchdog.Arm(pair.ours(), SteadyClock::now() + std::chrono::milliseconds(100));
  EXPECT_FALSE(watchdog.Disarm());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // past the old deadline
  ASSERT_EQ(send(pair.peer(), "x", 1, 0), 1);
  char byte = 0;
  EXPECT_EQ(recv(pair.ours(), &byte, 1, 0), 1);
  EXPECT_EQ(byte, 'x');
}

TEST(WatchdogTest, RearmingStartsAFreshDeadline) {
  SocketPair first;
  SocketPair second;
  Watchdog watchdog;
  watchdog.Arm(first.ours(), SteadyClock::now() + std::chrono::hours(1));
  EXPECT_FALSE(watchdog.Disarm());
  watchdog.Arm(second.ours(), SteadyClock::now() + std::chrono::milliseconds(20));
  char byte = 0;
  EXPECT_EQ(recv(second.ours(), &byte, 1, 0), 0);
  EXPECT_TRUE(watchdog.Disarm());
  // The first socket was only watched under the old, distant deadline: still usable.
  ASSERT_EQ(send(first.peer(), "y", 1, 0), 1);
  EXPECT_EQ(recv(first.ours(), &byte, 1, 0), 1);
}

TEST(WatchdogTest, ScopeDisarmsOnExit) {
  SocketPair pair;
  Watchdog watchdog;
  {
    WatchdogScope scope(watchdog, pair.ours(), SteadyClock::now() + std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_EQ(send(pair.peer(), "z", 1, 0), 1);
  char byte = 0;
  EXPECT_EQ(recv(pair.ours(), &byte, 1, 0), 1);
}

}  // namespace
}  // namespace codebot::collect::postgres
