// HTTP/1.1 on the wire for the server: the request head, the body's framing (Content-Length or
// chunked) and the response head. Pure functions over bytes already received, so that the
// connection loop can call them again as more bytes arrive and tests need no socket. They never
// allocate more than the limits they are given allow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/http/server.h"

namespace codebot::http::detail {

// ASCII case-insensitive equality (header names, tokens).
bool EqualsNoCase(std::string_view a, std::string_view b);
// Without leading and trailing spaces and tabs (HTTP's optional white space).
std::string_view Trim(std::string_view text);

enum class Parse { kIncomplete, kDone, kBad, kTooLarge };

struct RequestHead {
  std::string method;
  std::string path;       // percent-decoded, without the query
  std::string query;      // raw, without '?'
  int minor_version = 1;  // HTTP/1.<minor_version>
  Headers headers;
  bool chunked = false;         // Transfer-Encoding: chunked
  uint64_t content_length = 0;  // when not chunked
  bool keep_alive = true;       // HTTP/1.1 without "Connection: close"
  bool expect_continue = false;
};

struct HeadResult {
  Parse status = Parse::kIncomplete;
  size_t length = 0;  // bytes of the head, its empty line included, when kDone
  RequestHead head;
  std::string error;  // when kBad
};

// Parses the request head at the start of data; kTooLarge when it is not complete within
// max_bytes. Empty lines before the request line are skipped, as RFC 9112 allows.
HeadResult ParseHead(std::string_view data, size_t max_bytes);

// Where the decoding of a chunked body stands between calls, so that however the body trickles
// in, each chunk's data is looked at once.
struct ChunkedState {
  size_t pos = 0;         // bytes of the data decoded: whole chunks, then trailer lines
  bool trailers = false;  // the last chunk is read; trailer lines follow
  std::string body;       // the chunks decoded so far
};

// Continues decoding the chunked body at the start of data (the data of the previous call, maybe
// longer). kDone: state.pos is the length of the encoding, trailers included, state.body the
// body; kTooLarge once the body would pass max_body.
Parse DecodeChunked(std::string_view data, size_t max_body, ChunkedState& state);

struct ChunkedResult {
  Parse status = Parse::kIncomplete;
  size_t length = 0;  // bytes of the chunked encoding, trailers included, when kDone
  std::string body;   // the decoded body when kDone
};

// The same in one call, from a fresh state.
ChunkedResult DecodeChunked(std::string_view data, size_t max_body);

const char* StatusText(int status);

// Status line and headers up to the empty line, for a body of content_length bytes.
std::string ResponseHead(const Response& response, size_t content_length,
                         std::string_view request_id, bool close);

}  // namespace codebot::http::detail
