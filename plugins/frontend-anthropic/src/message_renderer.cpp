#include "message_renderer.hpp"

namespace llmp::plugins::anthropic {

void ContentAccumulator::apply(const BlockEvent& event) {
  if (event.type == BlockEvent::Type::Start) {
    switch (event.block) {
      case BlockEvent::Block::Text:
        content_.push_back({{"type", "text"}, {"text", ""}});
        break;
      case BlockEvent::Block::Thinking:
        content_.push_back({{"type", "thinking"}, {"thinking", ""}, {"signature", ""}});
        break;
      case BlockEvent::Block::ToolUse:
        content_.push_back({{"type", "tool_use"},
                            {"id", event.id},
                            {"name", event.name},
                            {"input", Json::object()}});
        break;
    }
    partialJson_.clear();
    return;
  }
  if (content_.empty()) {
    return;
  }
  Json& block = content_.back();
  if (event.type == BlockEvent::Type::Delta) {
    switch (event.delta) {
      case BlockEvent::Delta::Text:
        block["text"].get_ref<std::string&>().append(event.text);
        break;
      case BlockEvent::Delta::Thinking:
        block["thinking"].get_ref<std::string&>().append(event.text);
        break;
      case BlockEvent::Delta::Signature:
        block["signature"] = std::string(event.text);
        break;
      case BlockEvent::Delta::InputJson:
        partialJson_.append(event.text);
        break;
    }
  } else if (block["type"] == "tool_use" && !partialJson_.empty()) {
    if (auto input = llmp::parseJson(partialJson_)) {
      block["input"] = std::move(*input);
    }
    partialJson_.clear();
  }
}

Json ContentAccumulator::take() { return std::move(content_); }

MessageBuilder::MessageBuilder(ResponseAssembler::MintToolId mintToolId)
    : assembler_([this](const BlockEvent& event) { content_.apply(event); },
                 std::move(mintToolId)) {}

RenderedMessage renderMessage(const std::vector<Json>& chunks, const std::string& messageId,
                              const std::string& model,
                              ResponseAssembler::MintToolId mintToolId) {
  MessageBuilder builder(std::move(mintToolId));
  for (const auto& chunk : chunks) {
    builder.addChunk(chunk);
  }
  return builder.finish(messageId, model);
}

RenderedMessage MessageBuilder::finish(const std::string& messageId, const std::string& model) {
  RenderedMessage out;
  out.outcome = assembler_.finish();
  if (!out.outcome.ok) {
    return out;
  }
  out.message = {{"id", messageId},
                 {"type", "message"},
                 {"role", "assistant"},
                 {"model", model},
                 {"content", content_.take()},
                 {"stop_reason", out.outcome.stopReason},
                 {"stop_sequence", nullptr},
                 {"usage", usageJson(assembler_.usage())}};
  return out;
}

}  // namespace llmp::plugins::anthropic
