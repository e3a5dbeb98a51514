// gzip for HTTP bodies (zlib lives here and nowhere else).
//
// A body can be compressed in parts, each part once, and joined without recompressing: a part is
// a raw deflate stream that either ends on a byte boundary without closing the stream (so that
// another part may follow) or closes it; the gzip header and the trailer (CRC-32 and size of the
// whole, combined from the parts') go around them. The result is one ordinary gzip member, which
// every client decodes (libcurl, for one, ignores any member after the first). /metrics uses it
// to compress its large cached part once per change and only the small changing part per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codebot::http {

struct DeflatedPart {
  std::string bytes;   // raw deflate
  uint32_t crc32 = 0;  // of the uncompressed data
  size_t size = 0;     // bytes of uncompressed data
};

// data as raw deflate; level 1 (fastest) to 9 (smallest). last closes the stream; otherwise the
// part ends on a byte boundary and another part must follow.
DeflatedPart Deflate(std::string_view data, int level, bool last);

// The 10 bytes before the first part.
std::string GzipHeader();
// The 8 bytes after the last part, for parts whose CRC-32s were joined with CombineCrc32.
std::string GzipTrailer(uint32_t crc, uint64_t size);
// CRC-32 of a then b, from the CRC-32 of each and b's size.
uint32_t CombineCrc32(uint32_t a, uint32_t b, size_t b_size);

// One complete gzip member holding data.
std::string Gzip(std::string_view data, int level);

// Every member of a gzip stream, decoded and concatenated; nullopt when the stream is not valid
// gzip or would decode to more than max_bytes.
std::optional<std::string> Gunzip(std::string_view data, size_t max_bytes = size_t{1} << 30);

// True when an Accept-Encoding value admits gzip ("gzip", "x-gzip" or "*", with q above 0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace codebot::http
