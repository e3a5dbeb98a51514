// Sends the events of a notification one by one, remembering in the entry's state which ones
// PagerDuty accepted (or refused for good), so that a retry never sends an accepted event again.
#include <nlohmann/json.hpp>

#include "exporter/core/build_info.h"
#include "exporter/core/sanitize.h"
#include "exporter/http/client.h"
#include "exporter/notify/http_answer.h"
#include "exporter/notify/pagerduty/pagerduty.h"

namespace codebot::notify::pagerduty {
namespace {

// PagerDuty answers with a few hundred bytes of JSON.
constexpr size_t kMaxAnswerBytes = 64 << 10;
constexpr size_t kMaxErrorText = 500;
// State values per event key.
constexpr std::string_view kAccepted = "accepted";
constexpr std::string_view kRefusedPrefix = "refused: ";

std::string StateKey(const Event& event) {
  return "pagerduty/" + event.action + "/" + event.dedup_key;
}

std::string Shorten(std::string text) {
  if (text.size() > kMaxErrorText) {
    size_t cut = kMaxErrorText;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "\u2026";
  }
  return text;
}

// What PagerDuty said, for the error text: its message and every error, quoted
// ({"status":"invalid event","message":"Event object is invalid","errors":["..."]}).
std::string Explain(int status, const std::string& body) {
  std::string text = "HTTP " + std::to_string(status);
  const nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  if (answer.is_object()) {
    for (const char* key : {"status", "message"}) {
      if (answer.contains(key) && answer[key].is_string()) {
        text += ": " + answer[key].get<std::string>();
      }
    }
    if (answer.contains("errors") && answer["errors"].is_array()) {
      std::string errors;
      for (const auto& error : answer["errors"]) {
        if (!errors.empty()) errors += ", ";
        errors += error.is_string()
                      ? error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                      : "\"" + error.dump() + "\"";
      }
      if (!errors.empty()) text += ": errors [" + errors + "]";
    }
  } else {
    std::string_view trimmed = body;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) {
      trimmed.remove_suffix(1);
    }
    if (!trimmed.empty()) text += ": " + std::string(trimmed);
  }
  return Shorten(sanitize::Redact(text));
}

class PagerDutyNotifier : public Notifier {
 public:
  PagerDutyNotifier(const config::PagerDutyConfig& config, Origin origin)
      : config_(config),
        origin_(std::move(origin)),
        user_agent_("codebot-exporter/" + std::string(BuildVersion())) {}

  Attempt Notify(const alerts::Notification& notification, EntryState& state,
                 SharedState& /*shared*/, Deadline deadline) override {
    Attempt attempt;
    std::string secret_error;
    // Resolved on every attempt: a rotated secret file is picked up without a restart.
    const std::optional<std::string> routing_key = config_.routing_key.Resolve(&secret_error);
    if (!routing_key) {
      attempt.outcome = Outcome::kRetry;  // the file may appear (a secret mounted late)
      attempt.reason = kReasonOther;
      attempt.error = "pagerduty routing_key_file: " + secret_error;
      return attempt;
    }
    if (routing_key->empty()) {
      attempt.outcome = Outcome::kFailed;
      attempt.reason = kReasonClientError;
      attempt.error = "pagerduty routing_key is empty";
      return attempt;
    }

    const std::vector<Event> events = BuildEvents(notification, config_, origin_, *routing_key);
    std::vector<std::string> refused;
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& event = events[i];
      const std::string key = StateKey(event);
      const std::string where = "event " + std::to_string(i + 1) + " of " +
                                std::to_string(events.size()) + " (" + event.action + " " +
                                event.dedup_key + ")";
      if (const auto it = state.find(key); it != state.end()) {
        if (it->second.starts_with(kRefusedPrefix)) {
          refused.push_back(it->second.substr(kRefusedPrefix.size()));
        }
        continue;  // done in an earlier attempt
      }
      const auto timeout = Remaining(deadline);
      if (timeout.count() <= 0) {
        return Retry(attempt, kReasonTimeout, where + ": no time left before the deadline",
                     std::nullopt);
      }
      http::ClientRequest request;
      request.method = "POST";
      request.url = config_.url;
      request.headers = {{"Content-Type", "application/json"}, {"User-Agent", user_agent_}};
      request.body = event.body;
      request.timeout = timeout;
      request.max_body_bytes = kMaxAnswerBytes;
      const http::ClientResponse response = client_.Do(request);

      if (std::optional<Attempt> failed = NoAnswer(response, where)) {
        attempt.requests.push_back(failed->reason);
        return Retry(attempt, failed->reason, failed->error, std::nullopt);
      }
      const int status = response.status;
      if (status >= 200 && status < 300) {
        attempt.requests.emplace_back();
        state[key] = std::string(kAccepted);
        continue;
      }
      const std::string said = where + ": " + Explain(status, response.body);
      if (status == 429) {
        attempt.requests.emplace_back(kReasonRateLimited);
        return Retry(attempt, kReasonRateLimited, said,
                     ParseRetryAfter(response.Header("Retry-After"), NowUnixMs()));
      }
      if (status >= 500) {
        attempt.requests.emplace_back(kReasonServerError);
        return Retry(attempt, kReasonServerError, said,
                     ParseRetryAfter(response.Header("Retry-After"), NowUnixMs()));
      }
      attempt.requests.emplace_back(kReasonClientError);
      if (status == 400) {
        // This event is wrong and stays wrong; the others are independent incidents and still
        // worth sending. Remembered, so a retry for the others does not send it again.
        state[key] = std::string(kRefusedPrefix) + said;
        refused.push_back(said);
        continue;
      }
      // 401/403/404/413...: the endpoint refuses us, and would refuse every other event too.
      attempt.outcome = Outcome::kFailed;
      attempt.reason = kReasonClientError;
      attempt.error = said;
      return attempt;
    }
    if (!refused.empty()) {
      attempt.outcome = Outcome::kFailed;
      attempt.reason = kReasonClientError;
      std::string error;
      for (const auto& line : refused) error += (error.empty() ? "" : "; ") + line;
      attempt.error = Shorten(error);
    }
    return attempt;
  }

 private:
  static Attempt& Retry(Attempt& attempt, std::string_view reason, std::string error,
                        std::optional<std::chrono::milliseconds> retry_after) {
    attempt.outcome = Outcome::kRetry;
    attempt.reason = std::string(reason);
    attempt.error = std::move(error);
    attempt.retry_after = retry_after;
    return attempt;
  }

  const config::PagerDutyConfig config_;
  const Origin origin_;
  const std::string user_agent_;
  http::Client client_;
};

}  // namespace

std::unique_ptr<Notifier> NewNotifier(const config::PagerDutyConfig& config,
                                      std::string external_url, std::string host_name) {
  return std::make_unique<PagerDutyNotifier>(config,
                                             Origin{std::move(external_url), std::move(host_name)});
}

}  // namespace codebot::notify::pagerduty
