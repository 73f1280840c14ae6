// A whole (non-streaming) answer: IR chunks -> Anthropic Message JSON.
#pragma once

#include <llmp/cpp/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "chunk_scan.hpp"
#include "response_assembler.hpp"

namespace llmp::plugins::anthropic {

// Applies content-block stream events to a content array, as the Anthropic SDKs do.
class ContentAccumulator {
 public:
  void apply(const BlockEvent& event);
  Json take();

 private:
  Json content_ = Json::array();
  std::string partialJson_;
};

struct RenderedMessage {
  Outcome outcome;  // when !outcome.ok, answer outcome.error instead of message
  Json message;
};

// Builds a Message from IR chunks as they arrive, parsed into a DOM or read by scanChunk.
// Non-streaming requests get one chunk; several are accepted and concatenated as a stream.
class MessageBuilder {
 public:
  explicit MessageBuilder(ResponseAssembler::MintToolId mintToolId = {});
  // The assembler's callback holds `this`: the builder stays where it was made.
  MessageBuilder(const MessageBuilder&) = delete;
  MessageBuilder& operator=(const MessageBuilder&) = delete;

  void addChunk(const Json& chunk) { assembler_.addChunk(chunk); }
  // A chunk's text (addChunkText: plain text chunks skip the DOM).
  void addChunkText(std::string_view chunk) {
    llmp::plugins::anthropic::addChunkText(assembler_, chunk, scratch_);
  }
  // After the last chunk; call once.
  RenderedMessage finish(const std::string& messageId, const std::string& model);

 private:
  ContentAccumulator content_;
  ResponseAssembler assembler_;
  ScannedChunk scratch_;  // for every chunk's scan: its strings keep their capacity
};

// A MessageBuilder fed every chunk.
RenderedMessage renderMessage(const std::vector<Json>& chunks, const std::string& messageId,
                              const std::string& model,
                              ResponseAssembler::MintToolId mintToolId = {});

}  // namespace llmp::plugins::anthropic
