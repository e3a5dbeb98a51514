#include "tests/support/fake_apis.h"

#include <cstdio>
#include <set>

#include "exporter/core/time.h"
#include "exporter/core/utf8.h"

namespace codebot::testing {
namespace {

using Json = nlohmann::json;

http::Response Answer(int status, std::string body, std::string content_type) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

http::Response Scripted(const ScriptedAnswer& scripted) {
  http::Response response = Answer(scripted.status, scripted.body, scripted.content_type);
  if (!scripted.retry_after.empty())
    response.headers.emplace_back("Retry-After", scripted.retry_after);
  return response;
}

bool IsJsonContentType(std::string_view content_type) {
  return content_type.starts_with("application/json");
}

bool IsNonEmptyString(const Json& object, const char* key) {
  return object.contains(key) && object[key].is_string() && !object[key].get<std::string>().empty();
}

// Slack's text objects: {type: plain_text|mrkdwn, text: 1..max}.
bool ValidText(const Json& text, size_t max, bool plain_only = false) {
  if (!text.is_object() || !IsNonEmptyString(text, "type") || !IsNonEmptyString(text, "text")) {
    return false;
  }
  const std::string type = text["type"];
  if (type != "plain_text" && (plain_only || type != "mrkdwn")) return false;
  return FakeSlack::Utf16Length(text["text"].get<std::string>()) <= max;
}

bool ValidBlock(const Json& block, std::set<std::string>& block_ids) {
  if (!block.is_object() || !IsNonEmptyString(block, "type")) return false;
  if (block.contains("block_id")) {
    if (!block["block_id"].is_string()) return false;
    const std::string id = block["block_id"];
    if (id.size() > 255 || !block_ids.insert(id).second) return false;
  }
  const std::string type = block["type"];
  if (type == "divider") return true;
  if (type == "header") return block.contains("text") && ValidText(block["text"], 150, true);
  if (type == "section") {
    const bool has_text = block.contains("text");
    const bool has_fields = block.contains("fields");
    if (!has_text && !has_fields) return false;
    if (has_text && !ValidText(block["text"], 3000)) return false;
    if (has_fields) {
      if (!block["fields"].is_array() || block["fields"].size() > 10) return false;
      for (const auto& field : block["fields"]) {
        if (!ValidText(field, 2000)) return false;
      }
    }
    return true;
  }
  if (type == "context") {
    if (!block.contains("elements") || !block["elements"].is_array() || block["elements"].empty() ||
        block["elements"].size() > 10) {
      return false;
    }
    for (const auto& element : block["elements"]) {
      if (element.is_object() && element.value("type", "") == "image") continue;
      if (!ValidText(element, 3000)) return false;
    }
    return true;
  }
  if (type == "actions") {
    if (!block.contains("elements") || !block["elements"].is_array() || block["elements"].empty() ||
        block["elements"].size() > 25) {
      return false;
    }
    std::set<std::string> action_ids;
    for (const auto& element : block["elements"]) {
      if (!element.is_object() || element.value("type", "") != "button") return false;
      if (!element.contains("text") || !ValidText(element["text"], 75, true)) return false;
      if (element.contains("url")) {
        if (!element["url"].is_string()) return false;
        const std::string url = element["url"];
        if (url.empty() || FakeSlack::Utf16Length(url) > 3000) return false;
      }
      if (element.contains("action_id")) {
        if (!element["action_id"].is_string()) return false;
        const std::string id = element["action_id"];
        if (id.size() > 255 || !action_ids.insert(id).second) return false;
      }
    }
    return true;
  }
  // image, rich_text, ...: not something the notifier sends; accept the types Slack knows.
  static const std::set<std::string> kOther = {"image", "rich_text", "file", "video", "input"};
  return kOther.contains(type);
}

bool ValidBlocks(const Json& blocks) {
  if (!blocks.is_array() || blocks.size() > 50) return false;
  std::set<std::string> block_ids;
  for (const auto& block : blocks) {
    if (!ValidBlock(block, block_ids)) return false;
  }
  return true;
}

void CollectMrkdwn(const Json& node, std::vector<std::string>& texts) {
  if (node.is_object()) {
    if (node.value("type", "") == "mrkdwn" && node.contains("text") && node["text"].is_string()) {
      texts.push_back(node["text"]);
    }
    for (const auto& [key, value] : node.items()) {
      if (key == "url") continue;  // a button URL is not mrkdwn
      CollectMrkdwn(value, texts);
    }
  } else if (node.is_array()) {
    for (const auto& value : node) CollectMrkdwn(value, texts);
  }
}

// PagerDuty accepts ISO 8601 timestamps; RFC 3339 is what we check for.
bool ValidTimestamp(const Json& value) {
  return value.is_string() && ParseRfc3339(value.get<std::string>()).has_value();
}

}  // namespace

void Faults::Add(int count, const ScriptedAnswer& answer) {
  std::lock_guard lock(mutex_);
  for (int i = 0; i < count; ++i) queue_.push_back(answer);
}

std::optional<ScriptedAnswer> Faults::Next() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return std::nullopt;
  ScriptedAnswer answer = queue_.front();
  queue_.pop_front();
  return answer;
}

