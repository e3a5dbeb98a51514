// One POST to the incoming webhook and its verdict.
#include <string>

#include "exporter/core/build_info.h"
#include "exporter/http/client.h"
#include "exporter/notify/http_answer.h"
#include "exporter/notify/slack/slack.h"

namespace codebot::notify::slack {
namespace {

// Slack answers "ok" or an error word; anything near this is not Slack.
constexpr size_t kMaxAnswerBytes = 64 << 10;

Attempt Verdict(const http::ClientResponse& response) {
  if (std::optional<Attempt> failed = NoAnswer(response, "")) return *failed;
  Attempt attempt;
  const int status = response.status;
  const std::string said = "HTTP " + std::to_string(status) + ": " + QuoteBody(response.body);
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
  } else {
    // invalid_payload, invalid_blocks, action_prohibited, channel_not_found,
    // channel_is_archived, no_service, ...: sending the same message again gets the same answer.
    attempt.outcome = Outcome::kFailed;
    attempt.reason = kReasonClientError;
  }
  attempt.error = said;
  attempt.requests.push_back(attempt.reason);
  return attempt;
}

class SlackNotifier : public Notifier {
 public:
  explicit SlackNotifier(const config::SlackConfig& config)
      : config_(config), user_agent_("codebot-exporter/" + std::string(BuildVersion())) {}

  Attempt Notify(const alerts::Notification& notification, EntryState& /*state*/,
                 SharedState& /*shared*/, Deadline deadline) override {
    Attempt attempt;
    std::string secret_error;
    // Resolved on every attempt: a rotated secret file is picked up without a restart.
    const std::optional<std::string> url = config_.api_url.Resolve(&secret_error);
    if (!url) {
      // The file may appear (a secret mounted late): worth another try.
      attempt.outcome = Outcome::kRetry;
      attempt.reason = kReasonOther;
      attempt.error = "slack api_url_file: " + secret_error;
      return attempt;
    }
    RegisterUrlTokens(*url);
    if (url->empty()) {
      attempt.outcome = Outcome::kFailed;
      attempt.reason = kReasonClientError;
      attempt.error = "slack api_url is empty";
      return attempt;
    }
    const auto timeout = Remaining(deadline);
    if (timeout.count() <= 0) {
      // A zero timeout would mean "no limit" to the client: don't send at all.
      attempt.outcome = Outcome::kRetry;
      attempt.reason = kReasonTimeout;
      attempt.error = "no time left before the deadline";
      return attempt;
    }
    http::ClientRequest request;
    request.method = "POST";
    request.url = *url;
    request.headers = {{"Content-Type", "application/json"}, {"User-Agent", user_agent_}};
    request.body = RenderPayload(notification, config_);
    request.timeout = timeout;
    request.max_body_bytes = kMaxAnswerBytes;
    return Verdict(client_.Do(request));
  }

 private:
  const config::SlackConfig config_;
  const std::string user_agent_;
  http::Client client_;
};

}  // namespace

std::unique_ptr<Notifier> NewNotifier(const config::SlackConfig& config) {
  return std::make_unique<SlackNotifier>(config);
}

}  // namespace codebot::notify::slack
