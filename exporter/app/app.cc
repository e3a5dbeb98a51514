#include "exporter/app/app.h"

#include <prometheus/text_serializer.h>

#include <unistd.h>

#include <sstream>

#include "exporter/app/sources.h"
#include "exporter/collect/self_collector.h"
#include "exporter/core/build_info.h"
#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "exporter/expfmt/writer.h"
#include "exporter/rules/api.h"

namespace codebot::app {
namespace {

prometheus::Gauge& AddBuildInfo(prometheus::Registry& registry) {
  return prometheus::BuildGauge()
      .Name("codebot_exporter_build_info")
      .Help("A metric with a constant 1 labelled by the version and revision of this build.")
      .Register(registry)
      .Add({{"version", std::string(BuildVersion())},
            {"revision", std::string(BuildRevision())},
            {"compiler", std::string(BuildCompiler())}});
}

// Constant-time comparison, so that a wrong token takes as long as a right one.
bool SecureEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string Base64Encode(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += kTable[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += i + 1 < in.size() ? kTable[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

rules::ManagerOptions RuleManagerOptions(prometheus::Registry& registry, store::SeriesStore& store,
                                         rules::ResultWriter& writer, rules::AlertSink& sink,
                                         collect::ResultSink& exposition) {
  rules::ManagerOptions options;
  options.storage = &store;
  options.writer = &writer;
  options.sink = &sink;
  options.exposition = &exposition;
  options.registry = &registry;
  return options;
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

constexpr std::string_view kLandingPage = R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>codebot-exporter</title></head>
<body>
<h1>codebot-exporter</h1>
<p>Sidecar that watches the code bot, its GitHub rate limit and its PostgreSQL, evaluates alert
rules and delivers enriched alerts.</p>
<ul>
<li><a href="metrics">/metrics</a> &mdash; everything collected, in the Prometheus text format</li>
<li><a href="-/healthy">/-/healthy</a> and <a href="health/live">/health/live</a> &mdash; liveness</li>
<li><a href="-/ready">/-/ready</a> and <a href="health/ready">/health/ready</a> &mdash; readiness (every source collected once)</li>
<li><a href="health/startup">/health/startup</a> &mdash; startup probe</li>
<li><a href="api/v1/rules">/api/v1/rules</a> and <a href="api/v1/alerts">/api/v1/alerts</a> &mdash; rule groups and alerts, as Prometheus' API shows them</li>
<li>POST /-/reload &mdash; re-read the configuration (also on SIGHUP)</li>
</ul>
</body></html>
)";

}  // namespace

App::App(Flags flags, config::Config config)
    : flags_(std::move(flags)),
      config_(std::make_shared<const config::Config>(std::move(config))),
      registry_(std::make_shared<prometheus::Registry>()),
      reload_success_(prometheus::BuildGauge()
                          .Name("codebot_exporter_config_last_reload_successful")
                          .Help("1 if the last configuration reload succeeded, else 0.")
                          .Register(*registry_)
                          .Add({})),
      reload_timestamp_(prometheus::BuildGauge()
                            .Name("codebot_exporter_config_last_reload_success_timestamp_seconds")
                            .Help("Unix time of the last successful configuration load.")
                            .Register(*registry_)
                            .Add({})),
      exposition_(*registry_),
      store_(*registry_),
      rule_writer_(store_),
      rule_manager_(RuleManagerOptions(*registry_, store_, rule_writer_, alert_sink_, exposition_)),
      initial_rules_(rules::LoadRuleFiles(config_->rule_files)),
      scheduler_(*registry_, {&exposition_, &store_}),
      server_(http::ServerOptions{flags_.listen_address, flags_.web_threads,
                                  config_->web.max_request_body_bytes, 10000}) {
  AddBuildInfo(*registry_).Set(1);
  reload_success_.Set(1);
  reload_timestamp_.Set(NowUnixSeconds());
  RegisterRoutes();
}

App::~App() { Stop(); }

void App::Start() {
  server_.Start();
  log::Info("listening", {{"address", flags_.listen_address}, {"port", server_.port()}});
  ApplySources(nullptr, *config_);
  ApplyRules(std::move(initial_rules_), *config_);
}

void App::Stop() {
  stopping_ = true;
  server_.Stop();
  rule_manager_.Stop();
  scheduler_.StopAll();
}

void App::ApplySources(const config::Config* before, const config::Config& after) {
  std::vector<collect::SourceSpec> specs = BuildSources(after);
  std::vector<std::string> wanted;
  for (auto& spec : specs) {
    wanted.push_back(spec.name);
    if (before != nullptr && !SourceChanged(spec.name, *before, after)) continue;
    log::Info("starting source", {{"source", spec.name},
                                  {"interval", FormatDuration(spec.interval)},
                                  {"timeout", FormatDuration(spec.timeout)}});
    scheduler_.Add(std::move(spec));
  }
  // The sidecar's own metrics reach the rules through the sample store; /metrics renders them
  // from the registry already, so the source is not exposed.
  wanted.push_back("self");
  if (before == nullptr || before->global.scrape_interval != after.global.scrape_interval ||
      before->global.scrape_timeout != after.global.scrape_timeout) {
    collect::SourceSpec self;
    self.name = "self";
    self.job = "codebot-exporter";
    self.interval = after.global.scrape_interval;
    self.timeout = std::min(after.global.scrape_timeout, after.global.scrape_interval);
    self.exposed = false;
    self.collector = std::make_unique<collect::SelfCollector>(
        std::vector<const prometheus::Collectable*>{registry_.get(), &process_metrics_},
        "localhost:" + std::to_string(server_.port()));
    scheduler_.Add(std::move(self));
  }
  for (const auto& name : scheduler_.Names()) {
    if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) {
      log::Info("stopping source", {{"source", name}});
      scheduler_.Remove(name);
    }
  }
}

void App::ApplyRules(std::vector<rules::GroupSpec> groups, const config::Config& config) {
  rules::RuleSettings settings;
  settings.evaluation_interval = config.global.evaluation_interval;
  settings.external_labels = config.global.external_labels;
  // Without --web.external-url, Prometheus' default: this host and the port we listen on.
  settings.external_url = !flags_.external_url.empty()
                              ? flags_.external_url
                              : "http://" + HostName() + ":" + std::to_string(server_.port());
  rule_manager_.Update(std::move(groups), settings);
  store_.SetRetention(rule_manager_.RetentionMs());
  rule_manager_.ReportReload(true);
}

bool App::Reload(std::string* error) {
  std::lock_guard reload_lock(reload_mutex_);
  config::Config next;
  try {
    next = config::LoadFile(flags_.config_file);
  } catch (const std::exception& e) {
    *error = e.what();
    reload_success_.Set(0);
    log::Error("reload failed, keeping the previous configuration", {{"err", *error}});
    return false;
  }
  // Everything is loaded and checked before anything is replaced.
  std::vector<rules::GroupSpec> next_rules;
  try {
    next_rules = rules::LoadRuleFiles(next.rule_files);
  } catch (const std::exception& e) {
    *error = e.what();
    reload_success_.Set(0);
    rule_manager_.ReportReload(false);
    log::Error("reload failed: invalid rule files, keeping the previous configuration and rules",
               {{"err", *error}});
    return false;
  }
  std::shared_ptr<const config::Config> before;
  {
    std::lock_guard lock(config_mutex_);
    before = config_;
  }
  ApplySources(before.get(), next);
  ApplyRules(std::move(next_rules), next);
  {
    std::lock_guard lock(config_mutex_);
    config_ = std::make_shared<const config::Config>(std::move(next));
  }
  reload_success_.Set(1);
  reload_timestamp_.Set(NowUnixSeconds());
  log::Info("configuration reloaded", {{"file", flags_.config_file}});
  return true;
}

http::Handler App::RequireAuth(http::Handler handler) {
  return [this, handler = std::move(handler)](const http::Request& request) {
    std::shared_ptr<const config::Config> config;
    {
      std::lock_guard lock(config_mutex_);
      config = config_;
    }
    const auto& web = config->web;
    if (!web.bearer_token.IsSet() && web.basic_auth_username.empty()) return handler(request);
    const std::string_view header = request.Header("Authorization");
    std::string error;
    if (web.bearer_token.IsSet() && header.starts_with("Bearer ")) {
      auto token = web.bearer_token.Resolve(&error);
      if (token && SecureEquals(header.substr(7), *token)) return handler(request);
    }
    if (!web.basic_auth_username.empty() && header.starts_with("Basic ")) {
      auto password = web.basic_auth_password.Resolve(&error);
      if (password &&
          SecureEquals(header.substr(6), Base64Encode(web.basic_auth_username + ":" + *password))) {
        return handler(request);
      }
    }
    log::Warn(
        "unauthorised request",
        {{"request_id", request.id}, {"path", request.path}, {"remote", request.remote_addr}});
    http::Response response = http::Response::Error(401, "unauthorized");
    response.headers.emplace_back("WWW-Authenticate",
                                  web.bearer_token.IsSet() ? "Bearer" : "Basic realm=\"codebot\"");
    return response;
  };
}

http::Response App::Metrics() const {
  std::ostringstream self;
  prometheus::TextSerializer serializer;
  auto families = registry_->Collect();
  auto process = process_metrics_.Collect();
  families.insert(families.end(), process.begin(), process.end());
  serializer.Serialize(self, families);
  http::Response response;
  response.content_type = std::string(expfmt::kContentType);
  response.body = self.str();
  response.shared_parts.push_back(exposition_.Text());
  return response;
}

http::Response App::Readiness(bool startup) const {
  if (stopping_ && !startup) return http::Response::Text(503, "Shutting down.\n");
  // Latched: once every source has been collected, a reload that adds a source doesn't flap the
  // pod's readiness (a sidecar's readiness takes the whole pod out of its Service).
  if (started_up_ || scheduler_.AllCollectedOnce()) {
    started_up_ = true;
    return http::Response::Text(200, startup ? "Started.\n" : "Ready.\n");
  }
  return http::Response::Text(503,
                              "Not ready: waiting for the first collection of every source.\n");
}

void App::RegisterRoutes() {
  server_.Handle("/", [](const http::Request&) {
    http::Response response;
    response.content_type = "text/html; charset=utf-8";
    response.body = std::string(kLandingPage);
    return response;
  });
  server_.Handle("/metrics", [this](const http::Request&) { return Metrics(); });
  auto healthy = [](const http::Request&) { return http::Response::Text(200, "Healthy.\n"); };
  server_.Handle("/-/healthy", healthy);
  server_.Handle("/health/live", healthy);
  auto ready = [this](const http::Request&) { return Readiness(false); };
  server_.Handle("/-/ready", ready);
  server_.Handle("/health/ready", ready);
  server_.Handle("/health/startup", [this](const http::Request&) { return Readiness(true); });
  server_.Handle("/api/v1/rules", [this](const http::Request& request) {
    const auto answer = rules::RulesApi(rule_manager_.Groups(), request.QueryParam("type"));
    return http::Response::Json(answer.status, answer.body);
  });
  server_.Handle("/api/v1/alerts", [this](const http::Request&) {
    const auto answer = rules::AlertsApi(rule_manager_.Groups());
    return http::Response::Json(answer.status, answer.body);
  });
  server_.Handle("/-/reload", RequireAuth([this](const http::Request& request) {
                   std::string error;
                   if (Reload(&error)) return http::Response::Text(200, "Reloaded.\n");
                   log::Info("reload requested over HTTP failed", {{"request_id", request.id}});
                   return http::Response::Error(500, "failed to reload config: " + error);
                 }),
                 {"POST", "PUT"});
}

}  // namespace codebot::app
