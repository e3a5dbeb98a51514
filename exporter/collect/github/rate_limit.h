// What GitHub's answers to GET /rate_limit mean, as pure functions: the body mapped to one entry
// per resource, an answer classified into a bounded failure reason, and how long to leave an
// account alone after a rate-limited answer. No I/O and no clock here (the caller passes "now"),
// so every rule is unit-tested on recorded answers. Never puts a token or a header value other
// than the documented rate-limit ones into a message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/http/client.h"

namespace codebot::collect::github {

// One entry of "resources" in the answer, under the key GitHub gave it ("core", "search", ...).
struct ResourceLimit {
  std::string resource;
  double limit = 0;
  double remaining = 0;
  double reset_unix = 0;       // when the window resets, unix seconds
  std::optional<double> used;  // absent from older GitHub Enterprise Server answers
  friend bool operator==(const ResourceLimit&, const ResourceLimit&) = default;
};

struct ParsedRateLimit {
  bool ok = false;
  std::string error;  // names the offending field, e.g. "resources.search.remaining is missing"
  std::vector<ResourceLimit> resources;  // sorted by resource name
};

// More resources than this is not an answer from GitHub: refuse it rather than grow the label
// set without bound.
inline constexpr size_t kMaxResources = 64;

// Maps a 200 answer. Every resource GitHub lists is taken (no fixed list); each needs numeric
// limit, remaining and reset. The deprecated top-level "rate" repeats "core" and is ignored.
ParsedRateLimit ParseRateLimit(std::string_view body);

// How an answer is to be handled; kOk and kRateLimitingDisabled are successes.
enum class Verdict {
  kOk,
  kRateLimitingDisabled,  // GitHub Enterprise Server with rate limiting off: 404 saying so
  kUnauthorized,          // 401: bad, expired or revoked token
  kRateLimited,           // 429, or 403 with a rate-limit signal: back off
  kForbidden,             // 403 without a rate-limit signal: a permission problem, no backoff
  kHttpStatus,            // any other non-2xx status
};

// For an answer that arrived (transport ok).
Verdict Classify(const http::ClientResponse& response);

// The bounded reason label of a failed verdict ("unauthorized", "rate_limited", ...).
std::string_view VerdictReason(Verdict verdict);

// True when a rate-limited answer is about the primary limit (x-ratelimit-remaining is 0);
// everything else rate-limited is a secondary limit, which /rate_limit itself never shows.
bool IsPrimaryLimit(const http::ClientResponse& response);

// How long to stay away after a rate-limited answer, following GitHub's guidance: Retry-After
// seconds when present; else, when x-ratelimit-remaining is 0, until x-ratelimit-reset; else one
// minute, doubled for each further rate-limited answer in a row (previous_in_a_row). Always
// between kMinBackoff and kMaxBackoff.
std::chrono::seconds BackoffDelay(const http::ClientResponse& response, int64_t now_unix,
                                  int previous_in_a_row);

inline constexpr std::chrono::seconds kMinBackoff{1};
inline constexpr std::chrono::seconds kDefaultBackoff{60};
inline constexpr std::chrono::seconds kMaxBackoff{3600};

// GitHub's "message" from an error body, shortened and on one line, for the log; empty when the
// body has none.
std::string ErrorMessage(std::string_view body);

}  // namespace codebot::collect::github
