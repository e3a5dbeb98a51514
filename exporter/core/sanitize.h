// The guard on every text that leaves the process (log lines, metric label values, outgoing
// messages, error strings): secrets the config loaded are replaced by "<redacted>", and so are
// credentials recognisable by their shape even when nobody registered them.
#pragma once

#include <string>
#include <string_view>

namespace codebot::sanitize {

inline constexpr std::string_view kRedacted = "<redacted>";

// Remembers a secret value (token, password, routing key, DSN) so that Redact() hides it.
// Values shorter than 4 characters are ignored: they would redact ordinary words.
void RegisterSecret(std::string_view secret);

// Forgets every registered secret (tests only).
void ClearSecretsForTesting();

// Returns text with registered secrets and credential-shaped substrings replaced:
// GitHub tokens (ghp_/gho_/ghu_/ghs_/ghr_/github_pat_), Telegram bot tokens (123456:AA...),
// the password of URL userinfo (scheme://user:password@host) and of libpq key/value DSNs
// (password=...), the value after "Bearer "/"token " in an Authorization text, credential pairs
// (token=, api_key=, access_token=, secret=, routing_key=, ... and their JSON form
// "routing_key":"..."), and e-mail addresses.
std::string Redact(std::string_view text);

}  // namespace codebot::sanitize
