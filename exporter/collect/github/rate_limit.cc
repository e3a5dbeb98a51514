#include "exporter/collect/github/rate_limit.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace codebot::collect::github {
namespace {

using Json = nlohmann::json;

// Longest resource key quoted in an error message: enough to recognise it, bounded for the log.
constexpr size_t kMaxKeyInMessage = 64;
constexpr size_t kMaxMessageBytes = 200;

std::string Shorten(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (char c : text) {
    if (out.size() >= max_bytes) break;
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (out.size() < text.size()) {
    // Don't leave half a UTF-8 sequence behind.
    size_t start = out.size();
    size_t continuation = 0;
    while (start > 0 && (static_cast<unsigned char>(out[start - 1]) & 0xC0) == 0x80) {
      --start;
      ++continuation;
    }
    if (start > 0 && (static_cast<unsigned char>(out[start - 1]) & 0x80) != 0) {
      const auto lead = static_cast<unsigned char>(out[start - 1]);
      const size_t expected = (lead & 0xE0) == 0xC0 ? 1 : (lead & 0xF0) == 0xE0 ? 2 : 3;
      if (continuation != expected) out.resize(start - 1);
    }
    out += "...";
  }
  return out;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A header holding a non-negative integer ("60", " 1700000000 "); nullopt for anything else,
// including the HTTP-date form of Retry-After, which GitHub does not send.
std::optional<int64_t> IntegerHeader(const http::ClientResponse& response, std::string_view name) {
  std::string_view value = response.Header(name);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || end != value.data() + value.size() || number < 0) return std::nullopt;
  return number;
}

std::string BodyMessage(std::string_view body) {
  const Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return {};
  auto it = doc.find("message");
  if (it == doc.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

bool SaysRateLimited(std::string_view body) {
  const std::string message = Lower(BodyMessage(body));
  // "secondary rate limit", "API rate limit exceeded", and the older "abuse detection mechanism".
  return message.find("rate limit") != std::string::npos ||
         message.find("abuse") != std::string::npos;
}

std::string FieldError(const std::string& key, std::string_view field, std::string_view what) {
  return "resources." + Shorten(key, kMaxKeyInMessage) + "." + std::string(field) + " " +
         std::string(what);
}

}  // namespace

ParsedRateLimit ParseRateLimit(std::string_view body) {
  ParsedRateLimit parsed;
  const Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    parsed.error = "answer is not valid JSON";
    return parsed;
  }
  if (!doc.is_object()) {
    parsed.error = "answer is not a JSON object";
    return parsed;
  }
  const auto resources = doc.find("resources");
  if (resources == doc.end()) {
    parsed.error = "resources is missing";
    return parsed;
  }
  if (!resources->is_object()) {
    parsed.error = "resources is not an object";
    return parsed;
  }
  if (resources->empty()) {
    parsed.error = "resources is empty";
    return parsed;
  }
  if (resources->size() > kMaxResources) {
    parsed.error = "resources has " + std::to_string(resources->size()) + " entries, more than " +
                   std::to_string(kMaxResources);
    return parsed;
  }
  for (const auto& [key, value] : resources->items()) {
    if (key.empty()) {
      parsed.error = "resources has an empty key";
      return parsed;
    }
    if (!value.is_object()) {
      parsed.error = "resources." + Shorten(key, kMaxKeyInMessage) + " is not an object";
      return parsed;
    }
    ResourceLimit entry;
    entry.resource = key;
    struct Field {
      std::string_view name;
      double* target;
    };
    for (const Field field : {Field{"limit", &entry.limit}, Field{"remaining", &entry.remaining},
                              Field{"reset", &entry.reset_unix}}) {
      const auto it = value.find(std::string(field.name));
      if (it == value.end()) {
        parsed.error = FieldError(key, field.name, "is missing");
        return parsed;
      }
      if (!it->is_number()) {
        parsed.error = FieldError(key, field.name, "is not a number");
        return parsed;
      }
      *field.target = it->get<double>();
    }
    if (const auto used = value.find("used"); used != value.end()) {
      if (!used->is_number()) {
        parsed.error = FieldError(key, "used", "is not a number");
        return parsed;
      }
      entry.used = used->get<double>();
    }
    parsed.resources.push_back(std::move(entry));
  }
  parsed.ok = true;
  return parsed;
}

Verdict Classify(const http::ClientResponse& response) {
  const int status = response.status;
  if (status >= 200 && status <= 299) return Verdict::kOk;
  if (status == 401) return Verdict::kUnauthorized;
  if (status == 429) return Verdict::kRateLimited;
  if (status == 403) {
    // GitHub also answers 403 for missing permissions, SAML enforcement or an IP allow list;
    // only its rate-limit signals make a 403 worth waiting out.
    const bool rate_limited = !response.Header("retry-after").empty() ||
                              IntegerHeader(response, "x-ratelimit-remaining") == 0 ||
                              SaysRateLimited(response.body);
    return rate_limited ? Verdict::kRateLimited : Verdict::kForbidden;
  }
  if (status == 404 &&
      Lower(BodyMessage(response.body)).find("rate limiting is not enabled") != std::string::npos) {
    return Verdict::kRateLimitingDisabled;
  }
  return Verdict::kHttpStatus;
}

std::string_view VerdictReason(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
    case Verdict::kRateLimitingDisabled:
      return "";
    case Verdict::kUnauthorized:
      return "unauthorized";
    case Verdict::kRateLimited:
      return "rate_limited";
    case Verdict::kForbidden:
      return "forbidden";
    case Verdict::kHttpStatus:
      break;
  }
  return "http_status";
}

bool IsPrimaryLimit(const http::ClientResponse& response) {
  return IntegerHeader(response, "x-ratelimit-remaining") == 0;
}

std::chrono::seconds BackoffDelay(const http::ClientResponse& response, int64_t now_unix,
                                  int previous_in_a_row) {
  std::chrono::seconds delay = kDefaultBackoff;
  if (auto retry_after = IntegerHeader(response, "retry-after")) {
    delay = std::chrono::seconds(std::min<int64_t>(*retry_after, kMaxBackoff.count()));
  } else if (auto reset = IntegerHeader(response, "x-ratelimit-reset");
             reset && IsPrimaryLimit(response)) {
    delay = std::chrono::seconds(std::clamp<int64_t>(*reset - now_unix, 0, kMaxBackoff.count()));
  } else {
    // No hint: GitHub asks for at least a minute, growing while the answers keep coming.
    const int doublings = std::clamp(previous_in_a_row, 0, 6);
    delay = kDefaultBackoff * (int64_t{1} << doublings);
  }
  return std::clamp(delay, kMinBackoff, kMaxBackoff);
}

std::string ErrorMessage(std::string_view body) {
  return Shorten(BodyMessage(body), kMaxMessageBytes);
}

}  // namespace codebot::collect::github