// ---------------------------------------------------------------------------------------------
// Slack

FakeSlack::FakeSlack(std::string path, int port) : path_(std::move(path)), http_(port) {
  http_.HandlePrefix("/", [this](const http::Request& request) { return Handle(request); },
                     {"GET", "POST", "PUT"});
}

void FakeSlack::Start() { http_.Start(); }

void FakeSlack::FailNext(int count, int status, std::string body, std::string retry_after) {
  faults_.Add(count,
              {status, std::move(body), "text/plain; charset=utf-8", std::move(retry_after)});
}

std::vector<nlohmann::json> FakeSlack::Accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

std::vector<int> FakeSlack::Statuses() const {
  std::lock_guard lock(mutex_);
  return statuses_;
}

size_t FakeSlack::Utf16Length(std::string_view text) {
  size_t units = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t width = 0;
    units += utf8::DecodeRune(text, pos, &width) >= 0x10000 ? 2 : 1;
    pos += width;
  }
  return units;
}

std::string FakeSlack::Validate(const nlohmann::json& message) {
  if (!message.is_object()) return "invalid_payload";
  const bool has_text = IsNonEmptyString(message, "text");
  const bool has_blocks = message.contains("blocks");
  const bool has_attachments = message.contains("attachments");
  if (!has_text && !has_blocks && !has_attachments) return "no_text";
  if (message.contains("text") && !message["text"].is_string()) return "invalid_payload";
  if (has_blocks && !ValidBlocks(message["blocks"])) return "invalid_blocks";
  if (has_attachments) {
    const Json& attachments = message["attachments"];
    if (!attachments.is_array()) return "invalid_attachments";
    if (attachments.size() > 100) return "too_many_attachments";
    for (const auto& attachment : attachments) {
      if (!attachment.is_object()) return "invalid_attachments";
      if (attachment.contains("blocks") && !ValidBlocks(attachment["blocks"])) {
        return "invalid_attachments";
      }
    }
  }
  return "";
}

std::vector<std::string> FakeSlack::MrkdwnProblems(std::string_view text) {
  std::vector<std::string> problems;
  auto at = [&](size_t pos, const std::string& what) {
    const size_t from = pos >= 10 ? pos - 10 : 0;
    problems.push_back(what + " at byte " + std::to_string(pos) + ": \"" +
                       std::string(text.substr(from, 30)) + "\"");
  };
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '&') {
      const std::string_view rest = text.substr(pos);
      if (!rest.starts_with("&amp;") && !rest.starts_with("&lt;") && !rest.starts_with("&gt;")) {
        at(pos, "unescaped '&'");
      }
    } else if (c == '<') {
      const size_t close = text.find('>', pos);
      const size_t next_open = text.find('<', pos + 1);
      const std::string_view rest = text.substr(pos + 1);
      const bool known = rest.starts_with("http://") || rest.starts_with("https://") ||
                         rest.starts_with("mailto:") || rest.starts_with("!") ||
                         rest.starts_with("@") || rest.starts_with("#");
      if (close == std::string_view::npos ||
          (next_open != std::string_view::npos && next_open < close) || !known) {
        at(pos, "unescaped '<'");
        continue;
      }
      pos = close;  // the construct's own '>'
    } else if (c == '>') {
      at(pos, "unescaped '>'");
    }
  }
  return problems;
}

