// Go's strconv, as far as Prometheus' output depends on it: quoting (%q, strconv.Quote), ...
// One implementation serves the PromQL engine, the template engine and the rule tools, so that a
// string or number prints the same wherever Prometheus would print it the same. Pure functions;
// never depend on the C locale.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace codebot::rules::go {

// strconv.Quote (and fmt's %q of a string): printable runes as they are, \a \b \f \n \r \t \v
// by name, other control characters and invalid bytes as \xXX, other non-printable runes as
// \uXXXX / \UXXXXXXXX. With quote '\'' the rune-literal rules (QuoteRune); with ascii_only
// QuoteToASCII.
std::string Quote(std::string_view s, char quote = '"', bool ascii_only = false);
// strconv.QuoteRune / QuoteRuneToASCII; invalid code points print as U+FFFD.
std::string QuoteRune(int64_t r, bool ascii_only = false);
bool CanBackquote(std::string_view s);  // strconv.CanBackquote

}  // namespace codebot::rules::go
