#include "exporter/http/auth.h"

#include <array>

#include "exporter/core/log.h"

namespace codebot::http {
namespace {

constexpr char kBase64Table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The credentials part of "<scheme> <credentials>", scheme matched case-insensitively as RFC 7235
// says; nullopt for another scheme.
std::optional<std::string_view> SchemeCredentials(std::string_view header,
                                                  std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return std::nullopt;
  for (size_t i = 0; i < scheme.size(); ++i) {
    const char a = static_cast<char>(header[i] | 0x20);
    const char b = static_cast<char>(scheme[i] | 0x20);
    if (a != b) return std::nullopt;
  }
  std::string_view rest = header.substr(scheme.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

}  // namespace

bool SecureEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kBase64Table[(v >> 18) & 63];
    out += kBase64Table[(v >> 12) & 63];
    out += kBase64Table[(v >> 6) & 63];
    out += kBase64Table[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kBase64Table[(v >> 18) & 63];
    out += kBase64Table[(v >> 12) & 63];
    out += i + 1 < in.size() ? kBase64Table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    std::array<int, 4> v{};
    int padding = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        ++padding;
        v[j] = 0;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const unsigned bits = (static_cast<unsigned>(v[0]) << 18) |
                          (static_cast<unsigned>(v[1]) << 12) | (static_cast<unsigned>(v[2]) << 6) |
                          static_cast<unsigned>(v[3]);
    out += static_cast<char>((bits >> 16) & 0xFF);
    if (padding < 2) out += static_cast<char>((bits >> 8) & 0xFF);
    if (padding < 1) out += static_cast<char>(bits & 0xFF);
  }
  return out;
}

bool Authorized(const Credentials& credentials, std::string_view authorization) {
  if (!credentials.Required()) return true;
  if (credentials.bearer_token) {
    if (auto token = SchemeCredentials(authorization, "Bearer")) {
      auto expected = credentials.bearer_token();
      if (expected && !expected->empty() && SecureEquals(*token, *expected)) return true;
    }
  }
  if (!credentials.basic_username.empty() && credentials.basic_password) {
    if (auto encoded = SchemeCredentials(authorization, "Basic")) {
      auto password = credentials.basic_password();
      auto given = Base64Decode(*encoded);
      if (password && given) {
        // Both compared in full, whatever the first mismatch.
        const std::string expected = credentials.basic_username + ":" + *password;
        if (SecureEquals(*given, expected)) return true;
      }
    }
  }
  return false;
}

Handler RequireAuth(std::function<Credentials()> credentials, Handler handler) {
  return
      [credentials = std::move(credentials), handler = std::move(handler)](const Request& request) {
        const Credentials current = credentials();
        if (Authorized(current, request.Header("Authorization"))) return handler(request);
        log::Warn(
            "unauthorised request",
            {{"request_id", request.id}, {"path", request.path}, {"remote", request.remote_addr}});
        Response response = Response::Error(401, "unauthorized");
        response.headers.emplace_back("WWW-Authenticate",
                                      current.bearer_token ? "Bearer" : "Basic realm=\"codebot\"");
        return response;
      };
}

}  // namespace codebot::http
