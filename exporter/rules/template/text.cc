#include "exporter/rules/template/text.h"

#include <functional>

#include "exporter/rules/go/unicode.h"

namespace codebot::rules::tmpl::text {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

// strings.Map: s comes back untouched unless a rune changes or an invalid byte is met; from
// there on the text is rebuilt and invalid bytes become U+FFFD, as in Go.
std::string MapRunes(std::string_view s, const std::function<char32_t(char32_t)>& mapping) {
  std::string out;
  bool rebuilding = false;
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    const char32_t r = go::DecodeRune(s, pos, &width);
    const char32_t mapped = mapping(r);
    if (!rebuilding) {
      const bool invalid_byte = r == go::kRuneError && width == 1;
      if (mapped == r && !invalid_byte) {
        pos += width;
        continue;
      }
      rebuilding = true;
      out.reserve(s.size() + 4);
      out.assign(s.substr(0, pos));
    }
    go::AppendRune(&out, mapped);
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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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

bool Unquote(std::string_view quoted, std::string* out) {
  out->clear();
  if (quoted.size() < 2) return false;
  const char quote = quoted.front();
  if (quoted.back() != quote) return false;
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return false;
    for (char c : body) {
      if (c != '\r') out->push_back(c);  // raw strings drop carriage returns
    }
    return true;
  }
  if (quote != '"') return false;
  size_t pos = 0;
  while (pos < body.size()) {
    const char c = body[pos];
    if (c == '"' || c == '\n') return false;
    if (c != '\\') {
      size_t width = 0;
      const char32_t r = go::DecodeRune(body, pos, &width);
      go::AppendRune(out, r);  // an invalid byte decodes as U+FFFD, as in Go
      pos += width;
      continue;
    }
    if (++pos >= body.size()) return false;
    const char e = body[pos++];
    switch (e) {
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '"':
        out->push_back('"');
        break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        int value = e - '0';
        for (int i = 0; i < 2; ++i) {
          if (pos >= body.size() || body[pos] < '0' || body[pos] > '7') return false;
          value = value * 8 + (body[pos++] - '0');
        }
        if (value > 255) return false;
        out->push_back(static_cast<char>(value));
        break;
      }
      case 'x':
      case 'u':
      case 'U': {
        const int digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        char32_t value = 0;
        for (int i = 0; i < digits; ++i) {
          if (pos >= body.size()) return false;
          const int h = HexValue(body[pos++]);
          if (h < 0) return false;
          value = value * 16 + static_cast<char32_t>(h);
        }
        if (e == 'x') {
          out->push_back(static_cast<char>(value));
        } else {
          if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
          go::AppendRune(out, value);
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
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
    const char32_t r = go::DecodeRune(s, pos, &width);
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
      go::AppendRune(&out, r);
    } else {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kUpperHex[(r >> shift) & 0xF]);
    }
    pos += width;
  }
  return out;
}

std::string QueryEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kUpperHex[c >> 4]);
      out.push_back(kUpperHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace codebot::rules::tmpl::text
