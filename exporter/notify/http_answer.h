// How the HTTP integrations (Slack, PagerDuty, the webhook) read an API's answer, in one place:
// a request that got no answer, Retry-After, the body quoted in an error, and the tokens inside a
// secret URL. Each integration keeps its own rules for which statuses are final.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/http/client.h"
#include "exporter/notify/notifier.h"

namespace codebot::notify {

// A request that got no HTTP answer (timeout, refused connection, ...): a retry with its reason,
// the error redacted and the request counted. An answer too long to keep still has its status,
// which is the verdict: nullopt then, as for every answered request.
std::optional<Attempt> NoAnswer(const http::ClientResponse& response, std::string_view context);

// Retry-After (RFC 9110): delay-seconds, or an HTTP date (IMF-fixdate, "Sun, 06 Nov 1994
// 08:49:37 GMT") counted from now_ms, a date in the past meaning now. Nothing for a malformed
// value or a wait over a day (a clock or proxy bug): the delivery layer's backoff applies then.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, int64_t now_ms);

// An answer's body for an error text: trimmed, redacted, cut at max_bytes on a character
// boundary (with "…"); "(empty body)" when there is nothing.
std::string QuoteBody(std::string_view body, size_t max_bytes = 200);

// The parts of a secret URL that are secrets on their own: a path segment or query value that
// looks random (16+ characters mixing letters and digits: Slack's webhook token, a token in a
// webhook path), registered with the sanitiser so that an answer echoing just the token is
// redacted too (the whole URL is registered by Secret::Resolve already).
void RegisterUrlTokens(std::string_view url);

}  // namespace codebot::notify
