#include "json_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace llmp::plugins::frontend_gemini {
namespace {

constexpr int kMaxDepth = 512;

// True when none of the eight bytes is a control character, '"', '\\' or non-ASCII (SWAR:
// each test is non-zero exactly when some byte matches).
inline bool plainWord(uint64_t v) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  uint64_t control = (v - kOnes * 0x20) & ~v & kHighs;
  uint64_t q = v ^ (kOnes * static_cast<uint64_t>('"'));
  uint64_t quote = (q - kOnes) & ~q & kHighs;
  uint64_t b = v ^ (kOnes * static_cast<uint64_t>('\\'));
  uint64_t backslash = (b - kOnes) & ~b & kHighs;
  return ((control | quote | backslash | (v & kHighs)) == 0);
}

// A validating recursive-descent scanner over one JSON text. Structure walkers (object/array)
// take callbacks so the caller can inspect the members it cares about and skip the rest.
class Scanner {
 public:
  explicit Scanner(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  const char* pos() const { return p_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }
  // The first byte of the next value ('\0' at the end).
  char peek() {
    ws();
    return p_ < end_ ? *p_ : '\0';
  }
  bool atEnd() {
    ws();
    return p_ == end_;
  }

  bool syntax(const char* what) {
    if (error_.empty()) {
      error_ = std::string("Invalid JSON payload received. ") + what + " at byte " +
               std::to_string(p_ - begin_) + ".";
    }
    return false;
  }
  bool semantic(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
    }
    return false;
  }

