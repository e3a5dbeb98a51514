// A local fake of GitHub's GET /rate_limit for the collector's unit and end-to-end tests: it
// answers in GitHub's wire format (body, status, rate-limit headers, error messages), scripted
// per token, and records every request with the time it arrived and was answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exporter/core/time.h"
#include "tests/support/fake_http.h"

namespace codebot::testing::github {

struct FakeResource {
  std::string name;
  int limit = 5000;
  int used = 0;
  int64_t reset = 0;  // unix seconds
};

inline int64_t NowUnix() { return NowUnixMs() / 1000; }

// What github.com lists today for a personal access token, "core" first.
inline std::vector<FakeResource> DefaultResources(int core_used = 1) {
  const int64_t hour = NowUnix() + 3600;
  return {{"core", 5000, core_used, hour},
          {"search", 30, 12, NowUnix() + 60},
          {"graphql", 5000, 7, hour},
          {"integration_manifest", 5000, 0, hour},
          {"source_import", 100, 0, NowUnix() + 60},
          {"code_scanning_upload", 1000, 0, hour},
          {"actions_runner_registration", 10000, 0, hour},
          {"scim", 15000, 0, hour},
          {"dependency_snapshots", 100, 0, NowUnix() + 60},
          {"code_search", 10, 3, NowUnix() + 60}};
}

inline std::string ResourceJson(const FakeResource& r) {
  return "{\"limit\":" + std::to_string(r.limit) + ",\"used\":" + std::to_string(r.used) +
         ",\"remaining\":" + std::to_string(r.limit - r.used) +
         ",\"reset\":" + std::to_string(r.reset) + "}";
}

// The 200 body: "resources" plus the deprecated top-level "rate", a copy of "core".
inline std::string RateLimitBody(const std::vector<FakeResource>& resources) {
  std::string body = "{\"resources\":{";
  for (size_t i = 0; i < resources.size(); ++i) {
    if (i > 0) body += ',';
    body += "\"" + resources[i].name + "\":" + ResourceJson(resources[i]);
  }
  body += "},\"rate\":";
  body += resources.empty() ? "{}" : ResourceJson(resources.front());
  body += "}";
  return body;
}

// Headers GitHub puts on every REST answer (values about the primary "core" limit).
inline void AddRateHeaders(http::Response& response, const FakeResource& core,
                           const std::string& resource = "core") {
  response.headers.emplace_back("x-ratelimit-limit", std::to_string(core.limit));
  response.headers.emplace_back("x-ratelimit-remaining", std::to_string(core.limit - core.used));
  response.headers.emplace_back("x-ratelimit-reset", std::to_string(core.reset));
  response.headers.emplace_back("x-ratelimit-used", std::to_string(core.used));
  response.headers.emplace_back("x-ratelimit-resource", resource);
}

inline http::Response GitHubJson(int status, std::string body) {
  http::Response response = http::Response::Json(status, std::move(body));
  response.content_type = "application/json; charset=utf-8";
  response.headers.emplace_back("x-github-media-type", "github.v3; format=json");
  response.headers.emplace_back("x-github-request-id", "CA5E:1F0B:6D2B3A:7E1C4F:65A1B2C3");
  return response;
}

inline http::Response Ok(const std::vector<FakeResource>& resources = DefaultResources()) {
  http::Response response = GitHubJson(200, RateLimitBody(resources));
  if (!resources.empty()) AddRateHeaders(response, resources.front());
  return response;
}

inline http::Response BadCredentials() {
  return GitHubJson(401, R"({"message":"Bad credentials","documentation_url":)"
                         R"("https://docs.github.com/rest","status":"401"})");
}

// A secondary rate limit, as 403 or 429, with Retry-After when given. The primary limit is far
// from exhausted, as GitHub's headers say in that case.
inline http::Response SecondaryLimit(int status, std::optional<int> retry_after) {
  http::Response response = GitHubJson(
      status,
      R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes )"
      R"(before you try again. If you reach out to GitHub Support for help, please include )"
      R"(the request ID CA5E:1F0B:6D2B3A:7E1C4F:65A1B2C3.","documentation_url":)"
      R"("https://docs.github.com/rest/overview/rate-limits-for-the-rest-api)"
      R"(#about-secondary-rate-limits","status":")" +
          std::to_string(status) + "\"}");
  AddRateHeaders(response, {"core", 5000, 120, NowUnix() + 1800});
  if (retry_after) response.headers.emplace_back("retry-after", std::to_string(*retry_after));
  return response;
}

