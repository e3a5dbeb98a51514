// Go's strconv, as far as Prometheus' output depends on it: quoting (%q), float formatting
// (%v, %e, 'f' for count_values) and number parsing. One implementation serves the PromQL
// engine, the template engine and the rule tools, so that a string or number reads and prints
// the same wherever Prometheus would read or print it the same. Pure functions; never depend on
// the C locale.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace codebot::go {

// strconv.Quote (and fmt's %q of a string): printable runes as they are, \a \b \f \n \r \t \v
// by name, other control characters and invalid bytes as \xXX, other non-printable runes as
// \uXXXX / \UXXXXXXXX. With quote '\'' the rune-literal rules (QuoteRune); with ascii_only
// QuoteToASCII.
std::string Quote(std::string_view s, char quote = '"', bool ascii_only = false);
// strconv.QuoteRune / QuoteRuneToASCII; invalid code points print as U+FFFD.
std::string QuoteRune(int64_t r, bool ascii_only = false);
bool CanBackquote(std::string_view s);  // strconv.CanBackquote
// fmt's %#U of a rune: "U+0041 'A'", the character itself only when it is printable.
std::string FormatRuneU(char32_t r);

// Whose string literals Unquote reads; the two differ on purpose, as Go and Prometheus do.
enum class Literal {
  // strconv.Unquote of "..." and `...` (the template language): a byte that is not valid UTF-8
  // reads as U+FFFD.
  kGo,
  // Prometheus' strutil.Unquote (PromQL, series notation): also '...', in which \' is the
  // escaped quote and \" is not; every byte is copied as it is.
  kPromQL,
};
// Unquotes a string literal with Go's escapes (\a \b \f \n \r \t \v \\, \NNN octal, \xNN,
// \uNNNN, \UNNNNNNNN, the literal's own quote); raw `...` strings drop carriage returns. False on
// invalid syntax (Go's "invalid syntax").
bool Unquote(std::string_view quoted, std::string* out, Literal literal = Literal::kGo);
// strconv.UnquoteChar(s, '\''): the first character or escape of a rune literal's body, its
// length in *used; false on invalid syntax.
bool UnquoteChar(std::string_view s, char32_t* r, size_t* used);

// strconv.FormatFloat(v, fmt, prec, 64) for fmt 'e', 'E', 'f', 'g', 'G'; prec < 0 asks for
// the shortest representation that reads back as v: 'g' is fmt's %v ("1e+06", "123456",
// "NaN", "+Inf"), 'f' pads the shortest digits with zeros ("100000000000000000000000" for 1e23).
std::string FormatFloat(double v, char fmt, int prec);

// strconv.ParseFloat(s, 64): Go's float syntax (decimal, hex with a 'p' exponent, inf/infinity/
// nan in any case, '_' between digits). On failure *error (when given) is Go's text, e.g.
// `strconv.ParseFloat: parsing "x": invalid syntax`; an overflow also sets *v to +-Inf, as Go
// does; an underflow gives 0 or a subnormal without error.
bool ParseFloat(std::string_view s, double* v, std::string* error = nullptr);
// strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64): base prefixes 0x 0o 0b and a bare leading 0
// (octal), '_' separators; false on bad syntax or overflow.
bool ParseInt(std::string_view s, int64_t* v);
bool ParseUint(std::string_view s, uint64_t* v);

}  // namespace codebot::go
