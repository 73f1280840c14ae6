// IR response chunks (Gemini GenerateContentResponse JSON) -> Anthropic content-block events.
// Streaming and non-streaming answers both go through this class, so a message built from the
// events is exactly what a client accumulating the stream would see.
#pragma once

#include <llmp/cpp/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "errors.hpp"

namespace llmp::plugins::anthropic {

struct Usage {
  int64_t inputTokens = 0;      // promptTokenCount - cachedContentTokenCount
  int64_t outputTokens = 0;     // candidatesTokenCount + thoughtsTokenCount
  int64_t cacheReadTokens = 0;  // cachedContentTokenCount
};

Usage usageFromIr(const Json& usageMetadata);
// {"input_tokens","output_tokens","cache_creation_input_tokens":0,"cache_read_input_tokens"}
Json usageJson(const Usage& usage);

// How the answer ends: a stop_reason, or an error the client must see instead of an empty or
// broken answer (MALFORMED_FUNCTION_CALL, no candidate, nothing but thoughts).
struct Outcome {
  bool ok = true;
  std::string stopReason;
  WireError error;
};

class ResponseAssembler {
 public:
  // Receives content_block_start / content_block_delta / content_block_stop events (the JSON
  // objects Anthropic streams, "type" included).
  using OnEvent = std::function<void(const Json& event)>;
  // Mints ids for function calls that came without one ("toolu_<24 hex>").
  using MintToolId = std::function<std::string()>;

  explicit ResponseAssembler(OnEvent onEvent, MintToolId mintToolId = {});

  void addChunk(const Json& chunk);
  // Closes the open block and decides the outcome. Call once, after the last chunk.
  Outcome finish();

  const Usage& usage() const { return usage_; }

 private:
  enum class Kind { None, Text, Thinking, ToolUse };

  void addPart(const Json& part);
  void addText(const std::string& text);
  void addSignature(const std::string& signature);
  void open(Kind kind, Json contentBlock);
  void close();
  void delta(Json delta);

  OnEvent onEvent_;
  MintToolId mintToolId_;
  Kind open_ = Kind::None;
  bool thinkingSigned_ = false;  // the open thinking block already got its signature
  int nextIndex_ = 0;
  bool sawToolUse_ = false;
  bool sawVisible_ = false;  // non-empty text or a tool call
  bool sawCandidate_ = false;
  std::string finishReason_;
  std::string finishMessage_;
  std::string blockReason_;
  Usage usage_;
};

}  // namespace llmp::plugins::anthropic
