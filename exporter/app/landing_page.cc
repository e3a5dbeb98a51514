#include "exporter/app/landing_page.h"

#include <string_view>

namespace codebot::app {
namespace {

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

void RegisterLandingPage(http::Server& server) {
  server.Handle("/", [](const http::Request&) {
    http::Response response;
    response.content_type = "text/html; charset=utf-8";
    response.body = std::string(kLandingPage);
    return response;
  });
}

}  // namespace codebot::app
