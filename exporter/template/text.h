// String helpers with Go's exact behaviour (strings case mapping, html/js escaping) for the
// template built-ins and Prometheus' functions. Runes, character classes, quoting and unquoting
// come from exporter/go, shared with the PromQL engine; never the process locale.
#pragma once

#include <string>
#include <string_view>

namespace codebot::tmpl::text {

std::string ToUpper(std::string_view s);  // strings.ToUpper
std::string ToLower(std::string_view s);  // strings.ToLower
std::string Title(std::string_view s);    // strings.Title

std::string HtmlEscape(std::string_view s);  // template.HTMLEscapeString
std::string JsEscape(std::string_view s);    // template.JSEscapeString

}  // namespace codebot::tmpl::text
