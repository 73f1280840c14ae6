// isValidJson: a syntax check that builds nothing. A backend checks every upstream answer (and
// every streamed event) before handing it on; nlohmann's accept() lexes with a copy of each string
// into its token buffer, a character at a time, and was one of the top entries of the Gemini
// pass-through profile. This checker reads each byte once through a class table. It accepts
// exactly what nlohmann::json::accept accepts (tests/sdk/json_valid_test.cpp compares both over
// hand-made cases and mutated documents), so the result a client sees does not depend on which of
// the two a backend used.
#include <llmp/cpp/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace llmp {
namespace {

// What a byte inside a string is.
enum ByteClass : uint8_t {
  kPlain,    // ASCII that stands for itself
  kQuote,    // ends the string
  kEscape,   // backslash
  kControl,  // below 0x20: not allowed unescaped
  kLead2,    // C2..DF: one continuation byte follows
  kLeadE0,   // E0: A0..BF then one more
  kLead3,    // E1..EC, EE..EF: two continuation bytes
  kLeadED,   // ED: 80..9F (no UTF-16 surrogates) then one more
  kLeadF0,   // F0: 90..BF then two more
  kLead4,    // F1..F3: three continuation bytes
  kLeadF4,   // F4: 80..8F (at most U+10FFFF) then two more
  kInvalid,  // 80..C1, F5..FF: never the first byte of a UTF-8 sequence
};

constexpr std::array<uint8_t, 256> makeClasses() {
  std::array<uint8_t, 256> c{};
  for (int b = 0; b < 256; ++b) {
    uint8_t k = kPlain;
    if (b < 0x20) {
      k = kControl;
    } else if (b == '"') {
      k = kQuote;
    } else if (b == '\\') {
      k = kEscape;
    } else if (b < 0x80) {
      k = kPlain;
    } else if (b < 0xC2) {
      k = kInvalid;
    } else if (b < 0xE0) {
      k = kLead2;
    } else if (b == 0xE0) {
      k = kLeadE0;
    } else if (b == 0xED) {
      k = kLeadED;
    } else if (b < 0xF0) {
      k = kLead3;
    } else if (b == 0xF0) {
      k = kLeadF0;
    } else if (b < 0xF4) {
      k = kLead4;
    } else if (b == 0xF4) {
      k = kLeadF4;
    } else {
      k = kInvalid;
    }
    c[static_cast<size_t>(b)] = k;
  }
  return c;
}

constexpr std::array<uint8_t, 256> kClasses = makeClasses();

// The open containers: the first 64 levels in place (no allocation for any usual document),
// deeper ones on the heap.
class OpenStack {
 public:
  bool empty() const { return size_ == 0; }
  char back() const { return size_ <= kInPlace ? inPlace_[size_ - 1] : deep_.back(); }
  void push_back(char c) {
    if (size_ < kInPlace) {
      inPlace_[size_] = c;
    } else {
      deep_.push_back(c);
    }
    ++size_;
  }
  void pop_back() {
    if (size_ > kInPlace) {
      deep_.pop_back();
    }
    --size_;
  }

 private:
  static constexpr size_t kInPlace = 64;
  std::array<char, kInPlace> inPlace_{};
  std::vector<char> deep_;
  size_t size_ = 0;
};

class Checker {
 public:
  explicit Checker(std::string_view text)
      : p_(reinterpret_cast<const uint8_t*>(text.data())), end_(p_ + text.size()) {}

  bool run() {
    // nlohmann skips a UTF-8 byte order mark at the start.
    if (end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) {
      p_ += 3;
    }
    // An explicit stack of open containers ('{' or '['), no recursion: fibers have small stacks
    // and a hostile document may nest deeply.
    OpenStack open;
    for (;;) {
      // A value is expected here.
      skipSpace();
      if (p_ == end_) {
        return false;
      }
      const uint8_t c = *p_;
      if (c == '{' || c == '[') {
        ++p_;
        skipSpace();
        if (p_ != end_ && *p_ == (c == '{' ? '}' : ']')) {
          ++p_;  // an empty container is a complete value
        } else {
          open.push_back(static_cast<char>(c));
          if (c == '{' && !memberName()) {
            return false;
          }
          continue;
        }
      } else if (!scalar()) {
        return false;
      }
      // A value ended: close containers until one goes on with a comma.
      for (;;) {
        skipSpace();
        if (open.empty()) {
          // nlohmann's lexer reads a NUL byte between tokens as the end of the input, so what
          // follows one is never looked at.
          return p_ == end_ || *p_ == '\0';
        }
        if (p_ == end_) {
          return false;
        }
        const char top = open.back();
        if (*p_ == ',') {
          ++p_;
          if (top == '{' && !memberName()) {
            return false;
          }
          break;  // the next value
        }
        if (*p_ != (top == '{' ? '}' : ']')) {
          return false;
        }
        ++p_;
        open.pop_back();
      }
    }
  }

