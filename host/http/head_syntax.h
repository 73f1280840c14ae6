// The syntax shared by HTTP/1.x request and response heads (RFC 9110 §5, RFC 9112 §2–5): lines,
// tokens, header field lines and list-valued fields. Everything works on views; nothing copies.
#pragma once

#include <cstdint>
#include <string_view>

namespace llmp::host::http {

bool isToken(std::string_view s);
std::string_view trimOws(std::string_view s);

// Takes the next line off `rest` without its line ending (CR LF, or a bare LF, RFC 9112 §2.2);
// false when no line ending has arrived yet.
bool nextLine(std::string_view& rest, std::string_view* line);

enum class FieldLine { Ok, Folded, Malformed };
// Splits "name: value" (value without surrounding blanks). Folded: the line continues the previous
// field (obsolete line folding, refused by both sides). Malformed: no colon, a name that is not a
// token, or a control character in the value.
FieldLine parseFieldLine(std::string_view line, std::string_view* name, std::string_view* value);

// A Content-Length value: digits only, below 10^18.
bool parseContentLength(std::string_view value, int64_t* out);

// The fields that frame a message and decide its connection's fate (RFC 9112 §6, §9.3), gathered
// field by field while a head is parsed. Request and response heads read them alike; they differ
// in what they do with the result.
struct FramingFields {
  int64_t contentLength = -1;      // -1: none
  bool transferEncoding = false;   // a Transfer-Encoding field was seen
  bool chunked = false;            // the last Transfer-Encoding field ends with chunked
  bool unchunkedCoding = false;    // some Transfer-Encoding field does not end with chunked
  bool close = false;              // Connection: close
  bool keepAlive = false;          // Connection: keep-alive

  // Takes one header field (any field: others are ignored). False, with *why, for a malformed
  // Content-Length or one that disagrees with an earlier one (the body's end would be
  // ambiguous).
  bool take(std::string_view name, std::string_view value, const char** why);
  // Whether the connection may carry another message, by HTTP version and Connection field.
  bool persistent(int minorVersion) const {
    return minorVersion >= 1 ? !close : keepAlive && !close;
  }
};

// Calls fn for every comma-separated, non-empty element of a list-valued field (RFC 9110 §5.6.1).
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

}  // namespace llmp::host::http
