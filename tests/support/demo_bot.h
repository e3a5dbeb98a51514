// examples/demo_bot.py for tests: the bot's metric model with simulated traffic, on a loopback
// port of its own, made to misbehave on demand (POST /misbehave) and stopped at the end.
#pragma once

#include <string>
#include <vector>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {

class DemoBot {
 public:
  // Debian's python3 (the pyenv one on PATH lacks Debian's packages).
  static constexpr const char* kPython = "/usr/bin/python3";

  // python3 with python3-prometheus-client, which the demo bot imports.
  static bool Available();

  // Starts the bot with extra_args (e.g. {"--traffic", "3"}) and waits until /metrics answers.
  // Returns false (with the log in *error) when it doesn't come up.
  bool Start(const std::vector<std::string>& extra_args, std::string* error);
  // SIGTERM; the bot's series then stop with it.
  void Stop() { process_.Stop(std::chrono::seconds(5)); }

  // POST /misbehave?mode=modes[&operations=operations]; false unless the bot answers 200.
  bool Misbehave(const std::string& modes, const std::string& operations = "");

  std::string Url(const std::string& path = "") const;
  int port() const { return port_; }
  std::string Logs() const { return ReadFile(dir_.File("demo_bot.log")); }

 private:
  TempDir dir_;
  Process process_;
  int port_ = 0;
};

}  // namespace codebot::testing
