// Source "github": asks GET {api_url}/rate_limit for every configured account (personal tokens,
// GitHub App installation tokens, or none) and exposes what GitHub says per account and resource,
// so that the on-call person sees a rate limit running out before the bot's sync stops.
//
// It must never call an account again before a rate-limited answer's wait is over, never let a
// token reach a log line, a metric or an error message, and never fail the whole source while
// one account still answers.
//
// Families, per account (label name) and, for the rate limit, per resource as GitHub lists it:
//   github_api_rate_limit_{limit,remaining,used}{name,resource}
//   github_api_rate_limit_reset_timestamp_seconds{name,resource}
//   github_api_up{name}, github_api_last_success_timestamp_seconds{name},
//   github_api_backoff_until_timestamp_seconds{name} (0 when not backing off),
//   github_api_request_errors_total{name,reason},
//   github_api_secondary_rate_limit_responses_total{name}
// While an account backs off, its last known values stay exposed until each resource's reset
// time: they are the freshest truth we may fetch, and dropping them would resolve a "running
// out" alert exactly when the account is being throttled.
#pragma once

#include <memory>
#include <string>

#include "exporter/collect/collector.h"
#include "exporter/config/config.h"

namespace codebot::collect::github {

std::unique_ptr<Collector> NewRateLimitCollector(const config::GitHubSource& config);

}  // namespace codebot::collect::github