std::vector<std::string> FakeSlack::MessageMrkdwnProblems(const nlohmann::json& message) {
  std::vector<std::string> texts;
  if (message.contains("text") && message["text"].is_string()) texts.push_back(message["text"]);
  if (message.contains("blocks")) CollectMrkdwn(message["blocks"], texts);
  if (message.contains("attachments")) CollectMrkdwn(message["attachments"], texts);
  std::vector<std::string> problems;
  for (const auto& text : texts) {
    for (auto& problem : MrkdwnProblems(text)) problems.push_back(std::move(problem));
  }
  return problems;
}

http::Response FakeSlack::Handle(const http::Request& request) {
  auto answer = [&](int status, std::string body) {
    {
      std::lock_guard lock(mutex_);
      statuses_.push_back(status);
    }
    return Answer(status, std::move(body), "text/plain; charset=utf-8");
  };
  if (request.path != path_) return answer(404, "no_service");
  if (request.method != "POST") return answer(405, "invalid_method");
  if (auto scripted = faults_.Next(); scripted && scripted->status != 0) {
    {
      std::lock_guard lock(mutex_);
      statuses_.push_back(scripted->status);
    }
    return Scripted(*scripted);
  }
  if (!IsJsonContentType(request.Header("Content-Type"))) return answer(400, "invalid_payload");
  const Json message = Json::parse(request.body, nullptr, false);
  if (message.is_discarded()) return answer(400, "invalid_payload");
  if (const std::string error = Validate(message); !error.empty()) return answer(400, error);
  {
    std::lock_guard lock(mutex_);
    accepted_.push_back(message);
  }
  return answer(200, "ok");
}

// ---------------------------------------------------------------------------------------------
// PagerDuty

FakePagerDuty::FakePagerDuty(int port) : http_(port) {
  http_.HandlePrefix("/", [this](const http::Request& request) { return Handle(request); },
                     {"GET", "POST", "PUT"});
}

void FakePagerDuty::Start() { http_.Start(); }

void FakePagerDuty::FailNext(int count, int status, std::string body, std::string retry_after) {
  if (body.empty() && status == 429) body = ThrottleBody();
  if (body.empty() && status >= 500) body = R"({"status":"error","message":"Internal error"})";
  faults_.Add(count, {status, std::move(body), "application/json", std::move(retry_after)});
}

std::string FakePagerDuty::ThrottleBody() {
  return R"({"status":"throttle event","message":"Requests for this service are arriving too quickly.  Please retry later."})";
}

std::vector<nlohmann::json> FakePagerDuty::AcceptedEvents() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

std::vector<int> FakePagerDuty::Statuses() const {
  std::lock_guard lock(mutex_);
  return statuses_;
}

std::vector<FakePagerDuty::Incident> FakePagerDuty::Incidents() const {
  std::lock_guard lock(mutex_);
  return incidents_;
}

std::optional<FakePagerDuty::Incident> FakePagerDuty::OpenIncident(
    const std::string& dedup_key) const {
  std::lock_guard lock(mutex_);
  for (const auto& incident : incidents_) {
    if (incident.open && incident.dedup_key == dedup_key) return incident;
  }
  return std::nullopt;
}

