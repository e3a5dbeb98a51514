#include "tests/support/fake_telegram.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <thread>

#include <nlohmann/json.hpp>

#include "exporter/core/utf8.h"

namespace codebot::testing::telegram {
namespace {

using nlohmann::json;

// td::is_space: the parser treats NUL as a space too.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == '\v';
}
bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// tdlib's decode_html_entity: &lt; &gt; &amp; &quot; and numeric references, ';' optional.
char32_t DecodeEntity(std::string_view text, size_t pos, size_t* end) {
  auto at = [&](size_t k) { return k < text.size() ? text[k] : '\0'; };
  size_t i = pos + 1;
  uint32_t code = 0;
  if (at(i) == '#') {
    ++i;
    if (at(i) == 'x') {
      ++i;
      while (std::isxdigit(static_cast<unsigned char>(at(i))) != 0 && code < 0x1000000) {
        const char c = at(i++);
        const uint32_t digit = c <= '9'   ? static_cast<uint32_t>(c - '0')
                               : c <= 'F' ? static_cast<uint32_t>(c - 'A' + 10)
                                          : static_cast<uint32_t>(c - 'a' + 10);
        code = code * 16 + digit;
      }
    } else {
      while (at(i) >= '0' && at(i) <= '9' && code < 0x1000000) {
        code = code * 10 + static_cast<uint32_t>(at(i++) - '0');
      }
    }
    if (code == 0 || code >= 0x10ffff || i - pos >= 10) return 0;
  } else {
    const size_t begin = i;
    while ((at(i) >= 'a' && at(i) <= 'z') || (at(i) >= 'A' && at(i) <= 'Z')) ++i;
    const std::string_view name = text.substr(begin, i - begin);
    if (name == "lt") {
      code = '<';
    } else if (name == "gt") {
      code = '>';
    } else if (name == "amp") {
      code = '&';
    } else if (name == "quot") {
      code = '"';
    } else {
      return 0;
    }
  }
  *end = at(i) == ';' ? i + 1 : i;
  return code;
}

bool IsAllowedTag(std::string_view tag) {
  static const std::set<std::string_view> kTags = {
      "a", "b",   "strong",     "i",        "em",   "s",   "strike", "del",
      "u", "ins", "tg-spoiler", "tg-emoji", "span", "pre", "code",   "blockquote"};
  return kTags.contains(tag);
}

// Telegram keeps a text link only when its address is a link it can open; others vanish and
// leave their text.
std::optional<std::string> CheckedLink(std::string url) {
  const std::string lower = Lower(url);
  for (std::string_view scheme : {"http://", "https://", "tg://", "ton://"}) {
    if (lower.starts_with(scheme)) {
      return url.size() > scheme.size() ? std::optional(url) : std::nullopt;
    }
  }
  if (lower.find("://") != std::string::npos || url.find(' ') != std::string::npos) {
    return std::nullopt;
  }
  if (url.find('.') == std::string::npos) return std::nullopt;
  return "http://" + url;
}

std::string Offset(size_t byte) { return " at byte offset " + std::to_string(byte); }

json EntityJson(const Entity& entity) {
  json out = {{"offset", entity.offset}, {"length", entity.length}, {"type", entity.type}};
  if (!entity.url.empty()) out["url"] = entity.url;
  if (!entity.language.empty()) out["language"] = entity.language;
  if (!entity.custom_emoji_id.empty()) out["custom_emoji_id"] = entity.custom_emoji_id;
  return out;
}

http::Response ApiError(int status, const std::string& description,
                        std::optional<json> parameters = std::nullopt) {
  json body = {{"ok", false}, {"error_code", status}, {"description", description}};
  if (parameters) body["parameters"] = *parameters;
  return http::Response::Json(status, body.dump());
}

std::optional<int64_t> ToInt(const json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    int64_t out = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc() && end == text.data() + text.size()) return out;
  }
  return std::nullopt;
}

bool ToBool(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<int64_t>() != 0;
  if (value.is_string()) {
    const std::string text = Lower(value.get<std::string>());
    return text == "true" || text == "1";
  }
  return false;
}

// Nested objects may come as objects (JSON body) or JSON-serialised strings (form, query).
json ToObject(const json& value) {
  if (value.is_object()) return value;
  if (value.is_string()) {
    json parsed = json::parse(value.get<std::string>(), nullptr, false);
    if (parsed.is_object()) return parsed;
  }
  return json::object();
}

