#include <regex>

#include "fakes.hpp"

namespace llmp::plugins::anthropic::testing {

std::string normalizeIds(const std::string& text) {
  static const std::regex kMinted("\\b(msg|toolu|req)_[0-9a-f]{24}\\b");
  return std::regex_replace(text, kMinted, "$1_<minted>");
}

std::vector<std::pair<std::string, Json>> parseSse(const std::string& body) {
  std::vector<std::pair<std::string, Json>> events;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) {
      throw std::runtime_error("SSE body does not end with a blank line: " + body.substr(pos));
    }
    std::string block = body.substr(pos, end - pos);
    pos = end + 2;
    std::string event;
    std::string data;
    size_t lineStart = 0;
    while (lineStart <= block.size()) {
      size_t lineEnd = block.find('\n', lineStart);
      std::string line = block.substr(lineStart, lineEnd == std::string::npos
                                                     ? std::string::npos
                                                     : lineEnd - lineStart);
      if (line.rfind("event: ", 0) == 0) {
        event = line.substr(7);
      } else if (line.rfind("data: ", 0) == 0) {
        data = line.substr(6);
      }
      if (lineEnd == std::string::npos) {
        break;
      }
      lineStart = lineEnd + 1;
    }
    events.emplace_back(event, Json::parse(data));
  }
  return events;
}

}  // namespace llmp::plugins::anthropic::testing
