// Go's unicode/utf8 and unicode packages, one home for every module that must agree with Go on
// runes: the PromQL engine, the template engine and the rule tools. Character classes and case
// mapping use glibc's Unicode tables (C.UTF-8), never the process locale. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace codebot::rules::go {

inline constexpr char32_t kRuneError = 0xFFFD;

// utf8.DecodeRuneInString at byte pos (< s.size()): an invalid or truncated sequence decodes as
// kRuneError of width 1.
char32_t DecodeRune(std::string_view s, size_t pos, size_t* width);
// utf8.AppendRune: surrogates and out-of-range values are written as U+FFFD.
void AppendRune(std::string* out, char32_t r);
size_t RuneCount(std::string_view s);  // utf8.RuneCountInString

bool IsPrint(char32_t r);  // unicode.IsPrint: only the ASCII space counts among the spaces
bool IsLetter(char32_t r);
bool IsDigit(char32_t r);
bool IsSpace(char32_t r);  // unicode.IsSpace

char32_t ToUpper(char32_t r);  // unicode.ToUpper
char32_t ToLower(char32_t r);  // unicode.ToLower
char32_t ToTitle(char32_t r);  // unicode.ToTitle

}  // namespace codebot::rules::go
