// UTF-8 as Go's unicode/utf8 package reads and writes it: the one decoder for every module that
// checks or walks text (the exposition parser, rule files, PromQL, templates). An invalid,
// overlong or truncated sequence, a surrogate or a value above U+10FFFF is never a rune. Pure
// functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace codebot::utf8 {

inline constexpr char32_t kRuneError = 0xFFFD;

// utf8.DecodeRuneInString at byte pos (< s.size()): an invalid sequence decodes as kRuneError
// of width 1.
char32_t DecodeRune(std::string_view s, size_t pos, size_t* width);
// utf8.AppendRune: surrogates and out-of-range values are written as U+FFFD.
void AppendRune(std::string* out, char32_t r);
size_t RuneCount(std::string_view s);  // utf8.RuneCountInString
bool Valid(std::string_view s);        // utf8.ValidString

}  // namespace codebot::utf8
