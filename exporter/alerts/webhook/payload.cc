#include "exporter/alerts/webhook/payload.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "exporter/core/json_string.h"

namespace codebot::alerts::webhook {
namespace {

using Json = nlohmann::json;

// Bytes of a body value quoted in an error: enough to recognise it, never a whole secret-bearing
// annotation.
constexpr size_t kMaxQuoted = 40;

// `"value"` for an error text, cut at a character boundary after kMaxQuoted bytes.
std::string Quote(std::string_view value) {
  bool cut = false;
  if (value.size() > kMaxQuoted) {
    size_t end = kMaxQuoted;
    // Back up over UTF-8 continuation bytes so that the cut never splits a character.
    while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
    value = value.substr(0, end);
    cut = true;
  }
  std::string out;
  json::AppendString(out, value);
  if (cut) out.insert(out.size() - 1, "...");
  return out;
}

// nlohmann's message without its "[json.exception...] parse error" prefix and without the
// "last read: '...'" part, which quotes raw body bytes (maybe a secret, maybe invalid UTF-8):
// "at line 1, column 57: syntax error while parsing value - invalid string: ill-formed UTF-8 byte".
std::string DescribeParseError(std::string_view what) {
  if (const size_t at = what.find(" at line "); at != std::string_view::npos) {
    what.remove_prefix(at + 1);
  }
  std::string out(what);
  if (const size_t last = out.find("; last read: '"); last != std::string::npos) {
    const size_t expected = out.rfind("; expected ");
    out = out.substr(0, last) +
          (expected != std::string::npos && expected > last ? out.substr(expected) : std::string());
  }
  return out;
}

// Builds the document from nlohmann's SAX events, so that a parse error comes back as a value
// (no exception at runtime), nesting is bounded before it is built, and a duplicate key, which
// Go's encoder never writes and which parsers disagree on, is refused.
class DomBuilder final : public nlohmann::json_sax<Json> {
 public:
  explicit DomBuilder(size_t max_depth) : max_depth_(max_depth) {}

  bool null() override { return Put(nullptr) != nullptr; }
  bool boolean(bool value) override { return Put(value) != nullptr; }
  bool number_integer(number_integer_t value) override { return Put(value) != nullptr; }
  bool number_unsigned(number_unsigned_t value) override { return Put(value) != nullptr; }
  bool number_float(number_float_t value, const string_t& /*text*/) override {
    return Put(value) != nullptr;
  }
  bool string(string_t& value) override { return Put(std::move(value)) != nullptr; }
  bool binary(binary_t& /*value*/) override {
    error_ = "binary values are not JSON";  // only the binary formats produce them
    return false;
  }
  bool start_object(std::size_t /*elements*/) override { return Open(Json::object()); }
  bool key(string_t& name) override {
    if (stack_.back()->contains(name)) {
      error_ = "duplicate key " + Quote(name);
      return false;
    }
    key_ = std::move(name);
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*elements*/) override { return Open(Json::array()); }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    error_ = "not valid JSON " + DescribeParseError(ex.what());
    return false;
  }

  Json& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  Json* Put(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(value));
      return &top.back();
    }
    return &(top[std::move(key_)] = std::move(value));
  }

  bool Open(Json container) {
    if (stack_.size() >= max_depth_) {
      error_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
      return false;
    }
    stack_.push_back(Put(std::move(container)));
    return true;
  }

  size_t max_depth_;
  Json root_;
  std::vector<Json*> stack_;  // the containers being filled, innermost last
  std::string key_;           // the key of the next object member
  std::string error_;
};

// Collects the first problem with its path; every check after it is skipped by the callers.
class Checker {
 public:
  bool Fail(const std::string& path, const std::string& what) {
    if (reason_.empty()) reason_ = path + ": " + what;
    return false;
  }
  std::string&& TakeReason() { return std::move(reason_); }

  static std::string Got(const Json& value) { return std::string("got ") + value.type_name(); }

  // A required string member.
  bool String(const Json& object, const char* key, const std::string& path, std::string* out) {
    const auto it = object.find(key);
    if (it == object.end()) return Fail(path, "missing");
    if (!it->is_string()) return Fail(path, "expected a string, " + Got(*it));
    *out = it->get<std::string>();
    return true;
  }

