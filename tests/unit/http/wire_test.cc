#include "exporter/http/wire.h"

#include <gtest/gtest.h>

#include <string>

namespace codebot::http::detail {
namespace {

constexpr size_t kMax = 16 << 10;

TEST(ParseHead, ReadsRequestLineAndHeaders) {
  const std::string data =
      "GET /api/v1/rules%2Fx?type=alert&x=%41 HTTP/1.1\r\nHost: a\r\nX-Thing:  spaced  "
      "\r\n\r\nrest";
  const HeadResult result = ParseHead(data, kMax);
  ASSERT_EQ(result.status, Parse::kDone) << result.error;
  EXPECT_EQ(result.length, data.size() - 4);
  EXPECT_EQ(result.head.method, "GET");
  EXPECT_EQ(result.head.path, "/api/v1/rules/x");
  EXPECT_EQ(result.head.query, "type=alert&x=%41");
  EXPECT_EQ(FindHeader(result.head.headers, "x-thing"), "spaced");
  EXPECT_TRUE(result.head.keep_alive);
  EXPECT_FALSE(result.head.chunked);
  EXPECT_EQ(result.head.content_length, 0u);
}

TEST(ParseHead, WaitsForTheEmptyLine) {
  EXPECT_EQ(ParseHead("", kMax).status, Parse::kIncomplete);
  EXPECT_EQ(ParseHead("GET /metrics HTTP/1.1\r\nHost: x\r\n", kMax).status, Parse::kIncomplete);
  EXPECT_EQ(ParseHead("GET /metrics HTTP/1.1\r\nHost: x\r\n\r", kMax).status, Parse::kIncomplete);
}

TEST(ParseHead, StopsAtTheLimitWithOrWithoutTheEnd) {
  const std::string big = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a');
  EXPECT_EQ(ParseHead(big, 64).status, Parse::kTooLarge);
  EXPECT_EQ(ParseHead(big + "\r\n\r\n", 64).status, Parse::kTooLarge);
  EXPECT_EQ(ParseHead(big + "\r\n\r\n", kMax).status, Parse::kDone);
}

TEST(ParseHead, ReadsBodyFraming) {
  HeadResult result = ParseHead("POST /x HTTP/1.1\r\nContent-Length: 42\r\n\r\n", kMax);
  ASSERT_EQ(result.status, Parse::kDone);
  EXPECT_EQ(result.head.content_length, 42u);
  result = ParseHead(
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
      "Connection: keep-alive, Close\r\n\r\n",
      kMax);
  ASSERT_EQ(result.status, Parse::kDone);
  EXPECT_TRUE(result.head.chunked);
  EXPECT_TRUE(result.head.expect_continue);
  EXPECT_FALSE(result.head.keep_alive);
  result = ParseHead("GET / HTTP/1.0\r\n\r\n", kMax);
  ASSERT_EQ(result.status, Parse::kDone);
  EXPECT_FALSE(result.head.keep_alive);
}

TEST(ParseHead, TakesAbsoluteFormTargets) {
  const HeadResult result = ParseHead("GET http://host:9877/metrics?a=b HTTP/1.1\r\n\r\n", kMax);
  ASSERT_EQ(result.status, Parse::kDone);
  EXPECT_EQ(result.head.path, "/metrics");
  EXPECT_EQ(result.head.query, "a=b");
}

TEST(ParseHead, RefusesWhatCannotBeFramedOrParsedSafely) {
  for (const std::string head : {
           "GET /metrics\r\n\r\n",
           "GET  /metrics HTTP/1.1\r\n\r\n",
           "GET /metrics HTTP/2.0\r\n\r\n",
           "G(T /metrics HTTP/1.1\r\n\r\n",
           "GET metrics HTTP/1.1\r\n\r\n",
           "GET /a%zz HTTP/1.1\r\n\r\n",
           "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
           "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
           "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
       }) {
    EXPECT_EQ(ParseHead(head, kMax).status, Parse::kBad) << head;
  }
  // The same length twice is allowed (RFC 9112 6.3).
  EXPECT_EQ(
      ParseHead("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", kMax).status,
      Parse::kDone);
}

TEST(DecodeChunked, DecodesChunksExtensionsAndTrailers) {
  const std::string data =
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\nNEXT";
  const ChunkedResult result = DecodeChunked(data, 1000);
  ASSERT_EQ(result.status, Parse::kDone);
  EXPECT_EQ(result.body, "Wikipedia in\r\n\r\nchunks.");
  EXPECT_EQ(result.length, data.size() - 4);
}

TEST(DecodeChunked, WaitsRefusesAndLimits) {
  EXPECT_EQ(DecodeChunked("4\r\nWi", 1000).status, Parse::kIncomplete);
  EXPECT_EQ(DecodeChunked("4\r\nWiki\r\n0\r\n", 1000).status, Parse::kIncomplete);
  EXPECT_EQ(DecodeChunked("zz\r\nWiki\r\n", 1000).status, Parse::kBad);
  EXPECT_EQ(DecodeChunked("4\r\nWikiXX0\r\n\r\n", 1000).status, Parse::kBad);
  EXPECT_EQ(DecodeChunked(std::string(2000, '1'), 1000).status, Parse::kBad);
  EXPECT_EQ(DecodeChunked("400\r\n", 1000).status, Parse::kTooLarge);
  EXPECT_EQ(DecodeChunked("fffffffffffffffffff\r\n", 1000).status, Parse::kBad);
}

TEST(DecodeChunked, ResumesWhereItStoppedAsBytesTrickleIn) {
  const std::string data = "3\r\nabc\r\n10;x=y\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n";
  ChunkedState state;
  for (size_t n = 0; n < data.size(); ++n) {
    ASSERT_EQ(DecodeChunked(std::string_view(data).substr(0, n), 1000, state), Parse::kIncomplete)
        << n;
  }
  ASSERT_EQ(DecodeChunked(data, 1000, state), Parse::kDone);
  EXPECT_EQ(state.body, "abc0123456789abcdef");
  EXPECT_EQ(state.pos, data.size());
}

TEST(ResponseHead, CarriesLengthIdAndConnection) {
  Response response = Response::Text(404, "x");
  response.headers.emplace_back("Vary", "Accept-Encoding");
  EXPECT_EQ(ResponseHead(response, 12, "id-1", true),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 12\r\nX-Request-Id: id-1\r\nConnection: close\r\n"
            "Vary: Accept-Encoding\r\n\r\n");
}

}  // namespace
}  // namespace codebot::http::detail
