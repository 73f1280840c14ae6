// Incremental Server-Sent Events parser: feed bytes as they arrive, get one callback per event.
// Accepts \n, \r\n and \r line endings (so \n\n, \r\n\r\n and \r\r separate events), "data:"
// with or without a space, multi-line data joined by \n, and comment lines (": ...").
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace llmp {

class SseParser {
 public:
  // Called per complete event; return false to stop parsing.
  using OnEvent = std::function<bool(std::string_view event, std::string_view data)>;

  // Feeds bytes; returns false when a callback asked to stop.
  bool feed(std::string_view bytes, const OnEvent& onEvent);
  // Delivers a last event not followed by a blank line (call at end of stream); returns false
  // when there was none.
  bool finish(const OnEvent& onEvent);
  // True when bytes of an unfinished event are buffered.
  bool hasPartial() const { return !line_.empty() || !data_.empty() || hasData_; }

 private:
  bool processLine(std::string_view line, const OnEvent& onEvent);
  bool dispatch(const OnEvent& onEvent);

  std::string line_;
  std::string event_;
  std::string data_;
  bool hasData_ = false;
  bool lastWasCR_ = false;
};

}  // namespace llmp
