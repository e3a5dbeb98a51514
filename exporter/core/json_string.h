// JSON string literals for the few places that write JSON by hand because they must stay
// allocation-light (the logger, the HTTP server's error bodies). Appends to the caller's buffer;
// never allocates anything else and never validates or repairs UTF-8 (bytes >= 0x80 pass as
// they are).
#pragma once

#include <string>
#include <string_view>

namespace codebot::json {

// Appends text as a quoted JSON string: `"` and `\` escaped, \n \r \t by name, every other
// control character as \u00XX.
void AppendString(std::string& out, std::string_view text);

}  // namespace codebot::json