  // An optional string member: missing or null leaves *out empty.
  bool OptionalString(const Json& object, const char* key, const std::string& path,
                      std::string* out) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return true;
    if (!it->is_string()) return Fail(path, "expected a string, " + Got(*it));
    *out = it->get<std::string>();
    return true;
  }

  bool StatusOf(const Json& object, const std::string& path, Status* out) {
    std::string text;
    if (!String(object, "status", path, &text)) return false;
    if (text == "firing") {
      *out = Status::kFiring;
    } else if (text == "resolved") {
      *out = Status::kResolved;
    } else {
      return Fail(path, "expected \"firing\" or \"resolved\", got " + Quote(text));
    }
    return true;
  }

  // An object of strings (labels or annotations) as sorted Labels; names must be valid label
  // names, as Alertmanager validates both. Missing or null is an empty set unless required.
  bool LabelMap(const Json& object, const char* key, const std::string& path, bool required,
                Labels* out) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      return required ? Fail(path, "missing") : true;
    }
    if (!it->is_object()) return Fail(path, "expected an object of strings, " + Got(*it));
    out->reserve(it->size());
    for (const auto& [name, value] : it->items()) {
      if (!IsValidLabelName(name)) return Fail(path, "invalid label name " + Quote(name));
      if (!value.is_string()) {
        std::string where = path;
        where.append(".").append(name);
        return Fail(where, "expected a string, " + Got(value));
      }
      const auto& text = value.get_ref<const std::string&>();
      // An empty value is no label, as in Prometheus' data model.
      if (!text.empty()) out->push_back({name, text});
    }
    // nlohmann's object keeps keys in byte order already; the sort only guards that assumption.
    if (!std::is_sorted(out->begin(), out->end())) std::sort(out->begin(), out->end());
    return true;
  }

  // A timestamp: kNoTime for Go's zero time.
  bool Time(const Json& object, const char* key, const std::string& path, bool required,
            int64_t* out) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      *out = kNoTime;
      return required ? Fail(path, "missing") : true;
    }
    if (!it->is_string()) return Fail(path, "expected an RFC 3339 string, " + Got(*it));
    const auto& text = it->get_ref<const std::string&>();
    const std::optional<int64_t> parsed = ParseRfc3339(text);
    if (!parsed) return Fail(path, "not RFC 3339: " + Quote(text));
    *out = *parsed;
    return true;
  }

 private:
  std::string reason_;
};

