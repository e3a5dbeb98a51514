#include "tests/support/exporter.h"

#include <gtest/gtest.h>

#include "exporter/expfmt/parser.h"

namespace codebot::testing {
namespace {

bool Includes(const Labels& labels, const Labels& match) {
  for (const auto& wanted : match) {
    bool found = false;
    for (const auto& label : labels) {
      if (label == wanted) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

Scrape ParseScrape(const std::string& text) {
  Scrape scrape;
  scrape.text = text;
  auto parsed = expfmt::Parse(text);
  scrape.ok = parsed.ok;
  scrape.families = std::move(parsed.families);
  return scrape;
}

std::vector<Sample> Scrape::Samples(const std::string& name, const Labels& match) const {
  std::vector<Sample> out;
  for (const auto& family : families) {
    for (const auto& sample : family.samples) {
      if (sample.name == name && Includes(sample.labels, match)) out.push_back(sample);
    }
  }
  return out;
}

std::optional<double> Scrape::Value(const std::string& name, const Labels& match) const {
  auto samples = Samples(name, match);
  if (samples.empty()) return std::nullopt;
  return samples.front().value;
}

const Family* Scrape::FindFamily(const std::string& name) const {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

Exporter::Exporter() = default;

Exporter::~Exporter() { Stop(); }

void Exporter::Start(const std::string& config_yaml, const std::vector<std::string>& extra_args,
                     const std::vector<std::string>& extra_env) {
  WriteFile(config_path(), config_yaml);
  port_ = FreePort();
  std::vector<std::string> argv = {ExporterBinary(), "--config.file=" + config_path(),
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                   "--log.level=debug"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_.Start(argv, dir_.File("exporter.log"), extra_env);
  const bool healthy = WaitFor([&] {
    if (!process_.Running()) return true;
    auto response = HttpGet(Url("/-/healthy"), 1000);
    return response.transport_ok() && response.status == 200;
  });
  ASSERT_TRUE(healthy && process_.Running()) << "exporter did not start:\n" << Logs();
}

int Exporter::Stop() { return process_.Stop(); }

std::string Exporter::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

Scrape Exporter::ScrapeMetrics() const {
  auto response = HttpGet(Url("/metrics"), 5000);
  if (!response.transport_ok() || response.status != 200) return Scrape{};
  return ParseScrape(response.body);
}

bool Exporter::WaitForScrape(const std::function<bool(const Scrape&)>& condition,
                             std::chrono::milliseconds timeout) const {
  return WaitFor([&] { return condition(ScrapeMetrics()); }, timeout);
}

std::string Exporter::Logs() const { return ReadFile(dir_.File("exporter.log")); }

}  // namespace codebot::testing