const char* const kParams[] = {"chat_id",
                               "text",
                               "parse_mode",
                               "message_thread_id",
                               "disable_notification",
                               "disable_web_page_preview",
                               "link_preview_options",
                               "reply_parameters",
                               "reply_to_message_id",
                               "allow_sending_without_reply"};

// The Bot API takes parameters as JSON, a form, or the query string.
std::optional<json> Params(const http::Request& request) {
  const std::string_view type = request.Header("Content-Type");
  if (type.find("application/json") != std::string_view::npos) {
    json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) return std::nullopt;
    return body;
  }
  http::Request form;
  form.query = type.find("application/x-www-form-urlencoded") != std::string_view::npos
                   ? request.body
                   : request.query;
  json params = json::object();
  for (const char* key : kParams) {
    std::string value = form.QueryParam(key);
    if (!value.empty()) params[key] = value;
  }
  return params;
}

}  // namespace

int64_t Utf16Length(std::string_view utf8) {
  int64_t units = 0;
  for (const char c : utf8) {
    const auto u = static_cast<unsigned char>(c);
    if ((u & 0xc0) != 0x80) units += u >= 0xf0 ? 2 : 1;
  }
  return units;
}

std::string EntityText(const ParsedText& parsed, const Entity& entity) {
  std::string out;
  int64_t units = 0;
  for (size_t i = 0; i < parsed.text.size();) {
    size_t width = 1;
    const char32_t rune = utf8::DecodeRune(parsed.text, i, &width);
    if (units >= entity.offset && units < entity.offset + entity.length) {
      out.append(parsed.text, i, width);
    }
    units += rune > 0xffff ? 2 : 1;
    i += width;
  }
  return out;
}

