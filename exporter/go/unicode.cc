#include "exporter/go/unicode.h"

#include <locale.h>
#include <wctype.h>

namespace codebot::go {
namespace {

// glibc ships C.UTF-8 built in (2.35+), so this never depends on installed locales.
locale_t UnicodeLocale() {
  static const locale_t kLocale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return kLocale;
}

}  // namespace

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

}  // namespace codebot::go
