#include "message_renderer.hpp"

namespace llmp::plugins::anthropic {

void ContentAccumulator::apply(const Json& event) {
  const std::string& type = event.at("type").get_ref<const std::string&>();
  if (type == "content_block_start") {
    content_.push_back(event.at("content_block"));
    partialJson_.clear();
    return;
  }
  if (content_.empty()) {
    return;
  }
  Json& block = content_.back();
  if (type == "content_block_delta") {
    const Json& delta = event.at("delta");
    const std::string& kind = delta.at("type").get_ref<const std::string&>();
    if (kind == "text_delta") {
      block["text"] = block["text"].get<std::string>() + delta.at("text").get<std::string>();
    } else if (kind == "thinking_delta") {
      block["thinking"] =
          block["thinking"].get<std::string>() + delta.at("thinking").get<std::string>();
    } else if (kind == "signature_delta") {
      block["signature"] = delta.at("signature");
    } else if (kind == "input_json_delta") {
      partialJson_ += delta.at("partial_json").get<std::string>();
    }
  } else if (type == "content_block_stop" && block["type"] == "tool_use" &&
             !partialJson_.empty()) {
    if (auto input = llmp::parseJson(partialJson_)) {
      block["input"] = std::move(*input);
    }
    partialJson_.clear();
  }
}

Json ContentAccumulator::take() { return std::move(content_); }

RenderedMessage renderMessage(const std::vector<Json>& chunks, const std::string& messageId,
                              const std::string& model,
                              ResponseAssembler::MintToolId mintToolId) {
  ContentAccumulator content;
  ResponseAssembler assembler([&content](const Json& event) { content.apply(event); },
                              std::move(mintToolId));
  for (const auto& chunk : chunks) {
    assembler.addChunk(chunk);
  }
  RenderedMessage out;
  out.outcome = assembler.finish();
  if (!out.outcome.ok) {
    return out;
  }
  out.message = {{"id", messageId},
                 {"type", "message"},
                 {"role", "assistant"},
                 {"model", model},
                 {"content", content.take()},
                 {"stop_reason", out.outcome.stopReason},
                 {"stop_sequence", nullptr},
                 {"usage", usageJson(assembler.usage())}};
  return out;
}

}  // namespace llmp::plugins::anthropic
