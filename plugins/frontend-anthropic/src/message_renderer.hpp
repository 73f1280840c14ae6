// A whole (non-streaming) answer: IR chunks -> Anthropic Message JSON.
#pragma once

#include <llmp/cpp/json.hpp>

#include <string>
#include <vector>

#include "response_assembler.hpp"

namespace llmp::plugins::anthropic {

struct RenderedMessage {
  Outcome outcome;  // when !outcome.ok, answer outcome.error instead of message
  Json message;
};

// Non-streaming requests get one chunk; several are accepted and concatenated as a stream.
RenderedMessage renderMessage(const std::vector<Json>& chunks, const std::string& messageId,
                              const std::string& model,
                              ResponseAssembler::MintToolId mintToolId = {});

// Applies content-block stream events to a content array, as the Anthropic SDKs do.
class ContentAccumulator {
 public:
  void apply(const BlockEvent& event);
  Json take();

 private:
  Json content_ = Json::array();
  std::string partialJson_;
};

}  // namespace llmp::plugins::anthropic
