// Child processes for tests: the sidecar binary and the real servers (Prometheus, PostgreSQL,
// Alertmanager) started on loopback in temp dirs and always stopped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace codebot::testing {

class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;

  // Starts argv[0] (searched in PATH) with stdout and stderr appended to log_file.
  // extra_env entries are "NAME=value". run_as_user, when set, drops to that user (root only).
  void Start(const std::vector<std::string>& argv, const std::string& log_file,
             const std::vector<std::string>& extra_env = {}, const std::string& run_as_user = "");

  bool Running();
  pid_t pid() const { return pid_; }
  void Signal(int signal_number) const;
  // SIGTERM, then SIGKILL after grace; returns the exit status (or 128+signal).
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Waits for the process to exit by itself; returns its exit code, or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// Runs a command to completion and returns its exit code; output goes to *output (stdout and
// stderr merged) when given. A command still running after timeout is killed and -1 returned.
int RunCommand(const std::vector<std::string>& argv, std::string* output = nullptr,
               const std::string& run_as_user = "",
               std::chrono::milliseconds timeout = std::chrono::minutes(5));

// Polls condition every 50ms until it is true or timeout passes; returns the last result.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A free TCP port on 127.0.0.1 (bound, read and released).
int FreePort();

// Is the program on PATH (or an absolute executable path)?
bool HaveProgram(const std::string& name);

// True under CI=true (as CI runs the suite).
bool InCi();

// For a test that needs a real peer program (PostgreSQL, Prometheus, promtool, Alertmanager):
// skips the test when `available` is false on a developer's machine, but fails it under CI=true,
// where a missing program means the test command did not install what it needs. Use it directly
// in the test body or SetUp (it returns from the function).
#define CODEBOT_REQUIRE_PROGRAM(available, what)                                        \
  do {                                                                                  \
    if (!(available)) {                                                                 \
      if (::codebot::testing::InCi()) FAIL() << (what) << " is required under CI=true"; \
      GTEST_SKIP() << (what) << " not installed";                                       \
    }                                                                                   \
  } while (false)

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

}  // namespace codebot::testing
