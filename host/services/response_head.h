// The head of an upstream's HTTP/1.x response (status line and header fields, RFC 9112), parsed
// without copying: the views point into the caller's buffer, and the header list keeps its
// capacity between responses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <llmp/types.h>

namespace llmp::host::services {

struct ResponseHead {
  int32_t status = 0;
  int minorVersion = 1;
  std::vector<llmp_header> headers;
  int64_t contentLength = -1;  // -1: no Content-Length
  bool chunked = false;        // Transfer-Encoding ends with chunked
  bool closeDelimited = false; // another Transfer-Encoding: the body ends with the close
  bool keepAlive = true;       // the server lets the connection carry another request
};

enum class ResponseParse { Complete, Incomplete, Malformed };

constexpr size_t kMaxResponseHeadBytes = 64 * 1024;

// Parses the head at the start of `buffer`. Complete: *headLength bytes belong to it. Malformed:
// *why says what was wrong (a static string).
ResponseParse parseResponseHead(std::string_view buffer, ResponseHead* head, size_t* headLength,
                                const char** why);

}  // namespace llmp::host::services