std::optional<ParsedText> ParseHtml(std::string_view html, std::string* error,
                                    const ParseOptions& options) {
  struct Open {
    std::string tag;
    std::string argument;
    int64_t offset = 0;
    size_t result_begin = 0;
    bool expandable = false;
  };
  auto fail = [&](std::string message) -> std::optional<ParsedText> {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  const size_t n = html.size();
  auto at = [&](size_t k) { return k < n ? html[k] : '\0'; };
  ParsedText out;
  int64_t utf16 = 0;
  std::vector<Open> nested;

  size_t i = 0;
  while (i < n) {
    const char c = html[i];
    if (c == '&') {
      size_t end = 0;
      const char32_t code = DecodeEntity(html, i, &end);
      if (code != 0) {
        utf16 += code > 0xffff ? 2 : 1;
        utf8::AppendRune(&out.text, code);
        i = end;
        continue;
      }
      if (options.strict_ampersand) return fail("Unescaped \"&\"" + Offset(i));
    }
    if (c != '<') {
      const auto u = static_cast<unsigned char>(c);
      if ((u & 0xc0) != 0x80) utf16 += u >= 0xf0 ? 2 : 1;
      out.text += c;
      ++i;
      continue;
    }

    const size_t begin_pos = i++;
    if (at(i) != '/') {
      while (!IsSpace(at(i)) && at(i) != '>') ++i;
      if (i >= n) return fail("Unclosed start tag" + Offset(begin_pos));
      std::string tag = Lower(html.substr(begin_pos + 1, i - begin_pos - 1));
      if (!IsAllowedTag(tag))
        return fail("Unsupported start tag \"" + tag + "\"" + Offset(begin_pos));

      std::string argument;
      bool expandable = false;
      while (at(i) != '>') {
        while (i < n && IsSpace(html[i])) ++i;
        if (at(i) == '>') break;
        if (i >= n) return fail("Unclosed start tag \"" + tag + "\"" + Offset(begin_pos));
        const size_t attribute_begin = i;
        while (i < n && !IsSpace(html[i]) && html[i] != '=' && html[i] != '>') ++i;
        const std::string attribute(html.substr(attribute_begin, i - attribute_begin));
        if (attribute.empty()) {
          return fail("Empty attribute name in the tag \"" + tag + "\"" + Offset(begin_pos));
        }
        while (i < n && IsSpace(html[i])) ++i;
        if (at(i) != '=') {
          if (i >= n) return fail("Unclosed start tag \"" + tag + "\"" + Offset(begin_pos));
          if (tag == "blockquote" && attribute == "expandable") {
            expandable = true;
            continue;
          }
          return fail("Expected equal sign in declaration of an attribute of the tag \"" + tag +
                      "\"" + Offset(begin_pos));
        }
        ++i;
        while (i < n && IsSpace(html[i])) ++i;
        if (i >= n) return fail("Unclosed start tag \"" + tag + "\"" + Offset(begin_pos));

        std::string value;
        if (html[i] != '\'' && html[i] != '"') {
          // A name token: letters, digits, periods, hyphens; not case-sensitive.
          const size_t token_begin = i;
          while (IsAlnum(at(i)) || at(i) == '.' || at(i) == '-') ++i;
          value = Lower(html.substr(token_begin, i - token_begin));
          if (!IsSpace(at(i)) && at(i) != '>') {
            return fail("Unexpected end of name token" + Offset(token_begin));
          }
        } else {
          const char quote = html[i++];
          while (i < n && html[i] != quote) {
            if (html[i] == '&') {
              size_t end = 0;
              const char32_t code = DecodeEntity(html, i, &end);
              if (code != 0) {
                utf8::AppendRune(&value, code);
                i = end;
                continue;
              }
            }
            value += html[i++];
          }
          if (at(i) == quote) ++i;
        }
        if (i >= n) return fail("Unclosed start tag" + Offset(begin_pos));

        if ((tag == "a" && attribute == "href") || (tag == "tg-emoji" && attribute == "emoji-id")) {
          argument = value;
        } else if (tag == "code" && attribute == "class" && value.starts_with("language-")) {
          argument = value.substr(9);
        } else if (tag == "span" && attribute == "class" && value.starts_with("tg-")) {
          argument = value.substr(3);
        }
      }
      if (tag == "span" && argument != "spoiler") {
        return fail("Tag \"span\" must have class \"tg-spoiler\"" + Offset(begin_pos));
      }
      ++i;  // '>'
      nested.push_back({std::move(tag), std::move(argument), utf16, out.text.size(), expandable});
      continue;
    }

    // An end tag.
    if (nested.empty()) return fail("Unexpected end tag" + Offset(begin_pos));
    ++i;  // '/'
    const size_t name_begin = i;
    while (!IsSpace(at(i)) && at(i) != '>') ++i;
    const std::string end_tag = Lower(html.substr(name_begin, i - name_begin));
    while (i < n && IsSpace(html[i])) ++i;
    if (at(i) != '>') return fail("Unclosed end tag" + Offset(begin_pos));
    ++i;
    Open& open = nested.back();
    if (!end_tag.empty() && end_tag != open.tag) {
      return fail("Unmatched end tag" + Offset(begin_pos) + ", expected \"</" + open.tag +
                  ">\", found \"</" + end_tag + ">\"");
    }
    if (utf16 > open.offset) {
      Entity entity;
      entity.offset = open.offset;
      entity.length = utf16 - open.offset;
      const std::string& tag = open.tag;
      if (tag == "i" || tag == "em") {
        entity.type = "italic";
      } else if (tag == "b" || tag == "strong") {
        entity.type = "bold";
      } else if (tag == "s" || tag == "strike" || tag == "del") {
        entity.type = "strikethrough";
      } else if (tag == "u" || tag == "ins") {
        entity.type = "underline";
      } else if (tag == "tg-spoiler" || tag == "span") {
        entity.type = "spoiler";
      } else if (tag == "tg-emoji") {
        int64_t id = 0;
        const auto [end, ec] =
            std::from_chars(open.argument.data(), open.argument.data() + open.argument.size(), id);
        if (ec != std::errc() || end != open.argument.data() + open.argument.size() || id == 0) {
          return fail("Invalid custom emoji identifier specified");
        }
        entity.type = "custom_emoji";
        entity.custom_emoji_id = open.argument;
      } else if (tag == "a") {
        std::string url =
            open.argument.empty() ? out.text.substr(open.result_begin) : open.argument;
        if (auto checked = CheckedLink(std::move(url))) {
          entity.type = "text_link";
          entity.url = *checked;
        }
      } else if (tag == "pre") {
        if (!out.entities.empty() && out.entities.back().type == "code" &&
            out.entities.back().offset == entity.offset &&
            out.entities.back().length == entity.length && !out.entities.back().language.empty()) {
          out.entities.back().type = "pre";
        } else {
          entity.type = "pre";
        }
      } else if (tag == "code") {
        if (!out.entities.empty() && out.entities.back().type == "pre" &&
            out.entities.back().offset == entity.offset &&
            out.entities.back().length == entity.length && !open.argument.empty()) {
          out.entities.back().language = open.argument;
        } else {
          entity.type = "code";
          entity.language = open.argument;  // kept only if a pre closes around it
        }
      } else if (tag == "blockquote") {
        entity.type = open.expandable ? "expandable_blockquote" : "blockquote";
      }
      if (!entity.type.empty()) out.entities.push_back(std::move(entity));
    }
    nested.pop_back();
  }
  if (!nested.empty()) {
    return fail("Can't find end tag corresponding to start tag " + nested.back().tag);
  }
  for (Entity& entity : out.entities) {
    if (entity.type == "code") entity.language.clear();
  }
  std::stable_sort(out.entities.begin(), out.entities.end(), [](const Entity& a, const Entity& b) {
    if (a.offset != b.offset) return a.offset < b.offset;
    return a.length > b.length;
  });
  return out;
}

ParsedText TrimText(ParsedText parsed) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t lead = 0;
  while (lead < parsed.text.size() && space(parsed.text[lead])) ++lead;
  size_t trail = 0;
  while (trail < parsed.text.size() - lead && space(parsed.text[parsed.text.size() - 1 - trail])) {
    ++trail;
  }
  const int64_t total = Utf16Length(parsed.text);
  const auto lead_units = static_cast<int64_t>(lead);  // ASCII: one unit a byte
  const int64_t end_units = total - static_cast<int64_t>(trail);
  parsed.text = parsed.text.substr(lead, parsed.text.size() - lead - trail);
  std::vector<Entity> kept;
  for (Entity entity : parsed.entities) {
    const int64_t begin = std::max(entity.offset, lead_units);
    const int64_t end = std::min(entity.offset + entity.length, end_units);
    if (end <= begin) continue;
    entity.offset = begin - lead_units;
    entity.length = end - begin;
    kept.push_back(std::move(entity));
  }
  parsed.entities = std::move(kept);
  return parsed;
}

