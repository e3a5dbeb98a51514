#include "exporter/core/utf8.h"

namespace codebot::utf8 {

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

bool Valid(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    if (DecodeRune(s, pos, &width) == kRuneError && width == 1) return false;
    pos += width;
  }
  return true;
}

}  // namespace codebot::utf8
