// Go's unicode package, one home for every module that must agree with Go on runes: the PromQL
// engine, the template engine and the rule tools (decoding runes is core/utf8.h). Character
// classes and case mapping use glibc's Unicode tables (C.UTF-8), never the process locale. Pure
// functions.
#pragma once

namespace codebot::go {

bool IsPrint(char32_t r);  // unicode.IsPrint: only the ASCII space counts among the spaces
bool IsLetter(char32_t r);
bool IsDigit(char32_t r);
bool IsSpace(char32_t r);  // unicode.IsSpace

char32_t ToUpper(char32_t r);  // unicode.ToUpper
char32_t ToLower(char32_t r);  // unicode.ToLower
char32_t ToTitle(char32_t r);  // unicode.ToTitle

}  // namespace codebot::go
