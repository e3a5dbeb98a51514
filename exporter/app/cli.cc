#include "exporter/app/cli.h"

#include <stdexcept>
#include <string_view>

#include "exporter/core/build_info.h"

namespace codebot::app {
namespace {

// "--name=value" or "--name value"; returns true and fills value when arg is the flag.
bool TakeFlag(std::string_view name, int argc, char** argv, int* index, std::string* value) {
  const std::string_view arg = argv[*index];
  const std::string prefix = "--" + std::string(name);
  if (arg == prefix) {
    if (*index + 1 >= argc) throw std::invalid_argument("flag " + prefix + " needs a value");
    *value = argv[++*index];
    return true;
  }
  if (arg.starts_with(prefix + "=")) {
    *value = std::string(arg.substr(prefix.size() + 1));
    return true;
  }
  return false;
}

}  // namespace

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string value;
    if (arg == "--version") {
      flags.command = Command::kVersion;
      return flags;
    }
    if (arg == "--help" || arg == "-h") {
      flags.command = Command::kHelp;
      return flags;
    }
    if (TakeFlag("config.file", argc, argv, &i, &value)) {
      flags.config_file = value;
    } else if (TakeFlag("web.listen-address", argc, argv, &i, &value)) {
      flags.listen_address = value;
    } else if (TakeFlag("web.external-url", argc, argv, &i, &value)) {
      if (!value.starts_with("http://") && !value.starts_with("https://")) {
        throw std::invalid_argument("--web.external-url must be an http:// or https:// URL");
      }
      while (value.ends_with('/')) value.pop_back();
      flags.external_url = value;
    } else if (TakeFlag("web.threads", argc, argv, &i, &value)) {
      try {
        flags.web_threads = std::stoi(value);
      } catch (const std::exception&) {
        flags.web_threads = 0;
      }
      if (flags.web_threads < 1 || flags.web_threads > 256) {
        throw std::invalid_argument("--web.threads must be a number from 1 to 256");
      }
    } else if (TakeFlag("rules.alert.resend-delay", argc, argv, &i, &value)) {
      const std::optional<Duration> delay = ParseDuration(value);
      if (!delay || delay->count() <= 0) {
        throw std::invalid_argument(
            "--rules.alert.resend-delay must be a positive duration such as 1m, not \"" + value +
            "\"");
      }
      flags.resend_delay = *delay;
    } else if (TakeFlag("log.level", argc, argv, &i, &value)) {
      auto level = log::ParseLevel(value);
      if (!level) {
        throw std::invalid_argument("--log.level must be debug, info, warn or error, not \"" +
                                    value + "\"");
      }
      flags.log_level = *level;
      flags.log_level_given = true;
    } else if (TakeFlag("log.format", argc, argv, &i, &value)) {
      auto format = log::ParseFormat(value);
      if (!format) {
        throw std::invalid_argument("--log.format must be json or logfmt, not \"" + value + "\"");
      }
      flags.log_format = *format;
    } else if (arg.starts_with("-")) {
      throw std::invalid_argument("unknown flag " + std::string(arg));
    } else {
      positional.emplace_back(arg);
    }
  }
  if (positional.empty()) return flags;
  const std::string verb = positional.size() >= 2 ? positional[0] + " " + positional[1] : "";
  if (verb == "check config") {
    flags.command = Command::kCheckConfig;
  } else if (verb == "check rules") {
    flags.command = Command::kCheckRules;
  } else if (verb == "test rules") {
    flags.command = Command::kTestRules;
  } else {
    throw std::invalid_argument("unknown command \"" + positional[0] +
                                "\"; expected check config, check rules or test rules");
  }
  flags.files.assign(positional.begin() + 2, positional.end());
  if (flags.files.empty()) throw std::invalid_argument(verb + " needs at least one file");
  return flags;
}

std::string Usage() {
  return "usage: codebot-exporter [flags]\n"
         "       codebot-exporter check config FILE\n"
         "       codebot-exporter check rules FILE...\n"
         "       codebot-exporter test rules FILE...\n"
         "\n"
         "flags:\n"
         "  --config.file=PATH          configuration file (default codebot-exporter.yml)\n"
         "  --web.listen-address=ADDR   address of /metrics and the API (default :9877)\n"
         "  --web.threads=N             HTTP worker threads (default 8)\n"
         "  --web.external-url=URL      URL users reach the sidecar at, for alerts' links\n"
         "                              (default http://<hostname>:<port>)\n"
         "  --rules.alert.resend-delay=DURATION\n"
         "                              how often firing alerts are sent again (default 1m)\n"
         "  --log.level=LEVEL           debug, info, warn or error (default info)\n"
         "  --log.format=FORMAT         json or logfmt (default json)\n"
         "  --version                   print version and exit\n";
}

std::string VersionText() {
  return "codebot-exporter, version " + std::string(BuildVersion()) + " (revision " +
         std::string(BuildRevision()) + ")\n  build: " + std::string(BuildCompiler()) + "\n";
}

}  // namespace codebot::app
