#include "exporter/rules/go/unicode.h"

#include <locale.h>
#include <wctype.h>

namespace codebot::rules::go {
namespace {

// glibc ships C.UTF-8 built in (2.35+), so this never depends on installed locales.
locale_t UnicodeLocale() {
  static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return locale;
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

char32_t ToUpper(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') ? r - 32 : r;
  return static_cast<char32_t>(towupper_l(static_cast<wint_t>(r), UnicodeLocale()));
}

char32_t ToLower(char32_t r) {
  if (r < 0x80) return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  return static_cast<char32_t>(towlower_l(static_cast<wint_t>(r), UnicodeLocale()));
}

// unicode.ToTitle differs from ToUpper only for the Latin digraphs (Ǆ ǅ ǆ, Ǉ ǈ ǉ, Ǌ ǋ ǌ, Ǳ ǲ ǳ).
char32_t ToTitle(char32_t r) {
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
      return ToUpper(r);
  }
}

}  // namespace codebot::rules::go
