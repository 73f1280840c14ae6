// The head of an HTTP/1.x request (request line and header fields, RFC 9112), parsed without
// copying: every view points into the caller's buffer, and the header list keeps its capacity
// from one request to the next, so a keep-alive connection parses heads without allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <llmp/types.h>

namespace llmp::host {

struct RequestHead {
  std::string_view method;
  std::string_view target;  // origin-form as sent: path, then '?' and the query if any
  int minorVersion = 1;     // HTTP/1.<minorVersion>
  std::vector<llmp_header> headers;
  int64_t contentLength = -1;  // -1: no Content-Length
  bool chunked = false;        // Transfer-Encoding: chunked
  bool keepAlive = true;       // what the client asked for (HTTP/1.1 default, or Connection)
  bool expectContinue = false;

  bool hasBody() const { return chunked || contentLength > 0; }
};

enum class HeadParse {
  Complete,    // a whole head; *headLength bytes of the buffer belong to it
  Incomplete,  // no end of the head yet: read more
  Malformed,   // 400
  TooLarge,    // 431: more header bytes or fields than kMaxHeadBytes / kMaxHeaderFields
};

constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxHeaderFields = 256;

// Parses the head at the start of `buffer`. Empty lines before the request line are skipped
// (RFC 9112 §2.2). On Malformed or TooLarge, *why says what was wrong (a static string).
HeadParse parseRequestHead(std::string_view buffer, RequestHead* head, size_t* headLength,
                           const char** why);

}  // namespace llmp::host
