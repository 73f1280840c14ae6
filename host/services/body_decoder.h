// Decodes an HTTP/1.1 response body from raw connection bytes, in whatever framing the head
// announced: none, Content-Length, chunked, or until the peer closes.
//
// Push-based: the caller reads whatever the socket has and feeds it here, so the same decoder
// serves a blocking read loop on a request thread and a non-blocking one on an I/O thread, and
// decoding can stop and resume at any byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace llmp::host::services {

// Broken chunked framing. The message names no peer; the caller adds where it came from.
class BodyFramingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class BodyDecoder {
 public:
  enum class Mode { None, Length, Chunked, UntilClose };
  enum class Fed { More, Complete, Stopped };

  // Receives each decoded piece of body; returns false to stop decoding.
  using OnData = std::function<bool(std::string_view)>;

  BodyDecoder(Mode mode, uint64_t length);

  // Decodes raw bytes. More: the body goes on; Complete: it ended (bytes after its end are
  // counted in leftover()); Stopped: onData returned false. Throws BodyFramingError.
  Fed feed(const char* data, size_t size, const OnData& onData);

  bool complete() const { return state_ == State::Done; }
  // True when the peer closing the connection now ends the body properly (a body framed by the
  // close, or a chunked body cut off in its trailers after the last chunk).
  bool closeEndsBody() const;
  // Bytes fed after the end of the body: a connection that has them cannot be reused.
  size_t leftover() const { return leftover_; }
  bool leavesConnectionReusable() const { return mode_ != Mode::UntilClose && leftover_ == 0; }

 private:
  enum class State { SizeLine, Data, DataEnd, Trailers, UntilClose, Done };

  // Appends bytes up to LF to line_; true once a whole line (without CR LF) is in line_.
  bool takeLine(const char*& p, const char* end);
  uint64_t parseChunkSize() const;

  Mode mode_;
  State state_;
  uint64_t remaining_ = 0;
  std::string line_;
  size_t leftover_ = 0;
};

}  // namespace llmp::host::services
