// Authentication of protected endpoints (the admin endpoints and the webhook receiver): HTTP
// bearer tokens and basic auth, with constant-time comparison so that a wrong secret takes as long
// to reject as a right one to accept. Secrets are looked up on every request, so a rotated secret
// file takes effect without a reload. Nothing here logs a secret or the Authorization header.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/http/server.h"

namespace codebot::http {

// Constant-time in the length of the shorter input.
bool SecureEquals(std::string_view a, std::string_view b);
std::string Base64Encode(std::string_view in);
// Standard alphabet with padding; nullopt for anything else.
std::optional<std::string> Base64Decode(std::string_view in);

// What a protected endpoint accepts. A secret that can't be resolved (unreadable file) accepts
// nothing. With neither method set, every request passes.
struct Credentials {
  std::function<std::optional<std::string>()> bearer_token;  // unset: no bearer auth
  std::string basic_username;                                // empty: no basic auth
  std::function<std::optional<std::string>()> basic_password;

  bool Required() const { return static_cast<bool>(bearer_token) || !basic_username.empty(); }
};

// True when the Authorization header satisfies the credentials (or none are required).
bool Authorized(const Credentials& credentials, std::string_view authorization);

// Wraps a handler: requests without valid credentials get 401 with a WWW-Authenticate challenge
// and one warning log line (request id, path, remote address; never the header).
Handler RequireAuth(std::function<Credentials()> credentials, Handler handler);

}  // namespace codebot::http