  // Skips one value of any type, validating it.
  bool value(int depth) {
    switch (peek()) {
      case '{':
        return object(depth, [this, depth](std::string_view, bool) { return value(depth + 1); });
      case '[':
        return array(depth, [this, depth](size_t) { return value(depth + 1); });
      case '"':
        return string(nullptr, nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      case '\0':
        return p_ < end_ ? syntax("Unexpected character") : syntax("Unexpected end of input");
      default:
        return number();
    }
  }

  // p_ at '{'. onMember(key, keyHasEscapes) must consume the member's value.
  template <class OnMember>
  bool object(int depth, OnMember&& onMember) {
    if (depth >= kMaxDepth) {
      return syntax("Nesting too deep");
    }
    ++p_;
    if (peek() == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      if (peek() != '"') {
        return syntax("Expected an object key or '}'");
      }
      std::string_view key;
      bool escaped = false;
      if (!string(&key, &escaped)) {
        return false;
      }
      if (peek() != ':') {
        return syntax("Expected ':' after an object key");
      }
      ++p_;
      ws();
      if (!onMember(key, escaped)) {
        return false;
      }
      char c = peek();
      if (c == ',') {
        ++p_;
        continue;
      }
      if (c == '}') {
        ++p_;
        return true;
      }
      return syntax("Expected ',' or '}' after an object member");
    }
  }

  // p_ at '['. onElement(index) must consume the element.
  template <class OnElement>
  bool array(int depth, OnElement&& onElement) {
    if (depth >= kMaxDepth) {
      return syntax("Nesting too deep");
    }
    ++p_;
    if (peek() == ']') {
      ++p_;
      return true;
    }
    for (size_t index = 0;; ++index) {
      ws();
      if (!onElement(index)) {
        return false;
      }
      char c = peek();
      if (c == ',') {
        ++p_;
        continue;
      }
      if (c == ']') {
        ++p_;
        return true;
      }
      return syntax("Expected ',' or ']' after an array element");
    }
  }

  // p_ at '"'. *raw receives the bytes between the quotes (escapes not decoded).
  bool string(std::string_view* raw, bool* escaped) {
    const char* start = ++p_;
    bool sawEscape = false;
    while (true) {
      // Fast path over plain printable ASCII: eight bytes at a time, then byte by byte.
      while (end_ - p_ >= 8) {
        uint64_t word;
        std::memcpy(&word, p_, 8);
        if (!plainWord(word)) {
          break;
        }
        p_ += 8;
      }
      while (p_ < end_) {
        unsigned char c = static_cast<unsigned char>(*p_);
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
          break;
        }
        ++p_;
      }
      if (p_ >= end_) {
        return syntax("Unterminated string");
      }
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        if (raw != nullptr) {
          *raw = std::string_view(start, static_cast<size_t>(p_ - start));
        }
        if (escaped != nullptr) {
          *escaped = sawEscape;
        }
        ++p_;
        return true;
      }
      if (c == '\\') {
        sawEscape = true;
        if (!escape()) {
          return false;
        }
        continue;
      }
      if (c < 0x20) {
        return syntax("Control character in a string");
      }
      if (!utf8()) {
        return false;
      }
    }
  }

 private:
  bool literal(const char* word) {
    size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) {
      return syntax("Unexpected token");
    }
    p_ += n;
    return true;
  }

  bool digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      ++p_;
    }
    return p_ > start;
  }

  bool number() {
    if (p_ < end_ && *p_ == '-') {
      ++p_;
    }
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (!(p_ < end_ && *p_ >= '1' && *p_ <= '9') || !digits()) {
      return syntax("Unexpected token");
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (!digits()) {
        return syntax("Expected digits after '.'");
      }
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) {
        ++p_;
      }
      if (!digits()) {
        return syntax("Expected digits in an exponent");
      }
    }
    return true;
  }

  bool hex4(uint32_t* out) {
    if (end_ - p_ < 4) {
      return syntax("Invalid \\u escape");
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = p_[i];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return syntax("Invalid \\u escape");
      }
    }
    p_ += 4;
    *out = v;
    return true;
  }

  // p_ at '\\'.
  bool escape() {
    ++p_;
    if (p_ >= end_) {
      return syntax("Unterminated string");
    }
    char c = *p_++;
    switch (c) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return true;
      case 'u': {
        uint32_t cp = 0;
        if (!hex4(&cp)) {
          return false;
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return syntax("Lone low surrogate in a \\u escape");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low = 0;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
            return syntax("High surrogate not followed by a low surrogate");
          }
          p_ += 2;
          if (!hex4(&low)) {
            return false;
          }
          if (low < 0xDC00 || low > 0xDFFF) {
            return syntax("High surrogate not followed by a low surrogate");
          }
        }
        return true;
      }
      default:
        --p_;
        return syntax("Invalid escape in a string");
    }
  }

  // p_ at a byte >= 0x80: one well-formed UTF-8 sequence (no overlongs, surrogates, > U+10FFFF).
  bool utf8() {
    auto byte = [this](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
    auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
    unsigned char b0 = byte(0);
    std::ptrdiff_t avail = end_ - p_;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      if (avail >= 2 && cont(byte(1))) {
        p_ += 2;
        return true;
      }
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      if (avail >= 3 && cont(byte(1)) && cont(byte(2))) {
        unsigned char b1 = byte(1);
        if (!(b0 == 0xE0 && b1 < 0xA0) && !(b0 == 0xED && b1 >= 0xA0)) {
          p_ += 3;
          return true;
        }
      }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      if (avail >= 4 && cont(byte(1)) && cont(byte(2)) && cont(byte(3))) {
        unsigned char b1 = byte(1);
        if (!(b0 == 0xF0 && b1 < 0x90) && !(b0 == 0xF4 && b1 >= 0x90)) {
          p_ += 4;
          return true;
        }
      }
    }
    return syntax("Invalid UTF-8 in a string");
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::string error_;
};

// Compares a raw key to a name; keys written with escapes are decoded first (rare).
bool keyIs(std::string_view raw, bool escaped, std::string_view name) {
  if (!escaped) {
    return raw == name;
  }
  std::string decoded;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\' || i + 1 >= raw.size()) {
      decoded.push_back(raw[i]);
      continue;
    }
    char c = raw[++i];
    if (c == 'u' && i + 4 < raw.size()) {
      unsigned v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 4; ++k) {
        char h = raw[i + k];
        v <<= 4;
        if (h >= '0' && h <= '9') {
          v |= static_cast<unsigned>(h - '0');
        } else if (h >= 'a' && h <= 'f') {
          v |= static_cast<unsigned>(h - 'a' + 10);
        } else if (h >= 'A' && h <= 'F') {
          v |= static_cast<unsigned>(h - 'A' + 10);
        } else {
          ok = false;
        }
      }
      i += 4;
      // Gemini field names are ASCII: any other code point cannot match.
      decoded.push_back(ok && v < 0x80 ? static_cast<char>(v) : '\x01');
      continue;
    }
    switch (c) {
      case 'b': decoded.push_back('\b'); break;
      case 'f': decoded.push_back('\f'); break;
      case 'n': decoded.push_back('\n'); break;
      case 'r': decoded.push_back('\r'); break;
      case 't': decoded.push_back('\t'); break;
      default: decoded.push_back(c); break;
    }
  }
  return decoded == name;
}

