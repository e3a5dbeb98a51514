#include "exporter/app/sources.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "exporter/collect/bot/relay.h"
#include "exporter/collect/github/collector.h"
#include "exporter/collect/postgres/postgres.h"
#include "exporter/collect/self_collector.h"
#include "exporter/core/log.h"

namespace codebot::app {
namespace {

struct BuiltinSource {
  std::string name;
  // The source's spec, or nullopt when the config doesn't enable it.
  std::function<std::optional<collect::SourceSpec>(const config::Config&, const SelfSource&)> build;
  // Whether two configs give the source the same settings.
  std::function<bool(const config::Config&, const config::Config&)> same;
};

template <typename Section>
std::optional<collect::SourceSpec> FromSection(
    const std::optional<Section>& section, const std::string& name,
    std::unique_ptr<collect::Collector> (*make)(const Section&)) {
  if (!section) return std::nullopt;
  collect::SourceSpec spec;
  spec.name = name;
  spec.job = section->job;
  spec.interval = section->interval;
  spec.timeout = section->timeout;
  spec.collector = make(*section);
  return spec;
}

const std::vector<BuiltinSource>& BuiltinSources() {
  static const std::vector<BuiltinSource> kSources = {
      {"bot",
       [](const config::Config& c, const SelfSource&) {
         return FromSection(c.sources.bot, "bot", &collect::bot::NewRelay);
       },
       [](const config::Config& a, const config::Config& b) {
         return a.sources.bot == b.sources.bot;
       }},
      {"postgres",
       [](const config::Config& c, const SelfSource&) {
         return FromSection(c.sources.postgres, "postgres", &collect::postgres::NewCollector);
       },
       [](const config::Config& a, const config::Config& b) {
         return a.sources.postgres == b.sources.postgres;
       }},
      {"github",
       [](const config::Config& c, const SelfSource&) {
         return FromSection(c.sources.github, "github", &collect::github::NewRateLimitCollector);
       },
       [](const config::Config& a, const config::Config& b) {
         return a.sources.github == b.sources.github;
       }},
      // The sidecar's own metrics reach the rules through the sample store; /metrics renders
      // them from the registry already, so the source is not exposed.
      {"self",
       [](const config::Config& c, const SelfSource& self) {
         collect::SourceSpec spec;
         spec.name = "self";
         spec.job = "codebot-exporter";
         spec.interval = c.global.scrape_interval;
         spec.timeout = std::min(c.global.scrape_timeout, c.global.scrape_interval);
         spec.exposed = false;
         spec.collector = std::make_unique<collect::SelfCollector>(
             self.collectables, "localhost:" + std::to_string(self.port));
         return std::optional<collect::SourceSpec>(std::move(spec));
       },
       [](const config::Config& a, const config::Config& b) {
         return a.global.scrape_interval == b.global.scrape_interval &&
                a.global.scrape_timeout == b.global.scrape_timeout;
       }},
  };
  return kSources;
}

}  // namespace

void ApplySources(collect::Scheduler& scheduler, const config::Config* before,
                  const config::Config& after, const SelfSource& self) {
  const std::vector<std::string> running = scheduler.Names();
  for (const auto& source : BuiltinSources()) {
    const bool is_running = std::find(running.begin(), running.end(), source.name) != running.end();
    if (is_running && before != nullptr && source.same(*before, after)) continue;
    std::optional<collect::SourceSpec> spec = source.build(after, self);
    if (!spec) {
      if (is_running) {
        log::Info("stopping source", {{"source", source.name}});
        scheduler.Remove(source.name);
      }
      continue;
    }
    if (spec->name != "self") {
      log::Info("starting source", {{"source", spec->name},
                                    {"interval", FormatDuration(spec->interval)},
                                    {"timeout", FormatDuration(spec->timeout)}});
    }
    scheduler.Add(std::move(*spec));
  }
}

}  // namespace codebot::app
