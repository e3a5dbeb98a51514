#include "exporter/http/gzip.h"

#include <zlib.h>

#include <cstdlib>

#include "exporter/http/wire.h"

namespace codebot::http {
namespace {

constexpr int kGzipWindow = 15 + 16;  // zlib's way of reading a gzip header and trailer

}  // namespace

DeflatedPart Deflate(std::string_view data, int level, bool last) {
  DeflatedPart part;
  part.size = data.size();
  part.crc32 = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  z_stream stream{};
  // Negative window bits: raw deflate, no zlib or gzip wrapper.
  if (deflateInit2(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return part;
  // deflateBound covers Z_FINISH; a sync flush adds an empty stored block of at most 5 bytes.
  part.bytes.resize(deflateBound(&stream, static_cast<uLong>(data.size())) + 16);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(part.bytes.data());
  stream.avail_out = static_cast<uInt>(part.bytes.size());
  const int rc = deflate(&stream, last ? Z_FINISH : Z_SYNC_FLUSH);
  const bool done = last ? rc == Z_STREAM_END : rc == Z_OK && stream.avail_in == 0;
  part.bytes.resize(done ? stream.total_out : 0);
  deflateEnd(&stream);
  return part;
}

std::string GzipHeader() {
  // Magic, deflate, no flags, no modification time, no extra flags, unknown OS (RFC 1952).
  return std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
}

std::string GzipTrailer(uint32_t crc, uint64_t size) {
  std::string trailer(8, '\0');
  for (int i = 0; i < 4; ++i) {
    trailer[i] = static_cast<char>((crc >> (8 * i)) & 0xff);
    trailer[4 + i] = static_cast<char>((size >> (8 * i)) & 0xff);  // size modulo 2^32
  }
  return trailer;
}

uint32_t CombineCrc32(uint32_t a, uint32_t b, size_t b_size) {
  return static_cast<uint32_t>(crc32_combine(a, b, static_cast<z_off_t>(b_size)));
}

std::string Gzip(std::string_view data, int level) {
  const DeflatedPart part = Deflate(data, level, true);
  return GzipHeader() + part.bytes + GzipTrailer(part.crc32, part.size);
}

std::optional<std::string> Gunzip(std::string_view data, size_t max_bytes) {
  std::string out;
  char buf[65536];
  while (!data.empty()) {
    z_stream stream{};
    if (inflateInit2(&stream, kGzipWindow) != Z_OK) return std::nullopt;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
      stream.next_out = reinterpret_cast<Bytef*>(buf);
      stream.avail_out = sizeof buf;
      rc = inflate(&stream, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) break;
      const size_t produced = sizeof buf - stream.avail_out;
      if (out.size() + produced > max_bytes) {
        rc = Z_MEM_ERROR;
        break;
      }
      out.append(buf, produced);
      if (rc == Z_OK && produced == 0 && stream.avail_in == 0) rc = Z_BUF_ERROR;  // truncated
    }
    const size_t used = data.size() - stream.avail_in;
    inflateEnd(&stream);
    if (rc != Z_STREAM_END) return std::nullopt;
    data.remove_prefix(used);
  }
  return out;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const size_t semicolon = item.find(';');
    const std::string_view coding = detail::Trim(item.substr(0, semicolon));
    if (!detail::EqualsNoCase(coding, "gzip") && !detail::EqualsNoCase(coding, "x-gzip") &&
        coding != "*") {
      continue;
    }
    double q = 1;
    if (semicolon != std::string_view::npos) {
      std::string_view param = detail::Trim(item.substr(semicolon + 1));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        q = std::strtod(std::string(param.substr(2)).c_str(), nullptr);
      }
    }
    if (q > 0) return true;
  }
  return false;
}

}  // namespace codebot::http
