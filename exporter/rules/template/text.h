// UTF-8 and escaping helpers with Go's exact behaviour (unicode, strings, strconv.Quote,
// html/js/url escaping), for the template built-ins and Prometheus' functions. Case mapping and
// character classes use glibc's Unicode tables (C.UTF-8), never the process locale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace codebot::rules::tmpl::text {

inline constexpr char32_t kRuneError = 0xFFFD;

// utf8.DecodeRuneInString: an invalid or truncated sequence decodes as kRuneError of width 1.
char32_t DecodeRune(std::string_view s, size_t pos, size_t* width);
// utf8.AppendRune: surrogates and out-of-range values are written as U+FFFD.
void AppendRune(std::string* out, char32_t r);
size_t RuneCount(std::string_view s);

bool IsPrint(char32_t r);  // unicode.IsPrint
bool IsLetter(char32_t r);
bool IsDigit(char32_t r);
bool IsSpace(char32_t r);  // unicode.IsSpace

std::string ToUpper(std::string_view s);  // strings.ToUpper
std::string ToLower(std::string_view s);  // strings.ToLower
std::string Title(std::string_view s);    // strings.Title

// strconv.Quote (control characters and invalid bytes as \xXX); with
// quote '\'' the rune-literal rules, with ascii_only QuoteToASCII.
std::string Quote(std::string_view s, char quote = '"', bool ascii_only = false);
// strconv.QuoteRune / QuoteRuneToASCII; invalid code points print as U+FFFD.
std::string QuoteRune(int64_t r, bool ascii_only = false);
bool CanBackquote(std::string_view s);  // strconv.CanBackquote
// strconv.Unquote for "..." and `...` literals; false on invalid syntax.
bool Unquote(std::string_view quoted, std::string* out);

std::string HtmlEscape(std::string_view s);   // template.HTMLEscapeString
std::string JsEscape(std::string_view s);     // template.JSEscapeString
std::string QueryEscape(std::string_view s);  // url.QueryEscape

}  // namespace codebot::rules::tmpl::text
