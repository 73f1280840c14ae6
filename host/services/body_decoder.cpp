#include "services/body_decoder.h"

#include <algorithm>
#include <cstring>

namespace llmp::host::services {
namespace {
constexpr size_t kMaxLineLength = 8 * 1024;
}

BodyDecoder::BodyDecoder(Mode mode, uint64_t length) : mode_(mode), remaining_(length) {
  switch (mode) {
    case Mode::None:
      state_ = State::Done;
      break;
    case Mode::Length:
      state_ = length == 0 ? State::Done : State::Data;
      break;
    case Mode::Chunked:
      state_ = State::SizeLine;
      break;
    case Mode::UntilClose:
      state_ = State::UntilClose;
      break;
  }
}

bool BodyDecoder::closeEndsBody() const {
  return state_ == State::UntilClose || state_ == State::Trailers || state_ == State::Done;
}

bool BodyDecoder::takeLine(const char*& p, const char* end) {
  const char* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
  const char* stop = lf != nullptr ? lf : end;
  if (line_.size() + static_cast<size_t>(stop - p) > kMaxLineLength) {
    throw BodyFramingError("malformed chunked body (line too long)");
  }
  line_.append(p, stop);
  if (lf == nullptr) {
    p = end;
    return false;
  }
  p = lf + 1;
  if (!line_.empty() && line_.back() == '\r') {
    line_.pop_back();
  }
  return true;
}

uint64_t BodyDecoder::parseChunkSize() const {
  uint64_t size = 0;
  size_t digits = 0;
  for (char ch : line_) {
    int v;
    if (ch >= '0' && ch <= '9') {
      v = ch - '0';
    } else if (ch >= 'a' && ch <= 'f') {
      v = ch - 'a' + 10;
    } else if (ch >= 'A' && ch <= 'F') {
      v = ch - 'A' + 10;
    } else if (ch == ';' || ch == ' ' || ch == '\t') {
      break;  // chunk extensions are ignored
    } else {
      throw BodyFramingError("malformed chunk size");
    }
    if (++digits > 15) {
      throw BodyFramingError("chunk size is too large");
    }
    size = size * 16 + static_cast<uint64_t>(v);
  }
  if (digits == 0) {
    throw BodyFramingError("malformed chunk size");
  }
  return size;
}

BodyDecoder::Fed BodyDecoder::feed(const char* data, size_t size, const OnData& onData) {
  const char* p = data;
  const char* const end = data + size;
  while (p < end) {
    switch (state_) {
      case State::UntilClose:
        if (!onData(std::string_view(p, static_cast<size_t>(end - p)))) {
          return Fed::Stopped;
        }
        return Fed::More;
      case State::Data: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - p)));
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = mode_ == Mode::Chunked ? State::DataEnd : State::Done;
        }
        const char* piece = p;
        p += n;
        if (!onData(std::string_view(piece, n))) {
          leftover_ = state_ == State::Done ? static_cast<size_t>(end - p) : 0;
          return Fed::Stopped;
        }
        break;
      }
      case State::SizeLine:
        if (takeLine(p, end)) {
          remaining_ = parseChunkSize();
          line_.clear();
          state_ = remaining_ == 0 ? State::Trailers : State::Data;
        }
        break;
      case State::DataEnd:
        if (takeLine(p, end)) {
          if (!line_.empty()) {
            throw BodyFramingError("malformed chunked body");
          }
          state_ = State::SizeLine;
        }
        break;
      case State::Trailers:
        if (takeLine(p, end)) {
          const bool last = line_.empty();  // trailers end with an empty line
          line_.clear();
          if (last) {
            state_ = State::Done;
          }
        }
        break;
      case State::Done:
        leftover_ += static_cast<size_t>(end - p);
        return Fed::Complete;
    }
  }
  return state_ == State::Done ? Fed::Complete : Fed::More;
}

}  // namespace llmp::host::services