bool IsFingerprint(std::string_view text) {
  return text.size() == 16 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool ParseAlert(const Json& item, const std::string& path, int64_t now_ms, Checker* check,
                ReceivedAlert* out) {
  if (!item.is_object()) return check->Fail(path, "expected an object, " + Checker::Got(item));
  Alert& alert = out->alert;
  if (!check->StatusOf(item, path + ".status", &out->status) ||
      !check->LabelMap(item, "labels", path + ".labels", true, &alert.labels) ||
      !check->LabelMap(item, "annotations", path + ".annotations", false, &alert.annotations) ||
      !check->Time(item, "startsAt", path + ".startsAt", true, &alert.starts_at_ms)) {
    return false;
  }
  // Our playbooks, routes and messages are keyed by it; Prometheus always sets it.
  if (alert.Name().empty()) return check->Fail(path + ".labels", "no alertname");
  if (alert.starts_at_ms == kNoTime) {
    return check->Fail(path + ".startsAt", "Go's zero time: an alert needs a start");
  }
  int64_t ends_at = kNoTime;
  if (!check->Time(item, "endsAt", path + ".endsAt", false, &ends_at) ||
      !check->OptionalString(item, "generatorURL", path + ".generatorURL", &alert.generator_url) ||
      !check->OptionalString(item, "fingerprint", path + ".fingerprint", &out->fingerprint)) {
    return false;
  }
  if (ends_at != kNoTime && ends_at < alert.starts_at_ms) {
    return check->Fail(path + ".endsAt", "before startsAt");
  }
  if (!out->fingerprint.empty() && !IsFingerprint(out->fingerprint)) {
    return check->Fail(path + ".fingerprint",
                       "expected 16 lower-case hex digits, got " + Quote(out->fingerprint));
  }
  // The status Alertmanager decided wins over the clocks: ends_at must say the same thing at
  // now_ms, whatever the skew between its host and ours.
  if (out->status == Status::kFiring) {
    alert.ends_at_ms = ends_at != kNoTime && ends_at > now_ms ? ends_at : kNoTime;
  } else {
    alert.ends_at_ms = ends_at == kNoTime || ends_at > now_ms ? now_ms : ends_at;
  }
  return true;
}

bool ParseDocument(const Json& doc, const ParseOptions& options, Checker* check,
                   ParseError::Kind* kind, Payload* out) {
  if (!doc.is_object()) return check->Fail("body", "expected a JSON object, " + Checker::Got(doc));
  // The version first: another version's payload would fail later checks confusingly.
  std::string version;
  if (!check->String(doc, "version", "version", &version)) return false;
  if (version != "4") return check->Fail("version", "expected \"4\", got " + Quote(version));
  if (!check->StatusOf(doc, "status", &out->status) ||
      !check->String(doc, "receiver", "receiver", &out->receiver) ||
      !check->String(doc, "groupKey", "groupKey", &out->group_key) ||
      !check->LabelMap(doc, "groupLabels", "groupLabels", false, &out->group_labels) ||
      !check->LabelMap(doc, "commonLabels", "commonLabels", false, &out->common_labels) ||
      !check->LabelMap(doc, "commonAnnotations", "commonAnnotations", false,
                       &out->common_annotations) ||
      !check->OptionalString(doc, "externalURL", "externalURL", &out->external_url)) {
    return false;
  }
  if (out->receiver.empty()) return check->Fail("receiver", "empty");
  if (out->group_key.empty()) return check->Fail("groupKey", "empty");
  if (const auto it = doc.find("truncatedAlerts"); it != doc.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return check->Fail("truncatedAlerts",
                         "expected a non-negative integer, " +
                             (it->is_number_integer() ? "got " + std::to_string(it->get<int64_t>())
                                                      : Checker::Got(*it)));
    }
    out->truncated_alerts = it->get<int64_t>();
  }
  const auto alerts = doc.find("alerts");
  if (alerts == doc.end()) return check->Fail("alerts", "missing");
  if (!alerts->is_array())
    return check->Fail("alerts", "expected an array, " + Checker::Got(*alerts));
  if (alerts->empty()) return check->Fail("alerts", "empty");
  if (alerts->size() > options.max_alerts) {
    *kind = ParseError::Kind::kTooLarge;
    return check->Fail("alerts", std::to_string(alerts->size()) +
                                     " alerts, more than the limit of " +
                                     std::to_string(options.max_alerts));
  }
  out->alerts.resize(alerts->size());
  const int64_t now_ms = options.now_ms != kNoTime ? options.now_ms : NowUnixMs();
  bool any_firing = false;
  for (size_t i = 0; i < alerts->size(); ++i) {
    if (!ParseAlert((*alerts)[i], "alerts[" + std::to_string(i) + "]", now_ms, check,
                    &out->alerts[i])) {
      return false;
    }
    any_firing = any_firing || out->alerts[i].status == Status::kFiring;
  }
  // Alertmanager derives the group's status from its alerts; a payload that disagrees with itself
  // can't be routed with confidence.
  if (any_firing != (out->status == Status::kFiring)) {
    return check->Fail("status", any_firing ? "\"resolved\" but an alert is firing"
                                            : "\"firing\" but every alert is resolved");
  }
  return true;
}

}  // namespace

std::optional<Payload> ParsePayload(std::string_view body, const ParseOptions& options,
                                    ParseError* error) {
  error->kind = ParseError::Kind::kInvalid;
  error->reason.clear();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    error->reason = "body: empty, expected Alertmanager's webhook JSON";
    return std::nullopt;
  }
  DomBuilder builder(options.max_depth);
  if (!Json::sax_parse(body.begin(), body.end(), &builder)) {
    error->reason = "body: " + builder.error();
    return std::nullopt;
  }
  Checker check;
  Payload payload;
  if (!ParseDocument(builder.root(), options, &check, &error->kind, &payload)) {
    error->reason = check.TakeReason();
    return std::nullopt;
  }
  return payload;
}

}  // namespace codebot::alerts::webhook
