#include "http/head_syntax.h"

#include <cstring>

#include <llmp/cpp/bytes.hpp>

namespace llmp::host::http {
namespace {

bool isTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) {
    return true;
  }
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

}  // namespace

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

FieldLine parseFieldLine(std::string_view line, std::string_view* name, std::string_view* value) {
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    return FieldLine::Folded;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) {
    return FieldLine::Malformed;
  }
  *name = line.substr(0, colon);
  *value = trimOws(line.substr(colon + 1));
  for (char c : *value) {
    if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == '\x7f') {
      return FieldLine::Malformed;
    }
  }
  return FieldLine::Ok;
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

bool FramingFields::take(std::string_view name, std::string_view value, const char** why) {
  if (iequals(name, "content-length")) {
    int64_t n = 0;
    if (!parseContentLength(value, &n) || (contentLength >= 0 && contentLength != n)) {
      *why = "invalid Content-Length";
      return false;
    }
    contentLength = n;
  } else if (iequals(name, "transfer-encoding")) {
    transferEncoding = true;
    chunked = false;
    forEachListElement(value, [&](std::string_view coding) { chunked = iequals(coding, "chunked"); });
    unchunkedCoding = unchunkedCoding || !chunked;
  } else if (iequals(name, "connection")) {
    forEachListElement(value, [&](std::string_view option) {
      close = close || iequals(option, "close");
      keepAlive = keepAlive || iequals(option, "keep-alive");
    });
  }
  return true;
}

}  // namespace llmp::host::http
