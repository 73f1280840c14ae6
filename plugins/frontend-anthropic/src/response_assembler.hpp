// IR response chunks (Gemini GenerateContentResponse JSON) -> Anthropic content-block events.
// Streaming and non-streaming answers both go through this class, so a message built from the
// events is exactly what a client accumulating the stream would see.
#pragma once

#include <llmp/cpp/json.hpp>
#include <llmp/cpp/json_writer.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "errors.hpp"

namespace llmp::plugins::anthropic {

struct Usage {
  int64_t inputTokens = 0;      // promptTokenCount - cachedContentTokenCount
  int64_t outputTokens = 0;     // candidatesTokenCount + thoughtsTokenCount
  int64_t cacheReadTokens = 0;  // cachedContentTokenCount
};

// The usageMetadata counts the front end reads, 0 when absent.
struct UsageCounts {
  int64_t prompt = 0;      // promptTokenCount
  int64_t cached = 0;      // cachedContentTokenCount
  int64_t candidates = 0;  // candidatesTokenCount
  int64_t thoughts = 0;    // thoughtsTokenCount
};

UsageCounts usageCountsFromIr(const Json& usageMetadata);
Usage usageFromCounts(const UsageCounts& counts);
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

// One content_block_start, content_block_delta or content_block_stop event, typed: the stream
// writes it as text straight away and the whole message accumulates it, neither through a DOM.
// The views are valid during the OnEvent call only.
struct BlockEvent {
  enum class Type { Start, Delta, Stop };
  enum class Block { Text, Thinking, ToolUse };
  enum class Delta { Text, Thinking, Signature, InputJson };

  Type type = Type::Start;
  int index = 0;
  Block block = Block::Text;  // Start
  std::string_view id;        // Start of a tool_use block
  std::string_view name;      // Start of a tool_use block
  Delta delta = Delta::Text;  // Delta
  std::string_view text;      // Delta: the text, thinking, signature or partial JSON

  const char* typeName() const;  // "content_block_start", ...
};

// The event's JSON, keys sorted like every other event the front end writes (a DOM dump), so
// the stream is byte-for-byte what it was when these events were DOMs: {"delta":{...},"index":0,
// "type":"content_block_delta"}.
void writeBlockEvent(JsonWriter& out, const BlockEvent& event);

// What every part kind has in common: its text, thought flag and signature. Both the DOM path
// and the scan (chunk_scan.hpp) hand parts over in this form, so one function turns them into
// events.
struct PartPieces {
  std::optional<std::string_view> text;  // "text", when it is a string
  std::string_view signature;            // "thoughtSignature", or ""
  bool thought = false;                  // "thought": true
};

struct ScannedChunk;

class ResponseAssembler {
 public:
  using OnEvent = std::function<void(const BlockEvent& event)>;
  // Mints ids for function calls that came without one ("toolu_<24 hex>").
  using MintToolId = std::function<std::string()>;

  explicit ResponseAssembler(OnEvent onEvent, MintToolId mintToolId = {});

  void addChunk(const Json& chunk);
  // A chunk read by scanChunk: the events, usage and outcome addChunk gives for its DOM.
  void addScannedChunk(const ScannedChunk& chunk);
  // Closes the open block and decides the outcome. Call once, after the last chunk.
  Outcome finish();

  const Usage& usage() const { return usage_; }

 private:
  using Block = BlockEvent::Block;

  void addPart(const Json& part);
  // A part's events; `dom` is the part itself when it may hold more than text (a call, code).
  void addPart(const PartPieces& pieces, const Json* dom);
  bool addCall(const Json& part);
  void addCode(const Json& part);
  void setFinish(std::string_view finishReason, std::string_view finishMessage);
  void addText(std::string_view text);
  void addSignature(std::string_view signature);
  // Starts a block (closing the open one); id and name only for tool_use.
  void open(Block block, std::string_view id = {}, std::string_view name = {});
  void close();
  void delta(BlockEvent::Delta kind, std::string_view text);

  OnEvent onEvent_;
  MintToolId mintToolId_;
  std::optional<Block> open_;  // the block being written, if any
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