FakeTelegram::FakeTelegram(std::string token, ParseOptions options, int port)
    : bot_username_("codebot_alerts_bot"),
      options_(options),
      http_(port),
      token_(std::move(token)) {
  http_.HandlePrefix("/bot", [this](const http::Request& request) { return Handle(request); },
                     {"GET", "POST"});
  http_.HandlePrefix("/", [](const http::Request&) { return ApiError(404, "Not Found"); },
                     {"GET", "POST"});
  http_.Start();
}

FakeTelegram::~FakeTelegram() { http_.Stop(); }

std::string FakeTelegram::ApiUrl() const { return http_.Url(); }

std::string FakeTelegram::token() const {
  std::lock_guard lock(mutex_);
  return token_;
}

void FakeTelegram::SetToken(std::string token) {
  std::lock_guard lock(mutex_);
  token_ = std::move(token);
}

FakeTelegram::Chat& FakeTelegram::AddChatLocked(int64_t chat_id) {
  Chat& chat = chats_[chat_id];
  if (chat_id > 0) {
    chat.type = "private";
  } else if (chat_id <= -1000000000000) {
    chat.type = "supergroup";
  } else {
    chat.type = "group";
  }
  return chat;
}

void FakeTelegram::AddChat(int64_t chat_id) {
  std::lock_guard lock(mutex_);
  AddChatLocked(chat_id);
}

void FakeTelegram::AddTopic(int64_t chat_id, int64_t thread_id) {
  std::lock_guard lock(mutex_);
  Chat& chat = chats_.contains(chat_id) ? chats_[chat_id] : AddChatLocked(chat_id);
  chat.forum = true;
  chat.topics.insert(thread_id);
}

void FakeTelegram::DeleteTopic(int64_t chat_id, int64_t thread_id) {
  std::lock_guard lock(mutex_);
  if (auto it = chats_.find(chat_id); it != chats_.end()) it->second.topics.erase(thread_id);
}

void FakeTelegram::UpgradeToSupergroup(int64_t group_id, int64_t supergroup_id) {
  std::lock_guard lock(mutex_);
  Chat& group = chats_.contains(group_id) ? chats_[group_id] : AddChatLocked(group_id);
  group.migrated_to = supergroup_id;
  AddChatLocked(supergroup_id);
}

void FakeTelegram::BlockBot(int64_t chat_id) {
  std::lock_guard lock(mutex_);
  Chat& chat = chats_.contains(chat_id) ? chats_[chat_id] : AddChatLocked(chat_id);
  chat.blocked = true;
}

void FakeTelegram::EnqueueFault(const Fault& fault, int times) {
  std::lock_guard lock(mutex_);
  for (int i = 0; i < times; ++i) faults_.push_back(fault);
}

