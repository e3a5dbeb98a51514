#include "exporter/template/text.h"

#include <functional>

#include "exporter/core/utf8.h"
#include "exporter/go/unicode.h"

namespace codebot::tmpl::text {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

// strings.Map: s comes back untouched unless a rune changes or an invalid byte is met; from
// there on the text is rebuilt and invalid bytes become U+FFFD, as in Go.
std::string MapRunes(std::string_view s, const std::function<char32_t(char32_t)>& mapping) {
  std::string out;
  bool rebuilding = false;
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    const char32_t r = utf8::DecodeRune(s, pos, &width);
    const char32_t mapped = mapping(r);
    if (!rebuilding) {
      const bool invalid_byte = r == utf8::kRuneError && width == 1;
      if (mapped == r && !invalid_byte) {
        pos += width;
        continue;
      }
      rebuilding = true;
      out.reserve(s.size() + 4);
      out.assign(s.substr(0, pos));
    }
    utf8::AppendRune(&out, mapped);
    pos += width;
  }
  return rebuilding ? out : std::string(s);
}

bool IsTitleSeparator(char32_t r) {
  if (r <= 0x7F) {
    if ((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_') {
      return false;
    }
    return true;
  }
  if (go::IsLetter(r) || go::IsDigit(r)) return false;
  return go::IsSpace(r);
}

}  // namespace

std::string ToUpper(std::string_view s) { return MapRunes(s, go::ToUpper); }
std::string ToLower(std::string_view s) { return MapRunes(s, go::ToLower); }

std::string Title(std::string_view s) {
  char32_t prev = ' ';
  return MapRunes(s, [&prev](char32_t r) {
    const char32_t mapped = IsTitleSeparator(prev) ? go::ToTitle(r) : r;
    prev = r;
    return mapped;
  });
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string JsEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    const char32_t r = utf8::DecodeRune(s, pos, &width);
    if (r < 0x80) {
      switch (r) {
        case '\\':
          out += "\\\\";
          break;
        case '\'':
          out += "\\'";
          break;
        case '"':
          out += "\\\"";
          break;
        case '<':
          out += "\\u003C";
          break;
        case '>':
          out += "\\u003E";
          break;
        case '&':
          out += "\\u0026";
          break;
        case '=':
          out += "\\u003D";
          break;
        default:
          if (r < ' ') {
            out += "\\u00";
            out.push_back(kUpperHex[r >> 4]);
            out.push_back(kUpperHex[r & 0xF]);
          } else {
            out.push_back(static_cast<char>(r));
          }
      }
    } else if (go::IsPrint(r)) {
      utf8::AppendRune(&out, r);
    } else {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kUpperHex[(r >> shift) & 0xF]);
    }
    pos += width;
  }
  return out;
}

}  // namespace codebot::tmpl::text
