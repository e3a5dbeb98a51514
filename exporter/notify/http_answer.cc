#include "exporter/notify/http_answer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

#include "exporter/core/sanitize.h"

namespace codebot::notify {
namespace {

constexpr int64_t kMaxRetryAfterMs = int64_t{24} * 3600 * 1000;

std::string_view Trim(std::string_view value) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!value.empty() && space(value.front())) value.remove_prefix(1);
  while (!value.empty() && space(value.back())) value.remove_suffix(1);
  return value;
}

}  // namespace

std::optional<Attempt> NoAnswer(const http::ClientResponse& response, std::string_view context) {
  if (response.transport_ok() ||
      (response.error == http::ClientError::kTooLarge && response.status >= 100)) {
    return std::nullopt;
  }
  Attempt attempt;
  attempt.outcome = Outcome::kRetry;
  attempt.reason = response.error == http::ClientError::kTimeout   ? kReasonTimeout
                   : response.error == http::ClientError::kConnect ? kReasonConnect
                                                                   : kReasonOther;
  attempt.error = sanitize::Redact(response.error_message);
  if (!context.empty()) attempt.error = std::string(context) + ": " + attempt.error;
  attempt.requests.push_back(attempt.reason);
  return attempt;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, int64_t now_ms) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0 || seconds > kMaxRetryAfterMs / 1000) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  std::tm tm{};
  const std::string text(value);
  const char* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (parsed == nullptr || *parsed != '\0') return std::nullopt;
  const int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  const int64_t wait_ms = std::max<int64_t>(0, at_ms - now_ms);
  if (wait_ms > kMaxRetryAfterMs) return std::nullopt;
  return std::chrono::milliseconds(wait_ms);
}

std::string QuoteBody(std::string_view body, size_t max_bytes) {
  body = Trim(body);
  if (body.empty()) return "(empty body)";
  if (body.size() <= max_bytes) return sanitize::Redact(body);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  return sanitize::Redact(body.substr(0, cut)) + "\u2026";
}

void RegisterUrlTokens(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return;
  const size_t path = url.find('/', scheme + 3);
  if (path == std::string_view::npos) return;
  size_t start = path + 1;
  for (size_t i = start; i <= url.size(); ++i) {
    if (i < url.size() && url[i] != '/' && url[i] != '?' && url[i] != '&' && url[i] != '=' &&
        url[i] != '#') {
      continue;
    }
    const std::string_view part = url.substr(start, i - start);
    const bool letters = std::any_of(part.begin(), part.end(), [](char c) {
      return std::isalpha(static_cast<unsigned char>(c));
    });
    const bool digits = std::any_of(part.begin(), part.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    if (part.size() >= 16 && letters && digits) sanitize::RegisterSecret(part);
    start = i + 1;
  }
}

}  // namespace codebot::notify
