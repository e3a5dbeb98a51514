// Percent-encoding, once for the whole program: Go's url.QueryEscape (generator URLs, template
// `urlquery`/`queryEscape`, Grafana links), RFC 3986 escaping of everything but unreserved
// characters (libpq URIs), and decoding (query strings, libpq URIs). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace codebot {

// Go's url.QueryEscape: unreserved characters stay, ' ' becomes '+', the rest %XX (upper case).
std::string QueryEscape(std::string_view text);

// Every byte but the RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~) as %XX.
std::string PercentEncode(std::string_view text);

// %XX sequences decoded (and '+' as ' ' when plus_is_space, as in query strings); nullopt when a
// '%' is not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

}  // namespace codebot
