// String helpers with Go's exact behaviour (strings case mapping, html/js/url escaping) for the
// template built-ins and Prometheus' functions. Runes, character classes, quoting and unquoting
// come from exporter/rules/go, shared with the PromQL engine; never the process locale.
#pragma once

#include <string>
#include <string_view>

namespace codebot::rules::tmpl::text {

std::string ToUpper(std::string_view s);  // strings.ToUpper
std::string ToLower(std::string_view s);  // strings.ToLower
std::string Title(std::string_view s);    // strings.Title

std::string HtmlEscape(std::string_view s);   // template.HTMLEscapeString
std::string JsEscape(std::string_view s);     // template.JSEscapeString
std::string QueryEscape(std::string_view s);  // url.QueryEscape

}  // namespace codebot::rules::tmpl::text