 private:
  void skipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
      ++p_;
    }
  }

  // `"name" :` inside an object, before its value.
  bool memberName() {
    skipSpace();
    if (p_ == end_ || *p_ != '"' || !string()) {
      return false;
    }
    skipSpace();
    if (p_ == end_ || *p_ != ':') {
      return false;
    }
    ++p_;
    return true;
  }

  bool scalar() {
    switch (*p_) {
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(reinterpret_cast<const char*>(p_), word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // At the opening quote.
  bool string() {
    ++p_;
    while (p_ != end_) {
      while (kClasses[*p_] == kPlain) {  // the usual run of ASCII text, a byte per step
        if (++p_ == end_) {
          return false;  // unterminated
        }
      }
      switch (kClasses[*p_]) {
        case kPlain: ++p_; break;
        case kQuote: ++p_; return true;
        case kEscape: if (!escape()) return false; break;
        case kControl: return false;
        case kLead2: if (!continuation(1, 0x80, 0xBF)) return false; break;
        case kLeadE0: if (!continuation(2, 0xA0, 0xBF)) return false; break;
        case kLead3: if (!continuation(2, 0x80, 0xBF)) return false; break;
        case kLeadED: if (!continuation(2, 0x80, 0x9F)) return false; break;
        case kLeadF0: if (!continuation(3, 0x90, 0xBF)) return false; break;
        case kLead4: if (!continuation(3, 0x80, 0xBF)) return false; break;
        case kLeadF4: if (!continuation(3, 0x80, 0x8F)) return false; break;
        default: return false;
      }
    }
    return false;  // unterminated
  }

  // A lead byte and `count` continuation bytes, the first of them within [lo, hi].
  bool continuation(int count, uint8_t lo, uint8_t hi) {
    if (end_ - p_ <= count) {
      return false;
    }
    if (p_[1] < lo || p_[1] > hi) {
      return false;
    }
    for (int i = 2; i <= count; ++i) {
      if (p_[i] < 0x80 || p_[i] > 0xBF) {
        return false;
      }
    }
    p_ += count + 1;
    return true;
  }

  // At a backslash inside a string.
  bool escape() {
    ++p_;
    if (p_ == end_) {
      return false;
    }
    switch (*p_) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        ++p_;
        return true;
      case 'u': break;
      default: return false;
    }
    int unit = hex4();
    if (unit < 0) {
      return false;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      return false;  // a low surrogate must follow a high one
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      // A high surrogate must be followed by an escaped low one.
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
        return false;
      }
      ++p_;
      int low = hex4();
      return low >= 0xDC00 && low <= 0xDFFF;
    }
    return true;
  }

  // At the 'u' of \uXXXX: the code unit, or -1.
  int hex4() {
    ++p_;
    if (end_ - p_ < 4) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < 4; ++i) {
      const uint8_t c = p_[i];
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return -1;
      }
      value = value * 16 + digit;
    }
    p_ += 4;
    return value;
  }

  static bool isDigit(uint8_t c) { return c >= '0' && c <= '9'; }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number() {
    const uint8_t* start = p_;
    if (*p_ == '-') {
      ++p_;
    }
    if (p_ == end_ || !isDigit(*p_)) {
      return false;
    }
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && isDigit(*p_)) {
        ++p_;
      }
    }
    bool exponent = false;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !isDigit(*p_)) {
        return false;
      }
      while (p_ != end_ && isDigit(*p_)) {
        ++p_;
      }
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      exponent = true;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) {
        ++p_;
      }
      if (p_ == end_ || !isDigit(*p_)) {
        return false;
      }
      while (p_ != end_ && isDigit(*p_)) {
        ++p_;
      }
    }
    // nlohmann refuses a number whose value overflows a double ("number overflow"). Without an
    // exponent that takes over 308 digits; only then is the value worth computing.
    const size_t length = static_cast<size_t>(p_ - start);
    if (exponent || length > 300) {
      std::string copy(reinterpret_cast<const char*>(start), length);
      if (!std::isfinite(std::strtod(copy.c_str(), nullptr))) {
        return false;
      }
    }
    return true;
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

bool isValidJson(std::string_view text) { return Checker(text).run(); }

}  // namespace llmp
