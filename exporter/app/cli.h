// Command line in the Prometheus exporter style:
//   codebot-exporter --config.file=F --web.listen-address=:9877 --log.level=info --log.format=json
//   codebot-exporter check config F
//   codebot-exporter check rules F...
//   codebot-exporter test rules F...
//   codebot-exporter --version
#pragma once

#include <string>
#include <vector>

#include "exporter/core/duration.h"
#include "exporter/core/log.h"

namespace codebot::app {

enum class Command { kRun, kCheckConfig, kCheckRules, kTestRules, kVersion, kHelp };

struct Flags {
  Command command = Command::kRun;
  std::string config_file = "codebot-exporter.yml";
  std::string listen_address = ":9877";
  log::Level log_level = log::Level::kInfo;
  bool log_level_given = false;  // check/test commands stay quiet (errors only) unless given
  log::Format log_format = log::Format::kJson;
  int web_threads = 8;
  // Where users reach the sidecar, as Prometheus' --web.external-url: alert templates'
  // $externalURL and the generator URL of alerts. Empty: http://<hostname>:<port>.
  std::string external_url;
  // As Prometheus' --rules.alert.resend-delay: how often a firing alert is handed on again
  // (to the local route's dedup, or re-pushed to the Alertmanagers so they don't expire it).
  Duration resend_delay = std::chrono::minutes(1);
  std::vector<std::string> files;  // arguments of check/test commands
};

// Throws std::invalid_argument with a message for the user on a bad command line.
Flags ParseFlags(int argc, char** argv);
std::string Usage();
std::string VersionText();

}  // namespace codebot::app
