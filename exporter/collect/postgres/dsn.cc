#include "exporter/collect/postgres/dsn.h"

#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>

#include "exporter/core/url_escape.h"

namespace codebot::collect::postgres {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string FirstOfList(std::string_view list) {
  const size_t comma = list.find(',');
  return std::string(list.substr(0, comma));
}

// libpq's key = value syntax: values may be single-quoted; a backslash escapes the next character
// in either form. The last value of a repeated key wins, as in libpq.
bool ParseKeyValue(std::string_view text, std::map<std::string, std::string>* out) {
  size_t i = 0;
  while (true) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i >= text.size()) return true;
    const size_t key_start = i;
    while (i < text.size() && text[i] != '=' && !IsSpace(text[i])) ++i;
    std::string key(text.substr(key_start, i - key_start));
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (key.empty() || i >= text.size() || text[i] != '=') return false;
    ++i;
    while (i < text.size() && IsSpace(text[i])) ++i;
    std::string value;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          value += text[i + 1];
          i += 2;
        } else if (text[i] == '\'') {
          ++i;
          closed = true;
          break;
        } else {
          value += text[i++];
        }
      }
      if (!closed) return false;
    } else {
      while (i < text.size() && !IsSpace(text[i])) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          value += text[i + 1];
          i += 2;
        } else {
          value += text[i++];
        }
      }
    }
    (*out)[key] = std::move(value);
  }
}

// postgres[ql]://[user[:password]@][host[:port][,...]][/dbname][?key=value&...]
bool ParseUri(std::string_view text, std::map<std::string, std::string>* out) {
  const size_t scheme_end = text.find("://");
  std::string_view rest = text.substr(scheme_end + 3);
  std::string_view query;
  if (const size_t question = rest.find('?'); question != std::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (const size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      auto password = PercentDecode(userinfo.substr(colon + 1));
      if (!password) return false;
      (*out)["password"] = *password;
    }
  }
  std::string hosts;
  std::string ports;
  size_t start = 0;
  while (start <= authority.size() && !authority.empty()) {
    size_t end = authority.find(',', start);
    if (end == std::string_view::npos) end = authority.size();
    std::string_view spec = authority.substr(start, end - start);
    std::string_view host = spec;
    std::string_view port;
    if (!spec.empty() && spec.front() == '[') {
      const size_t close = spec.find(']');
      if (close == std::string_view::npos) return false;
      host = spec.substr(1, close - 1);
      if (close + 1 < spec.size()) {
        if (spec[close + 1] != ':') return false;
        port = spec.substr(close + 2);
      }
    } else if (const size_t colon = spec.find(':'); colon != std::string_view::npos) {
      host = spec.substr(0, colon);
      port = spec.substr(colon + 1);
    }
    auto decoded_host = PercentDecode(host);
    if (!decoded_host) return false;
    if (start > 0) {
      hosts += ',';
      ports += ',';
    }
    hosts += *decoded_host;
    ports += std::string(port);
    start = end + 1;
  }
  if (!hosts.empty() && hosts.find_first_not_of(',') != std::string::npos) (*out)["host"] = hosts;
  if (!ports.empty() && ports.find_first_not_of(',') != std::string::npos) (*out)["port"] = ports;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos) return false;
    auto key = PercentDecode(pair.substr(0, equals));
    auto value = PercentDecode(pair.substr(equals + 1));
    if (!key || !value) return false;
    (*out)[*key] = *value;
  }
  return true;
}

bool IsUri(std::string_view dsn) {
  return dsn.starts_with("postgresql://") || dsn.starts_with("postgres://");
}

}  // namespace

DsnInfo ParseDsn(std::string_view dsn) {
  DsnInfo info;
  info.is_uri = IsUri(dsn);
  std::map<std::string, std::string> params;
  if (!(info.is_uri ? ParseUri(dsn, &params) : ParseKeyValue(dsn, &params))) return info;
  info.ok = true;
  if (auto it = params.find("password"); it != params.end()) info.password = it->second;
  std::string hosts;
  if (auto it = params.find("host"); it != params.end()) hosts = it->second;
  if (FirstOfList(hosts).empty()) {
    if (auto it = params.find("hostaddr"); it != params.end()) hosts = it->second;
  }
  info.host = FirstOfList(hosts);
  if (auto it = params.find("port"); it != params.end()) info.port = FirstOfList(it->second);
  return info;
}

std::string InstanceOf(const DsnInfo& info) {
  std::string host = info.host;
  if (host.empty()) {
    const char* env = std::getenv("PGHOST");
    host = env != nullptr && *env != '\0' ? FirstOfList(env) : "localhost";
  }
  std::string port = info.port;
  if (port.empty()) {
    const char* env = std::getenv("PGPORT");
    port = env != nullptr && *env != '\0' ? FirstOfList(env) : "5432";
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + port;
}

std::string WithParameters(std::string_view dsn, bool is_uri,
                           const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out(dsn);
  if (is_uri) {
    bool has_query = out.find('?') != std::string::npos;
    for (const auto& [key, value] : params) {
      if (!has_query) {
        out += '?';
        has_query = true;
      } else if (out.back() != '?' && out.back() != '&') {
        out += '&';
      }
      out += PercentEncode(key) + "=" + PercentEncode(value);
    }
    return out;
  }
  for (const auto& [key, value] : params) {
    out += ' ';
    out += key;
    out += "='";
    for (char c : value) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace codebot::collect::postgres
