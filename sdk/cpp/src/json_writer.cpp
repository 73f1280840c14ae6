#include "llmp/cpp/json_writer.hpp"

#include <charconv>

namespace llmp {
namespace {

// Bytes that go out as they are: printable ASCII other than '"' and '\\'.
bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

}  // namespace

void JsonWriter::separate() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (depth_ == 0) {
    return;
  }
  const uint64_t bit = uint64_t{1} << ((depth_ - 1) % 64);
  if ((nonEmpty_ & bit) != 0) {
    out_ += ',';
  }
  nonEmpty_ |= bit;
}

JsonWriter& JsonWriter::open(char bracket) {
  separate();
  out_ += bracket;
  ++depth_;
  nonEmpty_ &= ~(uint64_t{1} << ((depth_ - 1) % 64));
  return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
  --depth_;
  out_ += bracket;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  string(name);
  out_ += ':';
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
  separate();
  static const char kHex[] = "0123456789abcdef";
  const size_t start = out_.size();
  out_.reserve(start + text.size() + 2);
  out_ += '"';
  size_t run = 0;  // start of the pending plain run
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (plain(c)) {
      continue;
    }
    if (c >= 0x80) {
      // Non-ASCII: nlohmann validates the UTF-8 (and replaces bad sequences); let it.
      out_.resize(start);
      out_ += dumpJson(Json(text));
      return *this;
    }
    out_.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 0xF];
    }
  }
  out_.append(text.data() + run, text.size() - run);
  out_ += '"';
  return *this;
}

JsonWriter& JsonWriter::number(int64_t n) {
  separate();
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  (void)ec;  // 24 bytes hold any int64_t
  out_.append(digits, static_cast<size_t>(end - digits));
  return *this;
}

JsonWriter& JsonWriter::boolean(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::value(const Json& j) {
  separate();
  out_ += dumpJson(j);
  return *this;
}

}  // namespace llmp
