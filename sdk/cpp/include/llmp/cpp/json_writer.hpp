// A JSON text writer for fixed-shape output (API responses, stream events): appends straight
// into one string, where building an nlohmann DOM and dumping it costs a heap node per value and
// per object key. Output is byte-for-byte what llmp::dumpJson would write for the same values
// (compact, UTF-8 kept, invalid UTF-8 replaced by U+FFFD), so the two can be mixed; keys are
// written in the order the caller gives them (nlohmann::json sorts them: write them sorted to
// match its output).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "json.hpp"

namespace llmp {

class JsonWriter {
 public:
  JsonWriter() = default;
  // Appends to `start` (e.g. earlier output, or a "data: " prefix) instead of an empty string.
  explicit JsonWriter(std::string start) : out_(std::move(start)) {}

  JsonWriter& beginObject() { return open('{'); }
  JsonWriter& endObject() { return close('}'); }
  JsonWriter& beginArray() { return open('['); }
  JsonWriter& endArray() { return close(']'); }
  // The next member's name; its value follows with one of the value calls.
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view text);
  JsonWriter& number(int64_t n);
  JsonWriter& boolean(bool b);
  JsonWriter& null();
  // Any DOM value, serialized as llmp::dumpJson would.
  JsonWriter& value(const Json& j);
  // Text appended as it is, outside any JSON value (framing such as SSE's "\n\n").
  JsonWriter& raw(std::string_view text) {
    out_.append(text);
    return *this;
  }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);
  void separate();  // a comma before every element after a container's first

  std::string out_;
  uint64_t nonEmpty_ = 0;  // bit d: the container at depth d already has an element
  unsigned depth_ = 0;     // up to 64 levels
  bool afterKey_ = false;
};

}  // namespace llmp
