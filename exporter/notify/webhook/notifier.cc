// One POST to the webhook and its verdict.

#include "exporter/core/build_info.h"
#include "exporter/core/time.h"
#include "exporter/http/client.h"
#include "exporter/notify/http_answer.h"
#include "exporter/notify/webhook/webhook.h"

namespace codebot::notify::webhook {
namespace {

// A receiver's answer is read only to be quoted in an error.
constexpr size_t kMaxAnswerBytes = 64 << 10;

Attempt Verdict(const http::ClientResponse& response) {
  if (std::optional<Attempt> failed = NoAnswer(response, "")) return *failed;
  Attempt attempt;
  const int status = response.status;
  if (status >= 200 && status < 300) {
    attempt.requests.emplace_back();
    return attempt;
  }
  if (status == 429) {
    attempt.outcome = Outcome::kRetry;
    attempt.reason = kReasonRateLimited;
    attempt.retry_after = ParseRetryAfter(response.Header("Retry-After"), NowUnixMs());
  } else if (status >= 500) {
    attempt.outcome = Outcome::kRetry;
    attempt.reason = kReasonServerError;
    // 503 may say when to come back too.
    attempt.retry_after = ParseRetryAfter(response.Header("Retry-After"), NowUnixMs());
  } else {
    // 4xx, and redirects (the URL is wrong: following them would resend a secret-bearing body
    // to a place nobody configured).
    attempt.outcome = Outcome::kFailed;
    attempt.reason = kReasonClientError;
  }
  attempt.error = "HTTP " + std::to_string(status) + ": " + QuoteBody(response.body);
  attempt.requests.push_back(attempt.reason);
  return attempt;
}

class WebhookNotifier : public Notifier {
 public:
  WebhookNotifier(const config::WebhookConfig& config, std::string external_url)
      : config_(config),
        external_url_(std::move(external_url)),
        user_agent_("codebot-exporter/" + std::string(BuildVersion())) {}

  Attempt Notify(const alerts::Notification& notification, EntryState& /*state*/,
                 SharedState& /*shared*/, Deadline deadline) override {
    Attempt attempt;
    std::string secret_error;
    // Resolved on every attempt: a rotated secret file is picked up without a restart.
    const std::optional<std::string> url = config_.url.Resolve(&secret_error);
    if (!url) {
      attempt.outcome = Outcome::kRetry;  // the file may appear (a secret mounted late)
      attempt.reason = kReasonOther;
      attempt.error = "webhook url_file: " + secret_error;
      return attempt;
    }
    RegisterUrlTokens(*url);
    if (url->empty()) {
      attempt.outcome = Outcome::kFailed;
      attempt.reason = kReasonClientError;
      attempt.error = "webhook url is empty";
      return attempt;
    }
    const auto timeout = Remaining(deadline);
    if (timeout.count() <= 0) {
      attempt.outcome = Outcome::kRetry;
      attempt.reason = kReasonTimeout;
      attempt.error = "no time left before the deadline";
      return attempt;
    }
    http::ClientRequest request;
    request.method = "POST";
    request.url = *url;
    request.headers = {{"Content-Type", "application/json"}, {"User-Agent", user_agent_}};
    request.body = RenderPayload(notification, config_, external_url_);
    request.timeout = timeout;
    request.max_body_bytes = kMaxAnswerBytes;
    return Verdict(client_.Do(request));
  }

 private:
  const config::WebhookConfig config_;
  const std::string external_url_;
  const std::string user_agent_;
  http::Client client_;
};

}  // namespace

std::unique_ptr<Notifier> NewNotifier(const config::WebhookConfig& config,
                                      std::string external_url) {
  return std::make_unique<WebhookNotifier>(config, std::move(external_url));
}

}  // namespace codebot::notify::webhook
