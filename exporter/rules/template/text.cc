#include "exporter/rules/template/text.h"

#include <locale.h>
#include <wctype.h>

#include <functional>

namespace codebot::rules::tmpl::text {
namespace {

// glibc ships C.UTF-8 built in (2.35+), so this never depends on installed locales.
locale_t UnicodeLocale() {
  static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return locale;
}

constexpr char kLowerHex[] = "0123456789abcdef";
constexpr char kUpperHex[] = "0123456789ABCDEF";

// strings.Map: s comes back untouched unless a rune changes or an invalid byte is met; from
// there on the text is rebuilt and invalid bytes become U+FFFD, as in Go.
std::string MapRunes(std::string_view s, const std::function<char32_t(char32_t)>& mapping) {
  std::string out;
  bool rebuilding = false;
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    const char32_t r = DecodeRune(s, pos, &width);
    const char32_t mapped = mapping(r);
    if (!rebuilding) {
      const bool invalid_byte = r == kRuneError && width == 1;
      if (mapped == r && !invalid_byte) {
        pos += width;
        continue;
      }
      rebuilding = true;
      out.reserve(s.size() + 4);
      out.assign(s.substr(0, pos));
    }
    AppendRune(&out, mapped);
    pos += width;
  }
  return rebuilding ? out : std::string(s);
}

char32_t UpperRune(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') ? r - 32 : r;
  return static_cast<char32_t>(towupper_l(static_cast<wint_t>(r), UnicodeLocale()));
}

char32_t LowerRune(char32_t r) {
  if (r < 0x80) return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  return static_cast<char32_t>(towlower_l(static_cast<wint_t>(r), UnicodeLocale()));
}

// unicode.ToTitle differs from ToUpper only for the Latin digraphs (Ǆ ǅ ǆ, Ǉ ǈ ǉ, Ǌ ǋ ǌ, Ǳ ǲ ǳ).
char32_t TitleRune(char32_t r) {
  switch (r) {
    case 0x01C4:
    case 0x01C5:
    case 0x01C6:
      return 0x01C5;
    case 0x01C7:
    case 0x01C8:
    case 0x01C9:
      return 0x01C8;
    case 0x01CA:
    case 0x01CB:
    case 0x01CC:
      return 0x01CB;
    case 0x01F1:
    case 0x01F2:
    case 0x01F3:
      return 0x01F2;
    default:
      return UpperRune(r);
  }
}

bool IsTitleSeparator(char32_t r) {
  if (r <= 0x7F) {
    if ((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_') {
      return false;
    }
    return true;
  }
  if (IsLetter(r) || IsDigit(r)) return false;
  return IsSpace(r);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

char32_t DecodeRune(std::string_view s, size_t pos, size_t* width) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const size_t left = s.size() - pos;
  const unsigned char b0 = byte(pos);
  *width = 1;
  if (b0 < 0x80) return b0;
  auto cont = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || !cont(pos + 1)) return kRuneError;
    *width = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | (byte(pos + 1) & 0x3F);
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(pos + 1) || !cont(pos + 2)) return kRuneError;
    const unsigned char b1 = byte(pos + 1);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) return kRuneError;
    *width = 3;
    return (static_cast<char32_t>(b0 & 0x0F) << 12) | (static_cast<char32_t>(b1 & 0x3F) << 6) |
           (byte(pos + 2) & 0x3F);
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(pos + 1) || !cont(pos + 2) || !cont(pos + 3)) return kRuneError;
    const unsigned char b1 = byte(pos + 1);
    if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) return kRuneError;
    *width = 4;
    return (static_cast<char32_t>(b0 & 0x07) << 18) | (static_cast<char32_t>(b1 & 0x3F) << 12) |
           (static_cast<char32_t>(byte(pos + 2) & 0x3F) << 6) | (byte(pos + 3) & 0x3F);
  }
  return kRuneError;
}

void AppendRune(std::string* out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

size_t RuneCount(std::string_view s) {
  size_t count = 0;
  for (size_t pos = 0; pos < s.size(); ++count) {
    size_t width = 0;
    DecodeRune(s, pos, &width);
    pos += width;
  }
  return count;
}

bool IsPrint(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  // Go counts only the ASCII space as printable; glibc also counts the other space separators.
  if (r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x202F || r == 0x205F ||
      r == 0x3000 || r == 0xAD) {
    return false;
  }
  return iswprint_l(static_cast<wint_t>(r), UnicodeLocale()) != 0;
}

bool IsLetter(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  return iswalpha_l(static_cast<wint_t>(r), UnicodeLocale()) != 0;
}

bool IsDigit(char32_t r) {
  if (r < 0x80) return r >= '0' && r <= '9';
  return iswdigit_l(static_cast<wint_t>(r), UnicodeLocale()) != 0;
}

bool IsSpace(char32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
      return true;
    default:
      if (r < 0x100) return false;
      return iswspace_l(static_cast<wint_t>(r), UnicodeLocale()) != 0 || r == 0x202F || r == 0x2007;
  }
}

std::string ToUpper(std::string_view s) { return MapRunes(s, UpperRune); }
std::string ToLower(std::string_view s) { return MapRunes(s, LowerRune); }

std::string Title(std::string_view s) {
  char32_t prev = ' ';
  return MapRunes(s, [&prev](char32_t r) {
    const char32_t mapped = IsTitleSeparator(prev) ? TitleRune(r) : r;
    prev = r;
    return mapped;
  });
}

std::string Quote(std::string_view s, char quote, bool ascii_only) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back(quote);
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    const char32_t r = DecodeRune(s, pos, &width);
    if (width == 1 && r == kRuneError) {
      const auto b = static_cast<unsigned char>(s[pos]);
      out += "\\x";
      out.push_back(kLowerHex[b >> 4]);
      out.push_back(kLowerHex[b & 0xF]);
      pos += width;
      continue;
    }
    pos += width;
    if (r == static_cast<char32_t>(quote) || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
      continue;
    }
    if (ascii_only ? (r < 0x80 && IsPrint(r)) : IsPrint(r)) {
      AppendRune(&out, r);
      continue;
    }
    switch (r) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (r < ' ' || r == 0x7F) {
          out += "\\x";
          out.push_back(kLowerHex[(r >> 4) & 0xF]);
          out.push_back(kLowerHex[r & 0xF]);
        } else if (r < 0x10000) {
          out += "\\u";
          for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kLowerHex[(r >> shift) & 0xF]);
        } else {
          out += "\\U";
          for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kLowerHex[(r >> shift) & 0xF]);
        }
    }
  }
  out.push_back(quote);
  return out;
}

std::string QuoteRune(int64_t r, bool ascii_only) {
  std::string encoded;
  const bool valid = r >= 0 && r <= 0x10FFFF && !(r >= 0xD800 && r <= 0xDFFF);
  AppendRune(&encoded, valid ? static_cast<char32_t>(r) : kRuneError);
  return Quote(encoded, '\'', ascii_only);
}

bool CanBackquote(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    const char32_t r = DecodeRune(s, pos, &width);
    pos += width;
    if ((r == kRuneError && width == 1) || r == '`' || r == 0xFEFF || (r < ' ' && r != '\t') ||
        r == 0x7F) {
      return false;
    }
  }
  return true;
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
      const char32_t r = DecodeRune(body, pos, &width);
      AppendRune(out, r);  // an invalid byte decodes as U+FFFD, as in Go
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
          AppendRune(out, value);
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
    const char32_t r = DecodeRune(s, pos, &width);
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
    } else if (IsPrint(r)) {
      AppendRune(&out, r);
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
