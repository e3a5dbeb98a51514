// Local fakes of Slack's incoming webhooks, PagerDuty's Events API v2 and a plain webhook
// receiver, for the notifiers' unit tests and the end-to-end tests. They are strict like the real
// services: they validate what the real ones validate and answer in their wire format, errors
// included (Slack's plain-string bodies, PagerDuty's {"status":"invalid event","errors":[...]}),
// take scripted faults (the next N answers 500, 429 with Retry-After, 400, ...), and record what
// they accepted so that tests assert on the result rather than on our own request.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/fake_http.h"

namespace codebot::testing {

// An answer given instead of the normal processing (the request is recorded, not accepted);
// status 0 lets the request through to the normal processing, so a script can say "accept one,
// then fail".
struct ScriptedAnswer {
  int status = 500;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
  std::string retry_after;  // the Retry-After header, "" for none
};

// The queue of scripted answers every fake shares.
class Faults {
 public:
  void Add(int count, const ScriptedAnswer& answer);
  std::optional<ScriptedAnswer> Next();

 private:
  std::mutex mutex_;
  std::deque<ScriptedAnswer> queue_;
};

// Slack's incoming webhook at POST {path}. Answers 200 "ok" to a valid message; 400
// invalid_payload (not JSON, not an object), 400 no_text (nothing to show), 400 invalid_blocks
// (over 50 blocks, a section text over 3000 characters, a header over 150, more than 25
// elements in an actions block, a button text over 75 or URL over 3000, an unknown block type,
// an empty text), 400 invalid_attachments (the same inside an attachment), 404 no_service (an
// unknown webhook path). Lengths count UTF-16 code units.
class FakeSlack {
 public:
  static constexpr std::string_view kDefaultPath =
      "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";

  // port 0: a free one (see FakeHttp).
  explicit FakeSlack(std::string path = std::string(kDefaultPath), int port = 0);
  void Start();
  void Stop() { http_.Stop(); }
  std::string WebhookUrl() const { return http_.Url(path_); }
  std::string UrlFor(const std::string& path) const { return http_.Url(path); }

  // The next `count` requests get this answer, e.g. FailNext(3, 500, "rollup_error").
  void FailNext(int count, int status, std::string body, std::string retry_after = "");
  // The next `count` requests are processed normally (before the faults queued after them).
  void AcceptNext(int count) { faults_.Add(count, {0, "", "", ""}); }

  std::vector<nlohmann::json> Accepted() const;  // messages answered "ok", in order
  std::vector<int> Statuses() const;             // every answer's status, in order
  std::vector<http::Request> Requests() const { return http_.Requests(); }
  size_t RequestCount() const { return http_.RequestCount(); }

  // Slack's verdict on a message: "" when valid, else the error word it answers with.
  static std::string Validate(const nlohmann::json& message);
  // Text that Slack would render wrongly: a '&' that starts no entity, a '<' that starts no
  // <link|text>, <!command>, <@user> or <#channel>, a lone '>'. Slack accepts such text (and
  // shows it mangled), so this is a check for tests rather than a rejection.
  static std::vector<std::string> MrkdwnProblems(std::string_view text);
  // MrkdwnProblems over every mrkdwn text of a message (top-level text, sections, context).
  static std::vector<std::string> MessageMrkdwnProblems(const nlohmann::json& message);
  static size_t Utf16Length(std::string_view text);

 private:
  http::Response Handle(const http::Request& request);

  const std::string path_;
  FakeHttp http_;
  Faults faults_;
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> accepted_;
  std::vector<int> statuses_;
};

// PagerDuty's Events API v2 at POST /v2/enqueue. Answers 202
// {"status":"success","message":"Event processed","dedup_key":...}; 400 {"status":"invalid
// event","message":"Event object is invalid","errors":[...]} when the routing_key is not 32
// characters, event_action is not trigger/acknowledge/resolve, dedup_key is over 255 or missing
// for acknowledge/resolve, and for a trigger when payload.summary (1..1024 characters),
// payload.source or payload.severity (critical/error/warning/info) is wrong, a link has no href,
// an image's src is not https, or the event is over 512 KB; 400 when the body is not JSON. Keeps
// incidents by dedup_key as PagerDuty does: a trigger opens one or adds to the open one, a resolve
// closes it, a trigger after the resolve opens a new one.
class FakePagerDuty {
 public:
  struct Incident {
    int number = 0;  // 1, 2, ... in the order they were opened
    std::string dedup_key;
    bool open = true;
    bool acknowledged = false;
    int triggers = 0;
    nlohmann::json first_trigger;
    nlohmann::json last_trigger;
  };

  explicit FakePagerDuty(int port = 0);
  void Start();
  void Stop() { http_.Stop(); }
  std::string Url() const { return http_.Url("/v2/enqueue"); }

  void FailNext(int count, int status, std::string body = "", std::string retry_after = "");
  // The next `count` requests are processed normally (before the faults queued after them).
  void AcceptNext(int count) { faults_.Add(count, {0, "", "", ""}); }

  std::vector<nlohmann::json> AcceptedEvents() const;  // answered 202, in order
  std::vector<int> Statuses() const;
  std::vector<Incident> Incidents() const;  // every incident ever opened, in order
  std::optional<Incident> OpenIncident(const std::string& dedup_key) const;
  std::vector<http::Request> Requests() const { return http_.Requests(); }
  size_t RequestCount() const { return http_.RequestCount(); }

  // PagerDuty's validation: the errors it would list (empty: valid).
  static std::vector<std::string> Validate(const nlohmann::json& event, size_t body_bytes);
  // The 429 body PagerDuty sends when throttling.
  static std::string ThrottleBody();

 private:
  http::Response Handle(const http::Request& request);

  FakeHttp http_;
  Faults faults_;
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> accepted_;
  std::vector<int> statuses_;
  std::vector<Incident> incidents_;
  int generated_keys_ = 0;
};

// A webhook receiver at POST {path}: 200 with an empty body to any JSON object (what
// Alertmanager's captures show), 400 to anything else. Records the raw bodies it accepted.
class FakeWebhook {
 public:
  explicit FakeWebhook(std::string path = "/hooks/alerts");
  void Start();
  void Stop() { http_.Stop(); }
  std::string Url() const { return http_.Url(path_); }

  void FailNext(int count, int status, std::string body = "", std::string retry_after = "");
  // The next `count` requests are processed normally (before the faults queued after them).
  void AcceptNext(int count) { faults_.Add(count, {0, "", "", ""}); }

  std::vector<std::string> Bodies() const;  // accepted raw bodies, in order
  std::vector<int> Statuses() const;
  std::vector<http::Request> Requests() const { return http_.Requests(); }
  size_t RequestCount() const { return http_.RequestCount(); }

 private:
  http::Response Handle(const http::Request& request);

  const std::string path_;
  FakeHttp http_;
  Faults faults_;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::vector<int> statuses_;
};

}  // namespace codebot::testing
