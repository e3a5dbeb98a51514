#include "exporter/app/app.h"

#include <unistd.h>

#include "exporter/app/landing_page.h"
#include "exporter/app/sources.h"
#include "exporter/core/build_info.h"
#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "exporter/http/auth.h"
#include "exporter/rules/api.h"
#include "exporter/store/metrics_endpoint.h"

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

rules::ManagerOptions RuleManagerOptions(prometheus::Registry& registry, store::SeriesStore& store,
                                         rules::ResultWriter& writer, alerts::AlertSink& sink,
                                         collect::ResultSink& exposition, Duration resend_delay) {
  rules::ManagerOptions options;
  options.resend_delay = resend_delay;
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

}  // namespace

// What the protected endpoints accept, from the current config's web section.
http::Credentials WebCredentials(const config::WebConfig& web) {
  http::Credentials credentials;
  auto resolve = [](const config::Secret& secret) {
    return [secret] {
      std::string error;
      return secret.Resolve(&error);
    };
  };
  if (web.bearer_token.IsSet()) credentials.bearer_token = resolve(web.bearer_token);
  if (!web.basic_auth_username.empty()) {
    credentials.basic_username = web.basic_auth_username;
    credentials.basic_password = resolve(web.basic_auth_password);
  }
  return credentials;
}

App::App(Flags flags, config::Config config, AppOptions options)
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
      delivery_(*registry_),
      pusher_(notify::alertmanager::PusherOptions{registry_.get()}),
      rule_manager_(
          RuleManagerOptions(*registry_, store_, rule_writer_,
                             options.alert_sink != nullptr ? *options.alert_sink : rule_alerts_,
                             exposition_, flags_.resend_delay)),
      initial_rules_(rules::LoadRuleFiles(config_->rule_files)),
      initial_delivery_(delivery_.Prepare(*config_)),
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
  ApplySources(scheduler_, nullptr, *config_,
               SelfSource{{registry_.get(), &process_metrics_}, port()});
  sources_applied_ = true;
  delivery_.Apply(std::move(initial_delivery_), ExternalUrl(), HostName());
  ApplyAlerting(*config_);
  ApplyRules(std::move(initial_rules_), *config_);
}

void App::Stop() {
  stopping_ = true;
  server_.Stop();
  rule_manager_.Stop();
  scheduler_.StopAll();
  pusher_.Stop();  // what is queued is sent first, for a few seconds at most
  delivery_.Stop();
}

std::string App::ExternalUrl() const {
  // Without --web.external-url, Prometheus' default: this host and the port we listen on.
  return !flags_.external_url.empty()
             ? flags_.external_url
             : "http://" + HostName() + ":" + std::to_string(server_.port());
}

void App::ApplyAlerting(const config::Config& config) {
  pusher_.Apply(config.alerting, config.global.external_labels);
  alerts::AlertSink* next = config.alerting.Enabled() ? static_cast<alerts::AlertSink*>(&pusher_)
                                                      : static_cast<alerts::AlertSink*>(&delivery_);
  if (rule_alerts_.Get() != next) {
    log::Info(config.alerting.Enabled()
                  ? "the rules' alerts go to the Alertmanagers (alerting.alertmanagers)"
                  : "the rules' alerts go to the local route",
              {{"alertmanagers", config.alerting.alertmanagers.size()}});
  }
  rule_alerts_.Set(next);
}

void App::ApplyRules(std::vector<rules::GroupSpec> groups, const config::Config& config) {
  rules::RuleSettings settings;
  settings.evaluation_interval = config.global.evaluation_interval;
  settings.external_labels = config.global.external_labels;
  settings.external_url = ExternalUrl();
  rule_manager_.Update(std::move(groups), settings);
  store_.SetRetention(rule_manager_.Retention());
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
  DeliveryStage::Prepared next_delivery;
  try {
    next_delivery = delivery_.Prepare(next);
  } catch (const std::exception& e) {
    *error = e.what();
    reload_success_.Set(0);
    log::Error(
        "reload failed: invalid delivery settings or playbooks, keeping the previous "
        "configuration",
        {{"err", *error}});
    return false;
  }
  const std::shared_ptr<const config::Config> before = CurrentConfig();
  delivery_.Apply(std::move(next_delivery), ExternalUrl(), HostName());
  ApplyAlerting(next);
  ApplySources(scheduler_, before.get(), next,
               SelfSource{{registry_.get(), &process_metrics_}, port()});
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

std::shared_ptr<const config::Config> App::CurrentConfig() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

http::Response App::Readiness(bool startup) const {
  if (stopping_ && !startup) return http::Response::Text(503, "Shutting down.\n");
  // Latched: once every source has been collected, a reload that adds a source doesn't flap the
  // pod's readiness (a sidecar's readiness takes the whole pod out of its Service).
  if (started_up_ || (sources_applied_ && scheduler_.AllCollectedOnce())) {
    started_up_ = true;
    return http::Response::Text(200, startup ? "Started.\n" : "Ready.\n");
  }
  return http::Response::Text(503,
                              "Not ready: waiting for the first collection of every source.\n");
}

void App::RegisterRoutes() {
  RegisterLandingPage(server_);
  store::RegisterMetricsEndpoint(server_, {registry_.get(), &process_metrics_}, exposition_);
  rules::RegisterApiRoutes(server_, rule_manager_);
  alerts::webhook::Options webhook;
  webhook.receiver = &delivery_;
  webhook.registry = registry_.get();
  webhook.credentials = [this] { return WebCredentials(CurrentConfig()->web); };
  alerts::webhook::RegisterRoutes(server_, std::move(webhook));
  auto healthy = [](const http::Request&) { return http::Response::Text(200, "Healthy.\n"); };
  server_.Handle("/-/healthy", healthy);
  server_.Handle("/health/live", healthy);
  auto ready = [this](const http::Request&) { return Readiness(false); };
  server_.Handle("/-/ready", ready);
  server_.Handle("/health/ready", ready);
  server_.Handle("/health/startup", [this](const http::Request&) { return Readiness(true); });
  auto credentials = [this] { return WebCredentials(CurrentConfig()->web); };
  server_.Handle("/-/reload",
                 http::RequireAuth(
                     credentials,
                     [this](const http::Request& request) {
                       std::string error;
                       if (Reload(&error)) return http::Response::Text(200, "Reloaded.\n");
                       log::Info("reload requested over HTTP failed", {{"request_id", request.id}});
                       return http::Response::Error(500, "failed to reload config: " + error);
                     }),
                 {"POST", "PUT"});
}

}  // namespace codebot::app