std::vector<std::string> FakePagerDuty::Validate(const nlohmann::json& event, size_t body_bytes) {
  std::vector<std::string> errors;
  if (!event.is_object()) return {"Event object is not a JSON object"};
  if (body_bytes > size_t{512} * 1024) errors.emplace_back("Event object is larger than 512 KB");
  if (!IsNonEmptyString(event, "routing_key")) {
    errors.emplace_back("'routing_key' is missing or blank");
  } else if (event["routing_key"].get<std::string>().size() != 32) {
    errors.emplace_back("Length of 'routing_key' is incorrect (should be 32 characters)");
  }
  std::string action;
  if (!IsNonEmptyString(event, "event_action")) {
    errors.emplace_back("'event_action' is missing or blank");
  } else {
    action = event["event_action"];
    if (action != "trigger" && action != "acknowledge" && action != "resolve") {
      errors.emplace_back(
          "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
    }
  }
  if (event.contains("dedup_key")) {
    if (!event["dedup_key"].is_string()) {
      errors.emplace_back("'dedup_key' must be a string");
    } else if (utf8::RuneCount(event["dedup_key"].get<std::string>()) > 255) {
      errors.emplace_back("Length of 'dedup_key' is greater than 255 characters");
    }
  } else if (action == "acknowledge" || action == "resolve") {
    errors.emplace_back("'dedup_key' is missing or blank");
  }
  if (action != "trigger") return errors;

  if (!event.contains("payload") || !event["payload"].is_object()) {
    errors.emplace_back("'payload' is missing or blank");
    return errors;
  }
  const Json& payload = event["payload"];
  if (!IsNonEmptyString(payload, "summary")) {
    errors.emplace_back("'payload.summary' is missing or blank");
  } else if (utf8::RuneCount(payload["summary"].get<std::string>()) > 1024) {
    errors.emplace_back("Length of 'payload.summary' is greater than 1024 characters");
  }
  if (!IsNonEmptyString(payload, "source")) {
    errors.emplace_back("'payload.source' is missing or blank");
  }
  static const std::set<std::string> kSeverities = {"critical", "error", "warning", "info"};
  if (!IsNonEmptyString(payload, "severity")) {
    errors.emplace_back("'payload.severity' is missing or blank");
  } else if (!kSeverities.contains(payload["severity"].get<std::string>())) {
    errors.emplace_back(
        "'payload.severity' is invalid (must be one of: critical, error, warning, info)");
  }
  if (payload.contains("timestamp") && !ValidTimestamp(payload["timestamp"])) {
    errors.emplace_back("'payload.timestamp' is invalid (must be ISO 8601)");
  }
  for (const char* key : {"component", "group", "class"}) {
    if (payload.contains(key) && !payload[key].is_string()) {
      errors.emplace_back(std::string("'payload.") + key + "' must be a string");
    }
  }
  if (payload.contains("custom_details") && !payload["custom_details"].is_object() &&
      !payload["custom_details"].is_string()) {
    errors.emplace_back("'payload.custom_details' must be an object");
  }
  if (event.contains("links")) {
    if (!event["links"].is_array()) {
      errors.emplace_back("'links' must be an array");
    } else {
      for (const auto& link : event["links"]) {
        if (!link.is_object() || !IsNonEmptyString(link, "href")) {
          errors.emplace_back("'links[].href' is missing or blank");
          break;
        }
      }
    }
  }
  if (event.contains("images")) {
    if (!event["images"].is_array()) {
      errors.emplace_back("'images' must be an array");
    } else {
      for (const auto& image : event["images"]) {
        if (!image.is_object() || !IsNonEmptyString(image, "src") ||
            !image["src"].get<std::string>().starts_with("https://")) {
          errors.emplace_back("'images[].src' must be an https URL");
          break;
        }
      }
    }
  }
  return errors;
}

http::Response FakePagerDuty::Handle(const http::Request& request) {
  auto answer = [&](int status, const Json& body) {
    {
      std::lock_guard lock(mutex_);
      statuses_.push_back(status);
    }
    return Answer(status, body.dump(), "application/json");
  };
  if (request.path != "/v2/enqueue") {
    return answer(404, Json{{"status", "not found"}, {"message", "Not found"}});
  }
  if (request.method != "POST") {
    return answer(405, Json{{"status", "invalid request"}, {"message", "Method not allowed"}});
  }
  if (auto scripted = faults_.Next(); scripted && scripted->status != 0) {
    {
      std::lock_guard lock(mutex_);
      statuses_.push_back(scripted->status);
    }
    return Scripted(*scripted);
  }
  const Json event = Json::parse(request.body, nullptr, false);
  std::vector<std::string> errors;
  if (event.is_discarded()) {
    errors.emplace_back("Could not parse the request body as JSON");
  } else {
    errors = Validate(event, request.body.size());
  }
  if (!errors.empty()) {
    return answer(400, Json{{"status", "invalid event"},
                            {"message", "Event object is invalid"},
                            {"errors", errors}});
  }

  std::string dedup_key;
  {
    std::lock_guard lock(mutex_);
    if (event.contains("dedup_key")) {
      dedup_key = event["dedup_key"];
    } else {
      char generated[40];
      std::snprintf(generated, sizeof(generated), "%032x", ++generated_keys_);
      dedup_key = generated;
    }
    const std::string action = event["event_action"];
    Incident* open = nullptr;
    for (auto& incident : incidents_) {
      if (incident.open && incident.dedup_key == dedup_key) open = &incident;
    }
    if (action == "trigger") {
      if (open == nullptr) {
        Incident incident;
        incident.number = static_cast<int>(incidents_.size()) + 1;
        incident.dedup_key = dedup_key;
        incident.first_trigger = event;
        incidents_.push_back(std::move(incident));
        open = &incidents_.back();
      }
      open->triggers++;
      open->last_trigger = event;
    } else if (action == "acknowledge" && open != nullptr) {
      open->acknowledged = true;
    } else if (action == "resolve" && open != nullptr) {
      open->open = false;
    }
    // An acknowledge or resolve for no open incident is accepted and dropped, as PagerDuty does.
    accepted_.push_back(event);
  }
  return answer(
      202, Json{{"status", "success"}, {"message", "Event processed"}, {"dedup_key", dedup_key}});
}

// ---------------------------------------------------------------------------------------------
// Webhook

FakeWebhook::FakeWebhook(std::string path) : path_(std::move(path)) {
  http_.HandlePrefix("/", [this](const http::Request& request) { return Handle(request); },
                     {"GET", "POST", "PUT"});
}

void FakeWebhook::Start() { http_.Start(); }

void FakeWebhook::FailNext(int count, int status, std::string body, std::string retry_after) {
  faults_.Add(count,
              {status, std::move(body), "text/plain; charset=utf-8", std::move(retry_after)});
}

std::vector<std::string> FakeWebhook::Bodies() const {
  std::lock_guard lock(mutex_);
  return bodies_;
}

std::vector<int> FakeWebhook::Statuses() const {
  std::lock_guard lock(mutex_);
  return statuses_;
}

http::Response FakeWebhook::Handle(const http::Request& request) {
  auto answer = [&](int status, std::string body) {
    {
      std::lock_guard lock(mutex_);
      statuses_.push_back(status);
    }
    return Answer(status, std::move(body), "text/plain; charset=utf-8");
  };
  if (request.path != path_) return answer(404, "404 page not found");
  if (request.method != "POST") return answer(405, "method not allowed");
  if (auto scripted = faults_.Next(); scripted && scripted->status != 0) {
    {
      std::lock_guard lock(mutex_);
      statuses_.push_back(scripted->status);
    }
    return Scripted(*scripted);
  }
  const Json body = Json::parse(request.body, nullptr, false);
  if (!IsJsonContentType(request.Header("Content-Type")) || !body.is_object()) {
    return answer(400, "bad payload");
  }
  {
    std::lock_guard lock(mutex_);
    bodies_.push_back(request.body);
  }
  return answer(200, "");
}

}  // namespace codebot::testing
