#include "exporter/http/gzip.h"

#include <gtest/gtest.h>

#include <string>

namespace codebot::http {
namespace {

std::string Exposition(int series) {
  std::string text = "# TYPE x gauge\n";
  for (int i = 0; i < series; ++i) {
    text += "x{i=\"" + std::to_string(i) + "\"} " + std::to_string(i * 7) + "\n";
  }
  return text;
}

TEST(Gzip, RoundTrips) {
  const std::string text = Exposition(1000);
  const std::string gzip = Gzip(text, 6);
  EXPECT_LT(gzip.size() * 3, text.size());
  EXPECT_EQ(Gunzip(gzip), text);
  EXPECT_EQ(Gunzip(Gzip("", 1)), "");
}

TEST(Gzip, PartsCompressedApartJoinIntoOneMember) {
  const std::string first = "# TYPE own counter\nown 1\n";
  const std::string second = Exposition(500);
  const DeflatedPart a = Deflate(first, 1, false);
  const DeflatedPart b = Deflate(second, 6, true);
  const std::string body = GzipHeader() + a.bytes + b.bytes +
                           GzipTrailer(CombineCrc32(a.crc32, b.crc32, b.size), a.size + b.size);
  EXPECT_EQ(Gunzip(body), first + second);
  // One member: the trailer is the body's last 8 bytes, so decoding stops exactly at the end
  // (a client reading only the first member, as libcurl does, still gets everything).
  const DeflatedPart whole = Deflate(first + second, 6, true);
  EXPECT_EQ(body.substr(body.size() - 8), GzipTrailer(whole.crc32, whole.size));
}

TEST(Gzip, EmptyLeadingPartJoins) {
  const DeflatedPart a = Deflate("", 1, false);
  const DeflatedPart b = Deflate("tail\n", 6, true);
  const std::string body = GzipHeader() + a.bytes + b.bytes +
                           GzipTrailer(CombineCrc32(a.crc32, b.crc32, b.size), a.size + b.size);
  EXPECT_EQ(Gunzip(body), "tail\n");
}

TEST(Gunzip, RefusesCorruptTruncatedAndOversizedStreams) {
  std::string gzip = Gzip(Exposition(100), 6);
  EXPECT_FALSE(Gunzip(gzip.substr(0, gzip.size() - 3)).has_value());
  std::string corrupt = gzip;
  corrupt[corrupt.size() - 6] ^= 0x55;  // the CRC-32 no longer matches
  EXPECT_FALSE(Gunzip(corrupt).has_value());
  EXPECT_FALSE(Gunzip("not gzip at all").has_value());
  EXPECT_FALSE(Gunzip(gzip, 100).has_value());
}

TEST(Gunzip, DecodesEveryMemberOfAStream) {
  EXPECT_EQ(Gunzip(Gzip("a\n", 1) + Gzip("b\n", 9)), "a\nb\n");
}

TEST(AcceptsGzip, ReadsTheHeaderAsRfc9110Says) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip"));
  EXPECT_TRUE(AcceptsGzip("GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("identity, gzip ; q=1"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzipped"));
}

}  // namespace
}  // namespace codebot::http
