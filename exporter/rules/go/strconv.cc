#include "exporter/rules/go/strconv.h"

#include "exporter/rules/go/unicode.h"

namespace codebot::rules::go {
namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

}  // namespace

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

}  // namespace codebot::rules::go
