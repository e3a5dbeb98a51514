// Entry point: parses the command line, loads the config and runs the sidecar until SIGTERM.
// Exceptions are for start-up only; they end here with one message and exit code 1.
#include <signal.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "exporter/app/app.h"
#include "exporter/app/cli.h"
#include "exporter/app/commands.h"
#include "exporter/config/config.h"
#include "exporter/config/yaml.h"
#include "exporter/core/log.h"

namespace {

// glibc gives each thread that allocates an arena of its own, up to 8 per core, and keeps what
// each one freed: relaying 10,000 series, eight web threads and the sources' threads held about
// 1.2 MB more than two shared arenas do, with no measurable cost in /metrics throughput. Set
// before any thread starts; MALLOC_ARENA_MAX or glibc.malloc.arena_max in the environment win.
void LimitMallocArenas() {
#ifdef __GLIBC__
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr ||
      (tunables != nullptr && std::strstr(tunables, "arena_max") != nullptr)) {
    return;
  }
  mallopt(M_ARENA_MAX, 2);
#endif
}

int Run(const codebot::app::Flags& flags) {
  using namespace codebot;
  config::Config config;
  try {
    config = config::LoadFile(flags.config_file);
  } catch (const config::ConfigError& e) {
    std::cerr << "error: invalid configuration: " << e.what() << "\n";
    return 1;
  }
  // Signals are taken by sigwait() below; every thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // libcurl (and with it OpenSSL's providers and config) is initialised by the first HTTP
  // client, not here: a sidecar whose config needs none keeps about 2 MB of libcrypto pages out
  // of memory. Debian's libcurl is built thread-safe (curl_version_info: threadsafe), so its
  // global init may run once threads are up; http::Client serialises it with call_once.

  std::unique_ptr<app::App> application;
  try {
    application = std::make_unique<app::App>(flags, std::move(config));
    application->Start();
  } catch (const std::exception& e) {
    log::Error("cannot start", {{"err", e.what()}});
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  log::Info("started", {{"config", flags.config_file}});
  for (;;) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      std::string error;
      application->Reload(&error);
      continue;
    }
    log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  application->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace codebot;
  LimitMallocArenas();
  app::Flags flags;
  try {
    flags = app::ParseFlags(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n\n" << app::Usage();
    return 2;
  }
  // The offline commands report through their own output, as promtool does; their log lines
  // (a template that fails to expand, say) would only interleave with the report.
  const bool offline = flags.command == app::Command::kCheckConfig ||
                       flags.command == app::Command::kCheckRules ||
                       flags.command == app::Command::kTestRules;
  log::Init(offline && !flags.log_level_given ? log::Level::kError : flags.log_level,
            flags.log_format);
  switch (flags.command) {
    case app::Command::kVersion:
      std::cout << app::VersionText();
      return 0;
    case app::Command::kHelp:
      std::cout << app::Usage();
      return 0;
    case app::Command::kCheckConfig:
      return app::CheckConfigCommand(flags.files, std::cout, std::cerr);
    case app::Command::kCheckRules:
      return app::CheckRulesCommand(flags.files, std::cout, std::cerr);
    case app::Command::kTestRules:
      return app::TestRulesCommand(flags.files, std::cout, std::cerr);
    case app::Command::kRun:
      break;
  }
  return Run(flags);
}
