#include "server/request_head.h"

#include <llmp/cpp/bytes.hpp>

#include "http/head_syntax.h"

namespace llmp::host {
namespace {

using http::isToken;
using http::nextLine;

bool parseRequestLine(std::string_view line, RequestHead* head) {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) {
    return false;
  }
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    return false;
  }
  head->method = line.substr(0, sp1);
  head->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!isToken(head->method) || head->target.empty()) {
    return false;
  }
  for (char c : head->target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') {
      return false;
    }
  }
  if (version == "HTTP/1.1") {
    head->minorVersion = 1;
  } else if (version == "HTTP/1.0") {
    head->minorVersion = 0;
  } else {
    return false;
  }
  return true;
}

}  // namespace

HeadParse parseRequestHead(std::string_view buffer, RequestHead* head, size_t* headLength,
                           const char** why) {
  head->headers.clear();
  head->expectContinue = false;
  http::FramingFields framing;

  std::string_view rest = buffer;
  std::string_view line;
  do {  // empty lines before the request line are allowed
    if (!nextLine(rest, &line)) {
      if (buffer.size() > kMaxHeadBytes) {
        *why = "request head too large";
        return HeadParse::TooLarge;
      }
      return HeadParse::Incomplete;
    }
  } while (line.empty());
  if (!parseRequestLine(line, head)) {
    *why = "malformed request line";
    return HeadParse::Malformed;
  }

  for (;;) {
    if (!nextLine(rest, &line)) {
      if (buffer.size() > kMaxHeadBytes) {
        *why = "request head too large";
        return HeadParse::TooLarge;
      }
      return HeadParse::Incomplete;
    }
    if (line.empty()) {
      break;  // end of the head
    }
    std::string_view name;
    std::string_view value;
    switch (http::parseFieldLine(line, &name, &value)) {
      case http::FieldLine::Ok:
        break;
      case http::FieldLine::Folded:
        *why = "obsolete line folding in a header field";
        return HeadParse::Malformed;
      case http::FieldLine::Malformed:
        *why = "malformed header field";
        return HeadParse::Malformed;
    }
    if (head->headers.size() >= kMaxHeaderFields) {
      *why = "too many header fields";
      return HeadParse::TooLarge;
    }
    head->headers.push_back(llmp_header{toBytes(name), toBytes(value)});

    if (!framing.take(name, value, why)) {
      return HeadParse::Malformed;
    }
    if (framing.unchunkedCoding) {
      // Only chunked may come last (RFC 9112 §6.3); other codings are not supported.
      *why = "unsupported Transfer-Encoding";
      return HeadParse::Malformed;
    }
    if (iequals(name, "expect")) {
      head->expectContinue = iequals(value, "100-continue");
    }
  }
  if (framing.transferEncoding && framing.contentLength >= 0) {
    // Both framings at once is how request smuggling starts: refuse rather than pick one.
    *why = "both Transfer-Encoding and Content-Length";
    return HeadParse::Malformed;
  }
  if (static_cast<size_t>(rest.data() - buffer.data()) > kMaxHeadBytes) {
    *why = "request head too large";
    return HeadParse::TooLarge;
  }
  head->contentLength = framing.contentLength;
  head->chunked = framing.chunked;
  head->keepAlive = framing.persistent(head->minorVersion);
  head->expectContinue = head->expectContinue && head->minorVersion >= 1;
  *headLength = static_cast<size_t>(rest.data() - buffer.data());
  return HeadParse::Complete;
}

}  // namespace llmp::host
