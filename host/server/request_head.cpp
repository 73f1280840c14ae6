#include "server/request_head.h"

#include <cstring>

#include <llmp/cpp/bytes.hpp>

namespace llmp::host {
namespace {

bool isTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) {
    return true;
  }
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool isToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!isTokenChar(c)) {
      return false;
    }
  }
  return true;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The next line of `rest` without its line ending (CR LF, or a bare LF, RFC 9112 §2.2); false
// when no line ending has arrived yet.
bool nextLine(std::string_view& rest, std::string_view* line) {
  const size_t lf = rest.find('\n');
  if (lf == std::string_view::npos) {
    return false;
  }
  *line = rest.substr(0, lf);
  if (!line->empty() && line->back() == '\r') {
    line->remove_suffix(1);
  }
  rest.remove_prefix(lf + 1);
  return true;
}

// Calls fn for every comma-separated element of a list-valued field (RFC 9110 §5.6.1).
template <typename Fn>
void forEachListElement(std::string_view value, Fn fn) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    std::string_view element = trimOws(value.substr(0, comma));
    if (!element.empty()) {
      fn(element);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
}

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

bool parseContentLength(std::string_view value, int64_t* out) {
  if (value.empty() || value.size() > 18) {
    return false;  // 18 digits stay below INT64_MAX
  }
  int64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      return false;
    }
    n = n * 10 + (c - '0');
  }
  *out = n;
  return true;
}

}  // namespace

HeadParse parseRequestHead(std::string_view buffer, RequestHead* head, size_t* headLength,
                           const char** why) {
  head->headers.clear();
  head->contentLength = -1;
  head->chunked = false;
  head->expectContinue = false;
  bool sawClose = false;
  bool sawKeepAlive = false;
  bool sawTransferEncoding = false;

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
    if (line.front() == ' ' || line.front() == '\t') {
      *why = "obsolete line folding in a header field";
      return HeadParse::Malformed;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) {
      *why = "malformed header field";
      return HeadParse::Malformed;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trimOws(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == '\x7f') {
        *why = "control character in a header value";
        return HeadParse::Malformed;
      }
    }
    if (head->headers.size() >= kMaxHeaderFields) {
      *why = "too many header fields";
      return HeadParse::TooLarge;
    }
    head->headers.push_back(llmp_header{toBytes(name), toBytes(value)});

    if (iequals(name, "content-length")) {
      int64_t n = 0;
      // Repeated Content-Length fields must agree, or the body's end is ambiguous.
      if (!parseContentLength(value, &n) || (head->contentLength >= 0 && head->contentLength != n)) {
        *why = "invalid Content-Length";
        return HeadParse::Malformed;
      }
      head->contentLength = n;
    } else if (iequals(name, "transfer-encoding")) {
      sawTransferEncoding = true;
      head->chunked = false;
      // Only chunked may come last (RFC 9112 §6.3); other codings are not supported.
      forEachListElement(value, [&](std::string_view coding) { head->chunked = iequals(coding, "chunked"); });
      if (!head->chunked) {
        *why = "unsupported Transfer-Encoding";
        return HeadParse::Malformed;
      }
    } else if (iequals(name, "connection")) {
      forEachListElement(value, [&](std::string_view option) {
        sawClose = sawClose || iequals(option, "close");
        sawKeepAlive = sawKeepAlive || iequals(option, "keep-alive");
      });
    } else if (iequals(name, "expect")) {
      head->expectContinue = iequals(value, "100-continue");
    }
  }
  if (sawTransferEncoding && head->contentLength >= 0) {
    // Both framings at once is how request smuggling starts: refuse rather than pick one.
    *why = "both Transfer-Encoding and Content-Length";
    return HeadParse::Malformed;
  }
  if (static_cast<size_t>(rest.data() - buffer.data()) > kMaxHeadBytes) {
    *why = "request head too large";
    return HeadParse::TooLarge;
  }
  head->keepAlive = head->minorVersion >= 1 ? !sawClose : sawKeepAlive && !sawClose;
  head->expectContinue = head->expectContinue && head->minorVersion >= 1;
  *headLength = static_cast<size_t>(rest.data() - buffer.data());
  return HeadParse::Complete;
}

}  // namespace llmp::host
