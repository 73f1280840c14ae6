// Framing of streamGenerateContent answers. The backend's chunk bytes are written unchanged:
//  - SSE (?alt=sse):   "data: " chunk "\n\n" per chunk; ": keepalive\n\n" comments.
//  - JSON array mode:  "[" chunk ",\r\n" chunk ... "]" written as the chunks come.
#pragma once

#include <string>
#include <string_view>

namespace llmp::plugins::frontend_gemini {

class StreamRenderer {
 public:
  enum class Mode { Sse, JsonArray };

  explicit StreamRenderer(Mode mode) : mode_(mode) {}
  Mode mode() const { return mode_; }

  // Each appends the bytes to write to `out` (which it does not clear).
  void chunk(std::string_view json, std::string& out);
  void keepalive(std::string& out);
  // A Google error object as the stream's last element; the stream is complete afterwards.
  void error(std::string_view errorJson, std::string& out);
  // Completes a stream that ended normally.
  void finish(std::string& out);

  const char* contentType() const;

 private:
  Mode mode_;
  bool opened_ = false;  // JSON array: "[" written
  bool closed_ = false;
  bool any_ = false;     // JSON array: an element written
};

}  // namespace llmp::plugins::frontend_gemini
