#include "llmp/cpp/sse.hpp"

namespace llmp {

bool SseParser::feed(std::string_view bytes, const OnEvent& onEvent) {
  for (char c : bytes) {
    if (c == '\n' && lastWasCR_) {
      // The \n of a \r\n pair: the line was already ended by the \r.
      lastWasCR_ = false;
      continue;
    }
    lastWasCR_ = (c == '\r');
    if (c == '\n' || c == '\r') {
      std::string line;
      line.swap(line_);
      if (!processLine(line, onEvent)) {
        return false;
      }
    } else {
      line_.push_back(c);
    }
  }
  return true;
}

bool SseParser::finish(const OnEvent& onEvent) {
  if (!line_.empty()) {
    std::string line;
    line.swap(line_);
    processLine(line, onEvent);
  }
  if (!hasData_) {
    return false;
  }
  dispatch(onEvent);
  return true;
}

bool SseParser::processLine(std::string_view line, const OnEvent& onEvent) {
  if (line.empty()) {
    return hasData_ ? dispatch(onEvent) : (event_.clear(), true);
  }
  if (line.front() == ':') {
    return true;  // comment / keep-alive
  }
  std::string_view field = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
  }
  if (field == "data") {
    if (hasData_) {
      data_.push_back('\n');
    }
    data_.append(value);
    hasData_ = true;
  } else if (field == "event") {
    event_.assign(value);
  }
  return true;
}

bool SseParser::dispatch(const OnEvent& onEvent) {
  std::string event;
  std::string data;
  event.swap(event_);
  data.swap(data_);
  hasData_ = false;
  return onEvent(event, data);
}

}  // namespace llmp
