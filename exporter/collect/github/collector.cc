#include "exporter/collect/github/collector.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "exporter/collect/github/rate_limit.h"
#include "exporter/core/build_info.h"
#include "exporter/core/log.h"
#include "exporter/core/time.h"
#include "exporter/http/client.h"
#include "exporter/http/url.h"

namespace codebot::collect::github {
namespace {

// A real answer is about 2 KB; anything near this is not GitHub.
constexpr size_t kMaxBodyBytes = 1 << 20;

const std::vector<std::string>& Reasons() {
  static const std::vector<std::string> kReasons = {
      "unauthorized", "forbidden", "rate_limited", "http_status", "timeout",
      "connect",      "too_large", "parse",        "token_file",  "other"};
  return kReasons;
}

struct Account {
  config::GitHubAccount config;
  bool up = false;  // the last request got a usable answer
  std::vector<ResourceLimit> resources;
  double last_success_unix = 0;
  std::optional<SteadyClock::time_point> backoff_until;
  double backoff_until_unix = 0;
  int rate_limited_in_a_row = 0;
  bool said_disabled = false;
  std::string last_reason;  // empty after a success
  std::string last_error;
  std::map<std::string, double> errors;  // every reason, from 0
  double secondary_responses = 0;
};

class RateLimitCollector : public Collector {
 public:
  explicit RateLimitCollector(const config::GitHubSource& config)
      : url_(config.api_url + "/rate_limit"),
        instance_(http::HostPort(config.api_url)),
        user_agent_("codebot-exporter/" + std::string(BuildVersion())) {
    for (const auto& account_config : config.accounts) {
      Account& account = accounts_.emplace_back();
      account.config = account_config;
      for (const auto& reason : Reasons()) account.errors[reason] = 0;
    }
  }

  CollectResult Collect(Deadline deadline) override {
    const auto now = SteadyClock::now();
    std::vector<Account*> due;
    for (auto& account : accounts_) {
      if (account.backoff_until && now < *account.backoff_until) {
        log::Debug("github account backing off, not asked",
                   {{"source", "github"},
                    {"account", account.config.name},
                    {"until", static_cast<int64_t>(account.backoff_until_unix)}});
        continue;
      }
      account.backoff_until.reset();
      account.backoff_until_unix = 0;
      due.push_back(&account);
    }
    for (size_t i = 0; i < due.size(); ++i) {
      // A fair share of the time left, so one hung account can't starve the ones after it.
      const auto share = Remaining(deadline) / static_cast<int64_t>(due.size() - i);
      if (share.count() <= 0) {
        // A zero timeout would mean "no limit" to the client: don't send at all.
        Fail(*due[i], "timeout", "no time left before the collection deadline", nullptr);
        continue;
      }
      Query(*due[i], share);
    }

    CollectResult result;
    result.families = Families(NowUnixSeconds());
    const Account* first_failed = nullptr;
    for (const auto& account : accounts_) {
      if (account.up) return result;
      if (first_failed == nullptr) first_failed = &account;
    }
    // Every account failed; the per-account families stay so that github_api_up{name} 0 shows.
    result.ok = false;
    if (first_failed == nullptr) {  // the config loader always gives one; a hand-made one may not
      result.error_reason = "other";
      result.error_message = "no account configured";
      return result;
    }
    result.error_reason = first_failed->last_reason.empty() ? "other" : first_failed->last_reason;
    result.error_message = "no account got an answer; account \"" + first_failed->config.name +
                           "\": " + first_failed->last_error;
    return result;
  }

  std::vector<std::string> ErrorReasons() const override { return Reasons(); }

  std::string Instance() const override { return instance_; }

