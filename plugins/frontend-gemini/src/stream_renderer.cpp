#include "stream_renderer.hpp"

#include <cstring>

namespace llmp::plugins::frontend_gemini {
namespace {

// SSE data must be a single line; valid JSON only has line breaks as insignificant whitespace
// (raw ones are illegal inside strings), so dropping them keeps the value intact. The common
// case, a compact chunk, is appended in one go.
void appendSingleLine(std::string_view json, std::string& out) {
  if (std::memchr(json.data(), '\n', json.size()) == nullptr &&
      std::memchr(json.data(), '\r', json.size()) == nullptr) {
    out.append(json);
    return;
  }
  for (char c : json) {
    if (c != '\n' && c != '\r') {
      out.push_back(c);
    }
  }
}

}  // namespace

void StreamRenderer::chunk(std::string_view json, std::string& out) {
  if (closed_) {
    return;
  }
  if (mode_ == Mode::Sse) {
    out.append("data: ");
    appendSingleLine(json, out);
    out.append("\n\n");
    return;
  }
  if (!opened_) {
    out.push_back('[');
    opened_ = true;
  } else if (any_) {
    out.append(",\r\n");
  }
  out.append(json);
  any_ = true;
}

void StreamRenderer::keepalive(std::string& out) {
  if (closed_) {
    return;
  }
  if (mode_ == Mode::Sse) {
    out.append(": keepalive\n\n");
    return;
  }
  // Whitespace is legal before "[" and between elements, and resets idle timers all the same.
  out.push_back('\n');
}

void StreamRenderer::error(std::string_view errorJson, std::string& out) {
  if (closed_) {
    return;
  }
  if (mode_ == Mode::Sse) {
    out.append("data: ");
    appendSingleLine(errorJson, out);
    out.append("\n\n");
  } else {
    chunk(errorJson, out);
    out.push_back(']');
  }
  closed_ = true;
}

void StreamRenderer::finish(std::string& out) {
  if (closed_) {
    return;
  }
  if (mode_ == Mode::JsonArray) {
    if (!opened_) {
      out.push_back('[');
    }
    out.push_back(']');
  }
  closed_ = true;
}

const char* StreamRenderer::contentType() const {
  return mode_ == Mode::Sse ? "text/event-stream" : "application/json; charset=UTF-8";
}

}  // namespace llmp::plugins::frontend_gemini
