#include "services/response_head.h"

#include <llmp/cpp/bytes.hpp>

#include "http/head_syntax.h"

namespace llmp::host::services {
namespace {

// "HTTP/1.1 200 OK"; the reason phrase may be empty or missing.
bool parseStatusLine(std::string_view line, ResponseHead* head) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') {
    return false;
  }
  if (line[7] != '0' && line[7] != '1') {
    return false;
  }
  head->minorVersion = line[7] - '0';
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') {
      return false;
    }
    status = status * 10 + (line[i] - '0');
  }
  if (line.size() > 12 && line[12] != ' ') {
    return false;
  }
  head->status = status;
  return status >= 100;
}

}  // namespace

ResponseParse parseResponseHead(std::string_view buffer, ResponseHead* head, size_t* headLength,
                                const char** why) {
  head->headers.clear();
  http::FramingFields framing;

  auto incomplete = [&] {
    if (buffer.size() > kMaxResponseHeadBytes) {
      *why = "response head larger than 64 KiB";
      return ResponseParse::Malformed;
    }
    return ResponseParse::Incomplete;
  };
  std::string_view rest = buffer;
  std::string_view line;
  if (!http::nextLine(rest, &line)) {
    return incomplete();
  }
  if (!parseStatusLine(line, head)) {
    *why = "malformed status line";
    return ResponseParse::Malformed;
  }
  for (;;) {
    if (!http::nextLine(rest, &line)) {
      return incomplete();
    }
    if (line.empty()) {
      break;
    }
    std::string_view name;
    std::string_view value;
    if (http::parseFieldLine(line, &name, &value) != http::FieldLine::Ok) {
      *why = "malformed header field";
      return ResponseParse::Malformed;
    }
    head->headers.push_back(llmp_header{toBytes(name), toBytes(value)});
    if (!framing.take(name, value, why)) {
      return ResponseParse::Malformed;
    }
  }
  // Transfer-Encoding overrides Content-Length; a coding other than chunked last means the body
  // runs to the close (RFC 9112 §6.3).
  head->contentLength = framing.contentLength;
  head->chunked = framing.chunked;
  head->closeDelimited = framing.transferEncoding && !framing.chunked;
  head->keepAlive = framing.persistent(head->minorVersion) && !head->closeDelimited &&
                    !(framing.transferEncoding && framing.contentLength >= 0);
  *headLength = static_cast<size_t>(rest.data() - buffer.data());
  return ResponseParse::Complete;
}

}  // namespace llmp::host::services
