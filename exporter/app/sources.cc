#include "exporter/app/sources.h"

#include "exporter/collect/bot/relay.h"
#include "exporter/collect/github/collector.h"
#include "exporter/collect/postgres/postgres.h"

namespace codebot::app {

std::vector<collect::SourceSpec> BuildSources(const config::Config& config) {
  std::vector<collect::SourceSpec> specs;
  if (config.bot) {
    specs.push_back({"bot", config.bot->job, config.bot->interval, config.bot->timeout, true,
                     collect::bot::NewRelay(*config.bot)});
  }
  if (config.postgres) {
    specs.push_back({"postgres", config.postgres->job, config.postgres->interval,
                     config.postgres->timeout, true,
                     collect::postgres::NewCollector(*config.postgres)});
  }
  if (config.github) {
    specs.push_back({"github", config.github->job, config.github->interval, config.github->timeout,
                     true, collect::github::NewRateLimitCollector(*config.github)});
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
