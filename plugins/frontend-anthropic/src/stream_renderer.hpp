// A streamed answer: IR chunks -> Anthropic SSE text with named events
// (message_start, content_block_start/_delta/_stop, message_delta, message_stop, ping, error).
// Pure: it returns the bytes to write; the handler writes them.
#pragma once

#include <llmp/cpp/json.hpp>

#include <string>
#include <string_view>

#include "chunk_scan.hpp"
#include "response_assembler.hpp"

namespace llmp::plugins::anthropic {

// "event: <type>\ndata: <json>\n\n" (the Anthropic SDKs drop events without an event line).
std::string sseEvent(const Json& event);
// The same for a content-block event, appended to out without a DOM.
void appendSseEvent(std::string& out, const BlockEvent& event);
std::string sseError(const WireError& error);

class StreamRenderer {
 public:
  StreamRenderer(std::string messageId, std::string model,
                 ResponseAssembler::MintToolId mintToolId = {});

  // Events for one chunk; empty while nothing visible arrived. message_start goes out just
  // before the first content block, so an answer that fails before showing anything can
  // still get a proper HTTP error.
  std::string onChunk(const Json& chunk);
  // The same for a chunk's text (addChunkText: plain text chunks skip the DOM).
  std::string onChunkText(std::string_view chunk);
  std::string onKeepAlive() const;
  // After the last chunk: the closing events (message_start if still due, message_delta with
  // stop_reason and usage, message_stop), or, when the answer is unusable, outcome.ok=false
  // and the text is empty (the caller answers an HTTP error or writes sseError).
  std::string finish(Outcome* outcome);

  bool messageStarted() const { return started_; }

 private:
  std::string messageStart();

  std::string messageId_;
  std::string model_;
  std::string pending_;
  bool started_ = false;
  ResponseAssembler assembler_;
  ScannedChunk scratch_;  // for every chunk's scan: its strings keep their capacity
};

}  // namespace llmp::plugins::anthropic
