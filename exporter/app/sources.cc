#include "exporter/app/sources.h"

#include "exporter/collect/bot/relay.h"

namespace codebot::app {

std::vector<collect::SourceSpec> BuildSources(const config::Config& config) {
  std::vector<collect::SourceSpec> specs;
  if (config.bot) {
    specs.push_back({"bot", config.bot->job, config.bot->interval, config.bot->timeout, true,
                     collect::bot::NewRelay(*config.bot)});
  }
  return specs;
}

bool SourceChanged(const std::string& name, const config::Config& before,
                   const config::Config& after) {
  if (name == "bot") return before.bot != after.bot;
  if (name == "github") return before.github != after.github;
  if (name == "postgres") return before.postgres != after.postgres;
  return true;
}

}  // namespace codebot::app