const char* typeName(char first) {
  switch (first) {
    case '{': return "an object";
    case '[': return "an array";
    case '"': return "a string";
    case 't': case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
  }
}

std::string invalidValue(std::string_view field, const char* expected, char got) {
  return "Invalid value at '" + std::string(field) + "': expected " + expected + ", got " +
         typeName(got) + ".";
}

// Expects the next value to start with `open` (or be null when nullable), then skips it.
bool typedMember(Scanner& s, int depth, std::string_view prefix, std::string_view field,
                 char open, const char* expected, bool nullable = true) {
  char c = s.peek();
  if (c == open || (nullable && c == 'n') || c == '\0') {
    return s.value(depth);
  }
  return s.semantic(invalidValue(std::string(prefix) + std::string(field), expected, c));
}

// Names a field for messages; built only when there is something to report.
struct FieldPath {
  std::string_view prefix;
  std::string_view field;
  long index = -1;
  std::string str() const {
    std::string out(prefix);
    out.append(field);
    if (index >= 0) {
      out += "[" + std::to_string(index) + "]";
    }
    return out;
  }
};

// A Content object: {role?: string, parts?: [object, ...], ...}.
bool content(Scanner& s, int depth, const FieldPath& where) {
  char c = s.peek();
  if (c != '{') {
    if (c == '\0') {
      return s.value(depth);
    }
    return s.semantic(invalidValue(where.str(), "a Content object", c));
  }
  return s.object(depth, [&](std::string_view key, bool escaped) {
    if (keyIs(key, escaped, "role")) {
      char r = s.peek();
      if (r == '"' || r == 'n' || r == '\0') {
        return s.value(depth + 1);
      }
      return s.semantic(invalidValue(where.str() + ".role", "a string", r));
    }
    if (keyIs(key, escaped, "parts")) {
      char p = s.peek();
      if (p == 'n') {
        return s.value(depth + 1);
      }
      if (p != '[') {
        return p == '\0' ? s.value(depth + 1)
                         : s.semantic(invalidValue(where.str() + ".parts",
                                                   "an array of Part objects", p));
      }
      return s.array(depth + 1, [&](size_t index) {
        char e = s.peek();
        if (e != '{' && e != '\0') {
          return s.semantic(invalidValue(
              where.str() + ".parts[" + std::to_string(index) + "]", "a Part object", e));
        }
        return s.value(depth + 2);
      });
    }
    return s.value(depth + 1);
  });
}

