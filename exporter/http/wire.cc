#include "exporter/http/wire.h"

#include <cctype>

#include "exporter/core/url_escape.h"

namespace codebot::http::detail {
namespace {

bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// True when the comma-separated list (Connection, Transfer-Encoding) holds token.
bool ListHas(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (EqualsNoCase(Trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

HeadResult Bad(std::string error) {
  HeadResult result;
  result.status = Parse::kBad;
  result.error = std::move(error);
  return result;
}

// Splits the request target into path and query; absolute-form targets lose scheme and host.
// A fragment (never sent by browsers, but allowed here) is dropped.
bool SplitTarget(std::string_view target, RequestHead& head) {
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const size_t slash = target.find('/', target.find("://") + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  target = target.substr(0, target.find('#'));
  if (target != "*" && !target.starts_with('/')) return false;
  const size_t question = target.find('?');
  std::string_view query;
  if (question != std::string_view::npos) query = target.substr(question + 1);
  auto path = PercentDecode(target.substr(0, question), false);
  if (!path) return false;
  head.path.swap(*path);
  head.query.assign(query.data(), query.size());
  return true;
}

}  // namespace

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

HeadResult ParseHead(std::string_view data, size_t max_bytes) {
  size_t start = 0;
  while (start + 1 < data.size() && data[start] == '\r' && data[start + 1] == '\n') start += 2;
  const size_t end = data.find("\r\n\r\n", start);
  if (end == std::string_view::npos || end + 4 > max_bytes) {
    HeadResult result;
    const bool too_large = end != std::string_view::npos || data.size() >= max_bytes;
    result.status = too_large ? Parse::kTooLarge : Parse::kIncomplete;
    return result;
  }
  std::string_view rest = data.substr(start, end + 2 - start);  // every line with its CRLF
  auto next_line = [&rest]() {
    const size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    return line;
  };

  HeadResult result;
  RequestHead& head = result.head;
  const std::string_view request_line = next_line();
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Bad("malformed request line");
  }
  const std::string_view method = request_line.substr(0, sp1);
  const std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = request_line.substr(sp2 + 1);
  if (!IsToken(method)) return Bad("malformed method");
  if (version == "HTTP/1.1") {
    head.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    head.minor_version = 0;
  } else {
    return Bad("unsupported protocol version");
  }
  head.method = std::string(method);
  if (target.empty() || !SplitTarget(target, head)) return Bad("malformed request target");

  bool has_length = false;
  while (!rest.empty()) {
    const std::string_view line = next_line();
    if (line.front() == ' ' || line.front() == '\t') return Bad("folded header line");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      return Bad("malformed header line");
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return Bad("control character in a header");
    }
    if (EqualsNoCase(name, "Content-Length")) {
      if (value.empty() || value.size() > 18) return Bad("malformed Content-Length");
      uint64_t length = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return Bad("malformed Content-Length");
        length = length * 10 + static_cast<uint64_t>(c - '0');
      }
      if (has_length && length != head.content_length) return Bad("conflicting Content-Length");
      has_length = true;
      head.content_length = length;
    } else if (EqualsNoCase(name, "Transfer-Encoding")) {
      // Only chunked is understood; anything else could not be framed safely.
      if (!EqualsNoCase(value, "chunked") || head.chunked) {
        return Bad("unsupported Transfer-Encoding");
      }
      head.chunked = true;
    } else if (EqualsNoCase(name, "Connection")) {
      if (ListHas(value, "close")) head.keep_alive = false;
    } else if (EqualsNoCase(name, "Expect")) {
      if (EqualsNoCase(value, "100-continue")) head.expect_continue = true;
    }
    head.headers.emplace_back(std::string(name), std::string(value));
  }
  // Both framings at once is how requests are smuggled past proxies: refuse, as RFC 9112 allows.
  if (head.chunked && has_length) return Bad("both Content-Length and Transfer-Encoding");
  // HTTP/1.0 keep-alive would need the header echoed; one request per connection is enough.
  if (head.minor_version == 0) head.keep_alive = false;
  result.status = Parse::kDone;
  result.length = end + 4;
  return result;
}

Parse DecodeChunked(std::string_view data, size_t max_body, ChunkedState& state) {
  constexpr size_t kMaxLine = 1024;  // a size line with its extensions, or a trailer line
  for (;;) {
    const size_t eol = data.find("\r\n", state.pos);
    if (eol == std::string_view::npos) {
      return data.size() - state.pos > kMaxLine ? Parse::kBad : Parse::kIncomplete;
    }
    if (eol - state.pos > kMaxLine) return Parse::kBad;
    if (state.trailers) {
      // Trailer lines up to the empty line; they are read and dropped.
      const bool last = eol == state.pos;
      state.pos = eol + 2;
      if (last) return Parse::kDone;
      continue;
    }
    std::string_view size_text = data.substr(state.pos, eol - state.pos);
    size_text = Trim(size_text.substr(0, size_text.find(';')));
    if (size_text.empty() || size_text.size() > 15) return Parse::kBad;
    uint64_t size = 0;
    for (char c : size_text) {
      const auto u = static_cast<unsigned char>(c);
      if (!std::isxdigit(u)) return Parse::kBad;
      size =
          size * 16 + static_cast<uint64_t>(std::isdigit(u) ? c - '0' : std::tolower(u) - 'a' + 10);
    }
    if (size == 0) {
      state.trailers = true;
      state.pos = eol + 2;
      continue;
    }
    if (state.body.size() + size > max_body) return Parse::kTooLarge;
    // The chunk is taken whole or not at all: until then, only its size line is looked at again.
    const size_t start = eol + 2;
    if (data.size() - start < size + 2) return Parse::kIncomplete;
    if (data.substr(start + size, 2) != "\r\n") return Parse::kBad;
    state.body.append(data.substr(start, size));
    state.pos = start + size + 2;
  }
}

ChunkedResult DecodeChunked(std::string_view data, size_t max_body) {
  ChunkedState state;
  ChunkedResult result;
  result.status = DecodeChunked(data, max_body, state);
  if (result.status == Parse::kDone) {
    result.length = state.pos;
    result.body = std::move(state.body);
  }
  return result;
}

const char* StatusText(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string ResponseHead(const Response& response, size_t content_length,
                         std::string_view request_id, bool close) {
  std::string head = "HTTP/1.1 ";
  head.append(std::to_string(response.status)).append(" ").append(StatusText(response.status));
  head.append("\r\nContent-Type: ").append(response.content_type);
  head.append("\r\nContent-Length: ").append(std::to_string(content_length));
  head.append("\r\nX-Request-Id: ").append(request_id).append("\r\n");
  if (close) head.append("Connection: close\r\n");
  for (const auto& [name, value] : response.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
  head += "\r\n";
  return head;
}

}  // namespace codebot::http::detail