// A 403 for missing permissions: no rate-limit signal.
inline http::Response Forbidden() {
  return GitHubJson(403, R"({"message":"Resource protected by organization SAML enforcement. You )"
                         R"(must grant your Personal Access token access to this organization.",)"
                         R"("documentation_url":"https://docs.github.com/articles/)"
                         R"(authenticating-to-a-github-organization-with-saml-single-sign-on",)"
                         R"("status":"403"})");
}

// GitHub's 5xx are HTML pages.
inline http::Response ServerError() {
  http::Response response;
  response.status = 500;
  response.content_type = "text/html; charset=utf-8";
  response.body =
      "<!DOCTYPE html><html><head><title>Unicorn! &middot; GitHub</title></head>"
      "<body><p>We had issues producing the response to your request.</p></body>"
      "</html>";
  return response;
}

inline http::Response Malformed() {
  return GitHubJson(200, R"({"resources":{"core":{"limit":5000,"used":1,"remaining":49)");
}

inline http::Response MissingField() {
  return GitHubJson(
      200, R"({"resources":{"core":{"limit":5000,"used":1,"remaining":4999,"reset":1700000000},)"
           R"("search":{"limit":30,"used":0,"reset":1700000000}},"rate":{}})");
}

// GitHub Enterprise Server with rate limiting turned off.
inline http::Response RateLimitingDisabled() {
  return GitHubJson(404, R"({"message":"Rate limiting is not enabled.","documentation_url":)"
                         R"("https://docs.github.com/enterprise-server@3.11/rest"})");
}

class FakeGitHub {
 public:
  using Script = std::function<http::Response(const http::Request&)>;

  struct Hit {
    std::string token;  // "" when no Authorization header came
    http::Request request;
    SteadyClock::time_point received;
    SteadyClock::time_point answered;
  };

  // path_prefix: "" for api.github.com, "/api/v3" for GitHub Enterprise Server.
  explicit FakeGitHub(std::string path_prefix = "") : prefix_(std::move(path_prefix)) {
    http_.HandlePrefix("/", [this](const http::Request& request) { return Serve(request); });
  }

  // How to answer requests that carry this token ("" for unauthenticated ones). A token nobody
  // scripted gets 401 Bad credentials, as from GitHub.
  void Answer(const std::string& token, Script script) {
    std::lock_guard lock(mutex_);
    scripts_[token] = std::move(script);
  }
  void Answer(const std::string& token, http::Response response) {
    Answer(token, [response](const http::Request&) { return response; });
  }

  void Start() { http_.Start(); }
  void Stop() { http_.Stop(); }
  std::string ApiUrl() const { return http_.Url(prefix_); }
  FakeHttp& http() { return http_; }

  std::vector<Hit> Hits(const std::optional<std::string>& token = std::nullopt) const {
    std::lock_guard lock(mutex_);
    std::vector<Hit> out;
    for (const auto& hit : hits_) {
      if (!token || hit.token == *token) out.push_back(hit);
    }
    return out;
  }
  size_t HitCount(const std::string& token) const { return Hits(token).size(); }

 private:
  http::Response Serve(const http::Request& request) {
    Hit hit;
    hit.received = SteadyClock::now();
    hit.request = request;
    const std::string_view auth = request.Header("Authorization");
    if (auth.starts_with("Bearer ")) hit.token = std::string(auth.substr(7));
    Script script;
    {
      std::lock_guard lock(mutex_);
      auto it = scripts_.find(hit.token);
      if (it != scripts_.end()) script = it->second;
    }
    http::Response response;
    if (request.path != prefix_ + "/rate_limit") {
      response = GitHubJson(404, R"({"message":"Not Found","status":"404"})");
    } else if (script) {
      response = script(request);
    } else {
      response = BadCredentials();
    }
    hit.answered = SteadyClock::now();
    std::lock_guard lock(mutex_);
    hits_.push_back(std::move(hit));
    return response;
  }

  std::string prefix_;
  mutable std::mutex mutex_;
  std::map<std::string, Script> scripts_;
  std::vector<Hit> hits_;
  FakeHttp http_;  // last: stopped first, while the handler's state still exists
};

}  // namespace codebot::testing::github