Fault FakeTelegram::TooManyRequests(int retry_after_seconds) {
  const json body = {
      {"ok", false},
      {"error_code", 429},
      {"description", "Too Many Requests: retry after " + std::to_string(retry_after_seconds)},
      {"parameters", {{"retry_after", retry_after_seconds}}}};
  return Fault{429, body.dump()};
}

Fault FakeTelegram::InternalServerError() {
  return Fault{500, R"({"ok":false,"error_code":500,"description":"Internal Server Error"})"};
}

Fault FakeTelegram::BadGateway() {
  return Fault{502,
               "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
               "502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n"
               "</html>\r\n",
               "text/html"};
}

Fault FakeTelegram::Blocked() {
  return Fault{
      403,
      R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})"};
}

Fault FakeTelegram::ChatNotFound() {
  return Fault{400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})"};
}

Fault FakeTelegram::Migrated(int64_t migrate_to_chat_id) {
  const json body = {{"ok", false},
                     {"error_code", 400},
                     {"description", "Bad Request: group chat was upgraded to a supergroup chat"},
                     {"parameters", {{"migrate_to_chat_id", migrate_to_chat_id}}}};
  return Fault{400, body.dump()};
}

Fault FakeTelegram::Slow(std::chrono::milliseconds delay) {
  Fault fault;
  fault.delay = delay;
  return fault;
}

std::vector<Message> FakeTelegram::Messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<Message> FakeTelegram::Messages(int64_t chat_id) const {
  std::lock_guard lock(mutex_);
  std::vector<Message> out;
  for (const auto& message : messages_) {
    if (message.chat_id == chat_id) out.push_back(message);
  }
  return out;
}

std::vector<Call> FakeTelegram::Calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

size_t FakeTelegram::CallCount() const {
  std::lock_guard lock(mutex_);
  return calls_.size();
}

bool FakeTelegram::WaitForMessages(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return accepted_.wait_for(lock, timeout, [&] { return messages_.size() >= n; });
}

http::Response FakeTelegram::Handle(const http::Request& request) {
  // /bot<token>/<method>
  const std::string_view path = request.path;
  const size_t slash = path.find('/', 4);
  const std::string token(
      path.substr(4, slash == std::string_view::npos ? std::string_view::npos : slash - 4));
  const std::string method(slash == std::string_view::npos ? "" : path.substr(slash + 1));

  std::optional<Fault> fault;
  http::Response response;
  {
    std::lock_guard lock(mutex_);
    if (token != token_) {
      response = ApiError(401, "Unauthorized");
    } else if (Lower(method) != "sendmessage") {
      response = ApiError(404, "Not Found");
    } else if (!faults_.empty()) {
      fault = faults_.front();
      faults_.pop_front();
    }
  }
  if (fault && fault->delay.count() > 0) http_.SleepUnlessStopping(fault->delay);
  if (response.status == 200 && fault && fault->status != 0) {
    response.status = fault->status;
    response.content_type = fault->content_type;
    response.body = fault->body;
  } else if (response.status == 200) {
    response = SendMessage(request);
  }

  std::lock_guard lock(mutex_);
  Call call;
  call.method = method;
  call.status = response.status;
  call.body = request.body;
  call.at = SteadyClock::now();
  if (response.status != 200) {
    const json answer = json::parse(response.body, nullptr, false);
    if (answer.is_object() && answer.contains("description") && answer["description"].is_string()) {
      call.description = answer["description"].get<std::string>();
    }
  }
  calls_.push_back(std::move(call));
  return response;
}

