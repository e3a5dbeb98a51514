// kill -9 at random moments: a forked child enqueues notifications and its lanes record attempts
// (EntryState, SharedState, deliveries) and compact the log as fast as they can, telling the
// parent through a pipe what was acknowledged and what was delivered; the parent SIGKILLs it at
// a random moment, replays the log and checks that every acknowledged entry not reported
// delivered is there, that every entry is exactly what was enqueued, and that no attempt's
// bookkeeping is half-applied. Thirty rounds on one log, each child resuming the last one's.
#include <gtest/gtest.h>
#include <poll.h>
#include <prometheus/registry.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "exporter/core/log.h"
#include "exporter/notify/delivery/outbox.h"
#include "exporter/notify/delivery/records.h"
#include "tests/support/env.h"

namespace codebot::notify::delivery {
namespace {

using alerts::Status;

constexpr char kWebhookLane[] = "oncall/webhook/0";  // send_resolved: true
constexpr char kSlackLane[] = "oncall/slack/0";      // send_resolved: false

uint64_t Hash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: the same in parent and child, every run
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

// The notification of an id, rebuilt identically by the parent to check what it finds.
alerts::Notification Expected(const std::string& id) {
  const uint64_t h = Hash(id);
  alerts::Notification n;
  n.id = id;
  n.receiver = "oncall";
  n.group_key = "{}:{id=\"" + id + "\"}";
  n.group_labels = {{"id", id}};
  n.common_labels = {{"alertname", "Crash"}};
  n.created_ms = static_cast<int64_t>(h % 1'000'000'000);
  const size_t count = 1 + h % 3;
  for (size_t i = 0; i < count; ++i) {
    alerts::NotifiedAlert a;
    a.alert.labels = {{"alertname", "Crash"}, {"instance", "i" + std::to_string(i)}};
    std::string description;
    while (description.size() < 40 + (h >> 8) % 3000) description += id + " <&> ";
    a.alert.annotations = {{"description", description}};
    a.alert.starts_at_ms = 1000;
    // The first alert always fires, so both lanes get an entry.
    a.status = i > 0 && (h >> 4) % 2 == 1 ? Status::kResolved : Status::kFiring;
    a.alert.ends_at_ms = a.status == Status::kResolved ? 2000 : kNoTime;
    a.enrichment.actions = {"step " + id};
    n.alerts.push_back(std::move(a));
  }
  return n;
}

void WriteLine(int fd, const std::string& line) {
  const std::string text = line + "\n";  // < PIPE_BUF: one atomic write
  ssize_t n;
  do {
    n = ::write(fd, text.data(), text.size());
  } while (n < 0 && errno == EINTR);
}

// Counts its attempts in EntryState (n, and check = id:n, persisted together with the entry's
// attempts), writes shared state, and delivers now and then, telling the parent before it
// returns kDelivered.
class ProgressNotifier final : public Notifier {
 public:
  ProgressNotifier(int fd, std::string lane) : fd_(fd), lane_(std::move(lane)) {}
  Attempt Notify(const alerts::Notification& n, EntryState& state, SharedState& shared,
                 Deadline) override {
    const int k = state.contains("n") ? std::stoi(state["n"]) + 1 : 1;
    state["n"] = std::to_string(k);
    state["check"] = n.id + ":" + std::to_string(k);
    shared.Set("last", n.id);
    Attempt a;
    if ((Hash(n.id) + static_cast<uint64_t>(k)) % 3 == 0) {
      WriteLine(fd_, "D " + lane_ + " " + n.id);
      return a;
    }
    a.outcome = Outcome::kRetry;
    a.reason = kReasonServerError;
    a.requests = {a.reason};
    return a;
  }

 private:
  int fd_;
  std::string lane_;
};

OutboxOptions Options(const std::string& dir, uint64_t seed) {
  OutboxOptions o;
  o.data_dir = dir;
  o.compact_min_bytes = 32 << 10;
  o.retry = {.max_age = std::chrono::hours(24),
             .min_backoff = std::chrono::milliseconds(1),
             .max_backoff = std::chrono::milliseconds(4)};
  o.jitter_seed = seed;
  return o;
}

[[noreturn]] void RunChild(const std::string& dir, int round, int fd) {
  log::Init(log::Level::kError, log::Format::kJson);
  try {
    prometheus::Registry registry;
    Outbox outbox(registry, Options(dir, static_cast<uint64_t>(round)));
    std::vector<Integration> list;
    for (const char* lane : {kWebhookLane, kSlackLane}) {
      Integration i;
      i.receiver = "oncall";
      i.name = std::string(lane) == kWebhookLane ? "webhook" : "slack";
      i.send_resolved = std::string(lane) == kWebhookLane;
      i.fingerprint = "v1";
      i.notifier = std::make_unique<ProgressNotifier>(fd, lane);
      list.push_back(std::move(i));
    }
    outbox.Update(std::move(list));
    for (int i = 0;; ++i) {
      const std::string id = "r" + std::to_string(round) + "-" + std::to_string(i);
      if (outbox.Enqueue(Expected(id))) WriteLine(fd, "A " + id);
    }
  } catch (const std::exception& e) {
    WriteLine(fd, std::string("E ") + e.what());
  }
  ::_exit(3);
}

TEST(OutboxCrash, KillNineAtRandomMomentsLosesNothingAcknowledged) {
  testing::TempDir tmp;
  const std::string dir = tmp.path() + "/outbox";
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::set<std::string> acked;
  std::set<std::pair<std::string, std::string>> delivered;  // lane, id
  size_t max_pending = 0;
  size_t target_acks = 0;
  size_t target_deliveries = 0;

  for (int round = 0; round < 30; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(dir, round, fds[1]);
    }
    ::close(fds[1]);
    std::string output;
    char buffer[65536];
    // Read while the child works (so it never blocks on a full pipe); kill it once it has
    // acknowledged and delivered a random amount, plus a random few milliseconds, so the kill
    // lands anywhere in its stride whatever the machine's speed.
    const size_t want_acks = std::uniform_int_distribution<size_t>(1, 40)(rng);
    const size_t want_deliveries = std::uniform_int_distribution<size_t>(0, 4)(rng);
    const auto extra = std::chrono::milliseconds(std::uniform_int_distribution(0, 30)(rng));
    target_acks += want_acks;
    target_deliveries += want_deliveries;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::optional<std::chrono::steady_clock::time_point> kill_at;
    size_t scanned = 0;
    size_t acks = 0;
    size_t deliveries = 0;
    while (!kill_at || std::chrono::steady_clock::now() < *kill_at) {
      if (std::chrono::steady_clock::now() >= give_up) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        FAIL() << "child made no progress: " << output.substr(0, 500);
      }
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 2) > 0) {
        const ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
        if (n > 0) output.append(buffer, static_cast<size_t>(n));
        if (n == 0) break;  // the child ended: reported below
      }
      // Count the complete lines read so far.
      for (size_t end; (end = output.find('\n', scanned)) != std::string::npos; scanned = end + 1) {
        acks += output[scanned] == 'A' ? 1 : 0;
        deliveries += output[scanned] == 'D' ? 1 : 0;
      }
      if (!kill_at && acks >= want_acks && deliveries >= want_deliveries) {
        kill_at = std::chrono::steady_clock::now() + extra;
      }
    }
    ::kill(pid, SIGKILL);
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof(buffer))) > 0;) {
      output.append(buffer, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended on its own: " << output.substr(0, 500);

    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("A ", 0) == 0) {
        acked.insert(line.substr(2));
      } else if (line.rfind("D ", 0) == 0) {
        const auto space = line.find(' ', 2);
        delivered.emplace(line.substr(2, space - 2), line.substr(space + 1));
      } else {
        FAIL() << "child: " << line;
      }
    }

    prometheus::Registry registry;
    Outbox outbox(registry, Options(dir, 0));
    std::map<std::pair<std::string, std::string>, PendingEntry> found;
    for (auto& entry : outbox.Pending()) {
      const std::string id = entry.notification->id;
      // Every entry is exactly what was enqueued (filtered for the firing-only lane).
      const auto expected = Expected(id);
      const auto want = entry.lane == kSlackLane ? *FiringOnly(expected) : expected;
      ASSERT_EQ(detail::EncodeNotification(*entry.notification), detail::EncodeNotification(want))
          << entry.lane << " " << id;
      // An attempt's bookkeeping is all there or not at all.
      if (entry.state.empty()) {
        EXPECT_EQ(entry.attempts, 0) << id;
      } else {
        EXPECT_EQ(std::to_string(entry.attempts), entry.state["n"]) << id;
        EXPECT_EQ(entry.state["check"], id + ":" + entry.state["n"]) << id;
      }
      EXPECT_TRUE(found.emplace(std::make_pair(entry.lane, id), entry).second)
          << "duplicate " << id;
    }
    max_pending = std::max(max_pending, found.size());
    for (const auto& id : acked) {
      for (const char* lane : {kWebhookLane, kSlackLane}) {
        if (delivered.contains({lane, id})) continue;
        ASSERT_TRUE(found.contains({lane, id}))
            << "acknowledged entry lost after round " << round << ": " << lane << " " << id;
      }
    }
  }
  // The rounds did real work: acknowledged, delivered, and entries pending at kills.
  EXPECT_GE(acked.size(), target_acks);
  EXPECT_GE(delivered.size(), target_deliveries);
  EXPECT_GT(max_pending, 0u);
}

}  // namespace
}  // namespace codebot::notify::delivery