 private:
  void Query(Account& account, std::chrono::milliseconds timeout) {
    http::ClientRequest request;
    request.url = url_;
    request.timeout = timeout;
    request.max_body_bytes = kMaxBodyBytes;
    request.headers = {{"Accept", "application/vnd.github+json"},
                       {"X-GitHub-Api-Version", "2022-11-28"},
                       {"User-Agent", user_agent_}};
    if (account.config.token.IsSet()) {
      // Resolved on every request: a rotated token file is picked up at the next collection.
      std::string error;
      const auto token = account.config.token.Resolve(&error);
      if (!token) {
        Fail(account, "token_file", error, nullptr);
        return;
      }
      const std::string where =
          account.config.token.file.empty() ? "the inline value" : account.config.token.file;
      if (token->empty()) {
        // Asking anonymously instead would show the 60/hour limit under this account's name.
        Fail(account, "token_file", where + " is empty", nullptr);
        return;
      }
      if (std::any_of(token->begin(), token->end(),
                      [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
        // A line break would smuggle extra headers into the request.
        Fail(account, "token_file", where + " holds more than one word", nullptr);
        return;
      }
      request.headers.emplace_back("Authorization", "Bearer " + *token);
    }
    const http::ClientResponse response = client_.Do(request);
    if (!response.transport_ok()) {
      Fail(account, std::string(http::ClientErrorName(response.error)), response.error_message,
           &response);
      return;
    }
    const Verdict verdict = Classify(response);
    switch (verdict) {
      case Verdict::kOk: {
        ParsedRateLimit parsed = ParseRateLimit(response.body);
        if (!parsed.ok) {
          Fail(account, "parse", parsed.error, &response);
          return;
        }
        Succeed(account, std::move(parsed.resources));
        return;
      }
      case Verdict::kRateLimitingDisabled:
        if (!account.said_disabled) {
          log::Info("rate limiting is disabled on this GitHub server; no rate-limit series",
                    {{"source", "github"}, {"account", account.config.name}});
          account.said_disabled = true;
        }
        Succeed(account, {});
        return;
      case Verdict::kRateLimited:
        RateLimited(account, response);
        return;
      case Verdict::kUnauthorized:
      case Verdict::kForbidden:
      case Verdict::kHttpStatus:
        break;
    }
    std::string message = "HTTP " + std::to_string(response.status);
    if (std::string detail = ErrorMessage(response.body); !detail.empty()) {
      message += ": " + detail;
    }
    Fail(account, std::string(VerdictReason(verdict)), message, &response);
  }

  void RateLimited(Account& account, const http::ClientResponse& response) {
    const auto delay = BackoffDelay(response, NowUnixMs() / 1000, account.rate_limited_in_a_row);
    ++account.rate_limited_in_a_row;
    account.backoff_until = SteadyClock::now() + delay;
    account.backoff_until_unix = NowUnixSeconds() + static_cast<double>(delay.count());
    const bool primary = IsPrimaryLimit(response);
    if (!primary) account.secondary_responses += 1;
    std::string message = "HTTP " + std::to_string(response.status) +
                          (primary ? " primary" : " secondary") + " rate limit";
    if (std::string detail = ErrorMessage(response.body); !detail.empty()) {
      message += ": " + detail;
    }
    message += "; not asking again for " + std::to_string(delay.count()) + "s";
    Fail(account, "rate_limited", message, &response);
  }

  void Succeed(Account& account, std::vector<ResourceLimit> resources) {
    if (!account.last_reason.empty()) {
      log::Info(
          "github account recovered",
          {{"source", "github"}, {"account", account.config.name}, {"after", account.last_reason}});
    }
    account.up = true;
    account.resources = std::move(resources);
    account.last_success_unix = NowUnixSeconds();
    account.rate_limited_in_a_row = 0;
    account.last_reason.clear();
    account.last_error.clear();
  }

  // response is null when no answer arrived.
  static void Fail(Account& account, const std::string& reason, const std::string& message,
                   const http::ClientResponse* response) {
    account.up = false;
    account.errors[reason] += 1;
    // After a rate-limited answer the last values stay (see the header); after anything else
    // we looked and could not see, so they go, as a failed target's series do.
    if (reason != "rate_limited") account.resources.clear();
    // A warning when an account starts failing or fails differently; debug while it stays so.
    const bool changed = reason != account.last_reason;
    log::Write(
        changed ? log::Level::kWarn : log::Level::kDebug, "github account request failed",
        {{"source", "github"},
         {"account", account.config.name},
         {"reason", reason},
         {"status", response != nullptr ? response->status : 0},
         {"github_request_id", response != nullptr ? response->Header("x-github-request-id") : ""},
         {"err", message}});
    account.last_reason = reason;
    account.last_error = message;
  }

  std::vector<Family> Families(double now_unix) const {
    Family limit = Family::Make("github_api_rate_limit_limit", MetricType::kGauge,
                                "Requests allowed per window, by account and resource.");
    Family remaining = Family::Make("github_api_rate_limit_remaining", MetricType::kGauge,
                                    "Requests left in the current window.");
    Family used = Family::Make("github_api_rate_limit_used", MetricType::kGauge,
                               "Requests made in the current window.");
    Family reset = Family::Make("github_api_rate_limit_reset_timestamp_seconds", MetricType::kGauge,
                                "Unix time when the current window resets.");
    Family up = Family::Make("github_api_up", MetricType::kGauge,
                             "1 if the last request to /rate_limit for the account got a usable "
                             "answer, else 0.");
    Family last_success =
        Family::Make("github_api_last_success_timestamp_seconds", MetricType::kGauge,
                     "Unix time of the last usable answer for the account, 0 if none yet.");
    Family backoff = Family::Make(
        "github_api_backoff_until_timestamp_seconds", MetricType::kGauge,
        "Unix time until which the account is not asked after a rate-limited answer, 0 when "
        "not backing off.");
    Family errors =
        Family::Make("github_api_request_errors_total", MetricType::kCounter,
                     "Requests to /rate_limit that got no usable answer, by account and reason.");
    Family secondary = Family::Make(
        "github_api_secondary_rate_limit_responses_total", MetricType::kCounter,
        "403/429 answers for a secondary rate limit (which /rate_limit itself never shows).");

    for (const auto& account : accounts_) {
      const std::string& name = account.config.name;
      for (const auto& resource : account.resources) {
        // Kept values are true only until their window resets.
        if (!account.up && resource.reset_unix <= now_unix) continue;
        const Labels labels = {{"name", name}, {"resource", resource.resource}};
        limit.Add(labels, resource.limit);
        remaining.Add(labels, resource.remaining);
        if (resource.used) used.Add(labels, *resource.used);
        reset.Add(labels, resource.reset_unix);
      }
      up.Add({{"name", name}}, account.up ? 1 : 0);
      last_success.Add({{"name", name}}, account.last_success_unix);
      backoff.Add({{"name", name}}, account.backoff_until_unix);
      for (const auto& [reason, count] : account.errors) {
        errors.Add({{"name", name}, {"reason", reason}}, count);
      }
      secondary.Add({{"name", name}}, account.secondary_responses);
    }
    std::vector<Family> families;
    for (Family* family : {&limit, &remaining, &used, &reset}) {
      if (!family->samples.empty()) families.push_back(std::move(*family));
    }
    for (Family* family : {&up, &last_success, &backoff, &errors, &secondary}) {
      families.push_back(std::move(*family));
    }
    return families;
  }

  std::string url_;
  std::string instance_;
  std::string user_agent_;
  std::vector<Account> accounts_;
  http::Client client_;
};

}  // namespace

std::unique_ptr<Collector> NewRateLimitCollector(const config::GitHubSource& config) {
  return std::make_unique<RateLimitCollector>(config);
}

}  // namespace codebot::collect::github