http::Response FakeTelegram::SendMessage(const http::Request& request) {
  const std::optional<json> params = Params(request);
  if (!params) return ApiError(400, "Bad Request: can't parse JSON object");
  auto param = [&](const char* key) -> json {
    const auto it = params->find(key);
    return it == params->end() ? json() : *it;
  };

  std::lock_guard lock(mutex_);
  const json chat_param = param("chat_id");
  if (chat_param.is_null() || (chat_param.is_string() && chat_param.get<std::string>().empty())) {
    return ApiError(400, "Bad Request: chat_id is empty");
  }
  const std::optional<int64_t> chat_id = ToInt(chat_param);
  if (!chat_id || !chats_.contains(*chat_id)) return ApiError(400, "Bad Request: chat not found");
  Chat& chat = chats_[*chat_id];
  if (chat.migrated_to) {
    return ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                    json{{"migrate_to_chat_id", *chat.migrated_to}});
  }
  if (chat.blocked) {
    return ApiError(403, chat.type == "private" ? "Forbidden: bot was blocked by the user"
                                                : "Forbidden: bot was kicked from the group chat");
  }

  const json text_param = param("text");
  const std::string raw_text = text_param.is_string()
                                   ? text_param.get<std::string>()
                                   : (text_param.is_null() ? std::string() : text_param.dump());
  if (!utf8::Valid(raw_text)) return ApiError(400, "Bad Request: text must be encoded in UTF-8");
  const std::string parse_mode =
      param("parse_mode").is_string() ? param("parse_mode").get<std::string>() : "";
  ParsedText parsed;
  if (Lower(parse_mode) == "html") {
    std::string error;
    std::optional<ParsedText> html = ParseHtml(raw_text, &error, options_);
    if (!html) return ApiError(400, "Bad Request: can't parse entities: " + error);
    parsed = std::move(*html);
  } else if (parse_mode.empty()) {
    parsed.text = raw_text;
  } else {
    return ApiError(400, "Bad Request: unsupported parse_mode");  // Markdown: not faked here
  }
  parsed = TrimText(std::move(parsed));
  if (parsed.text.empty()) return ApiError(400, "Bad Request: message text is empty");
  if (Utf16Length(parsed.text) > 4096) return ApiError(400, "Bad Request: message is too long");

  const int64_t thread = ToInt(param("message_thread_id")).value_or(0);
  if (thread != 0 && (!chat.forum || !chat.topics.contains(thread))) {
    return ApiError(400, "Bad Request: message thread not found");
  }

  std::optional<int64_t> reply_to;
  bool allow_without_reply = false;
  const json reply_parameters = ToObject(param("reply_parameters"));
  if (!reply_parameters.empty()) {
    reply_to = reply_parameters.contains("message_id") ? ToInt(reply_parameters["message_id"])
                                                       : std::nullopt;
    if (reply_parameters.contains("allow_sending_without_reply")) {
      allow_without_reply = ToBool(reply_parameters["allow_sending_without_reply"]);
    }
    if (!reply_to) return ApiError(400, "Bad Request: message to be replied not found");
  } else if (!param("reply_to_message_id").is_null()) {
    reply_to = ToInt(param("reply_to_message_id"));
    allow_without_reply = ToBool(param("allow_sending_without_reply"));
  }
  if (reply_to && !chat.message_ids.contains(*reply_to)) {
    if (!allow_without_reply) return ApiError(400, "Bad Request: message to be replied not found");
    reply_to.reset();
  }

  Message message;
  message.chat_id = *chat_id;
  message.message_id = chat.next_message_id++;
  message.message_thread_id = thread;
  message.text = parsed.text;
  message.entities = parsed.entities;
  message.raw_text = raw_text;
  message.parse_mode = parse_mode;
  message.reply_to_message_id = reply_to;
  message.disable_notification = ToBool(param("disable_notification"));
  const json preview = ToObject(param("link_preview_options"));
  message.link_preview_disabled = preview.contains("is_disabled")
                                      ? ToBool(preview["is_disabled"])
                                      : ToBool(param("disable_web_page_preview"));
  message.date_ms = NowUnixMs();
  message.received = SteadyClock::now();
  message.request_body = request.body;
  chat.message_ids.insert(message.message_id);

  json result = {{"message_id", message.message_id},
                 {"from",
                  {{"id", ToInt(json(token_.substr(0, token_.find(':')))).value_or(0)},
                   {"is_bot", true},
                   {"first_name", "CodeBot alerts"},
                   {"username", bot_username_}}},
                 {"chat", {{"id", message.chat_id}, {"type", chat.type}}},
                 {"date", message.date_ms / 1000},
                 {"text", message.text}};
  if (chat.type != "private") result["chat"]["title"] = "CodeBot on-call";
  if (thread != 0) {
    result["message_thread_id"] = thread;
    result["is_topic_message"] = true;
  }
  if (reply_to) {
    result["reply_to_message"] = {
        {"message_id", *reply_to}, {"chat", result["chat"]}, {"date", message.date_ms / 1000}};
  }
  if (!message.entities.empty()) {
    json entities = json::array();
    for (const auto& entity : message.entities) entities.push_back(EntityJson(entity));
    result["entities"] = entities;
  }
  if (message.link_preview_disabled) result["link_preview_options"] = {{"is_disabled", true}};
  messages_.push_back(std::move(message));
  accepted_.notify_all();
  return http::Response::Json(200, json{{"ok", true}, {"result", result}}.dump());
}

}  // namespace codebot::testing::telegram