// The members of a GenerateContentRequest; prefix names the enclosing field in messages.
bool generateRequest(Scanner& s, int depth, std::string_view prefix) {
  char c = s.peek();
  if (c != '{') {
    if (c == '\0') {
      return s.value(depth);
    }
    std::string where = prefix.empty() ? std::string("the request body")
                                       : "'" + std::string(prefix.substr(0, prefix.size() - 1)) + "'";
    return s.semantic("Invalid JSON payload received. Expected " + where +
                      " to be a GenerateContentRequest object, got " + typeName(c) + ".");
  }
  size_t contentsCount = 0;
  bool sawContents = false;
  bool ok = s.object(depth, [&](std::string_view key, bool escaped) {
    if (keyIs(key, escaped, "contents")) {
      char a = s.peek();
      if (a == 'n') {
        return s.value(depth + 1);
      }
      if (a != '[') {
        return a == '\0' ? s.value(depth + 1)
                         : s.semantic(invalidValue(std::string(prefix) + "contents",
                                                   "an array of Content objects", a));
      }
      sawContents = true;
      contentsCount = 0;
      return s.array(depth + 1, [&](size_t index) {
        ++contentsCount;
        return content(s, depth + 2, FieldPath{prefix, "contents", static_cast<long>(index)});
      });
    }
    if (keyIs(key, escaped, "systemInstruction")) {
      char v = s.peek();
      if (v == '{') {
        return content(s, depth + 1, FieldPath{prefix, "systemInstruction"});
      }
      return typedMember(s, depth + 1, prefix, "systemInstruction", '{', "a Content object");
    }
    if (keyIs(key, escaped, "generationConfig")) {
      return typedMember(s, depth + 1, prefix, "generationConfig", '{', "an object");
    }
    if (keyIs(key, escaped, "toolConfig")) {
      return typedMember(s, depth + 1, prefix, "toolConfig", '{', "an object");
    }
    if (keyIs(key, escaped, "tools")) {
      return typedMember(s, depth + 1, prefix, "tools", '[', "an array of Tool objects");
    }
    if (keyIs(key, escaped, "safetySettings")) {
      return typedMember(s, depth + 1, prefix, "safetySettings", '[', "an array");
    }
    if (keyIs(key, escaped, "cachedContent")) {
      return typedMember(s, depth + 1, prefix, "cachedContent", '"', "a string");
    }
    if (keyIs(key, escaped, "model")) {
      return typedMember(s, depth + 1, prefix, "model", '"', "a string");
    }
    return s.value(depth + 1);
  });
  if (!ok) {
    return false;
  }
  if (!sawContents || contentsCount == 0) {
    return s.semantic("* GenerateContentRequest." + std::string(prefix) +
                      "contents: contents is not specified");
  }
  return true;
}

CheckResult finish(Scanner& s, bool ok) {
  if (ok && !s.atEnd()) {
    ok = s.syntax("Unexpected data after the JSON value");
  }
  CheckResult result;
  result.ok = ok && !s.failed();
  if (!result.ok) {
    result.message = s.failed() ? s.error() : "Invalid JSON payload received.";
  }
  return result;
}

}  // namespace

CheckResult checkGenerateRequest(std::string_view body) {
  Scanner s(body);
  if (s.atEnd()) {
    Scanner empty(body);
    empty.syntax("Empty request body");
    return finish(empty, false);
  }
  bool ok = generateRequest(s, 0, "");
  return finish(s, ok);
}

CheckResult checkCountTokensRequest(std::string_view body, std::string_view* ir) {
  Scanner s(body);
  *ir = body;
  char c = s.peek();
  if (c != '{') {
    if (c == '\0' || !s.value(0)) {
      if (!s.failed()) {
        s.syntax("Empty request body");
      }
      return finish(s, false);
    }
    s.semantic(std::string("Invalid JSON payload received. Expected the request body to be a "
                           "CountTokensRequest object, got ") + typeName(c) + ".");
    return finish(s, false);
  }
  bool sawContents = false;
  bool sawInner = false;
  std::string_view inner;
  bool ok = s.object(0, [&](std::string_view key, bool escaped) {
    if (keyIs(key, escaped, "contents")) {
      char a = s.peek();
      if (a != '[' && a != 'n' && a != '\0') {
        return s.semantic(invalidValue("contents", "an array of Content objects", a));
      }
      sawContents = a == '[';
      if (a != '[') {
        return s.value(1);
      }
      return s.array(1, [&](size_t index) {
        return content(s, 2, FieldPath{"", "contents", static_cast<long>(index)});
      });
    }
    if (keyIs(key, escaped, "generateContentRequest")) {
      char v = s.peek();
      if (v == 'n') {
        return s.value(1);
      }
      const char* start = s.pos();
      if (!generateRequest(s, 1, "generateContentRequest.")) {
        return false;
      }
      sawInner = true;
      inner = std::string_view(start, static_cast<size_t>(s.pos() - start));
      return true;
    }
    return s.value(1);
  });
  if (ok && sawContents && sawInner) {
    ok = s.semantic(
        "Invalid argument: 'contents' and 'generateContentRequest' are mutually exclusive.");
  }
  if (ok && !sawContents && !sawInner) {
    ok = s.semantic("* CountTokensRequest: either contents or generateContentRequest must be "
                    "specified");
  }
  CheckResult result = finish(s, ok);
  if (result.ok && sawInner) {
    *ir = inner;
  }
  return result;
}

}  // namespace llmp::plugins::frontend_gemini
