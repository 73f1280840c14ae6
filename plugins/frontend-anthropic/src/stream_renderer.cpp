#include "stream_renderer.hpp"

namespace llmp::plugins::anthropic {

std::string sseEvent(const Json& event) {
  std::string out = "event: ";
  out += event.at("type").get<std::string>();
  out += "\ndata: ";
  out += llmp::dumpJson(event);
  out += "\n\n";
  return out;
}

void appendSseEvent(std::string& out, const BlockEvent& event) {
  out.append("event: ").append(event.typeName()).append("\ndata: ");
  JsonWriter writer(std::move(out));
  writeBlockEvent(writer, event);
  out = writer.take();
  out.append("\n\n");
}

std::string sseError(const WireError& error) {
  return sseEvent({{"type", "error"},
                   {"error", {{"type", error.type}, {"message", error.message}}}});
}

StreamRenderer::StreamRenderer(std::string messageId, std::string model,
                               ResponseAssembler::MintToolId mintToolId)
    : messageId_(std::move(messageId)),
      model_(std::move(model)),
      assembler_(
          [this](const BlockEvent& event) {
            if (!started_) {
              pending_ += messageStart();
            }
            appendSseEvent(pending_, event);
          },
          std::move(mintToolId)) {}

std::string StreamRenderer::messageStart() {
  started_ = true;
  Usage usage = assembler_.usage();
  usage.outputTokens = 0;
  return sseEvent({{"type", "message_start"},
                   {"message",
                    {{"id", messageId_},
                     {"type", "message"},
                     {"role", "assistant"},
                     {"model", model_},
                     {"content", Json::array()},
                     {"stop_reason", nullptr},
                     {"stop_sequence", nullptr},
                     {"usage", usageJson(usage)}}}});
}

std::string StreamRenderer::onChunk(const Json& chunk) {
  assembler_.addChunk(chunk);
  std::string out;
  out.swap(pending_);
  return out;
}

std::string StreamRenderer::onChunkText(std::string_view chunk) {
  addChunkText(assembler_, chunk, scratch_);
  std::string out;
  out.swap(pending_);
  return out;
}

std::string StreamRenderer::onKeepAlive() const { return sseEvent({{"type", "ping"}}); }

std::string StreamRenderer::finish(Outcome* outcome) {
  *outcome = assembler_.finish();
  if (!outcome->ok) {
    pending_.clear();
    return {};
  }
  std::string out;
  out.swap(pending_);
  if (!started_) {
    out += messageStart();
  }
  // Usage in message_delta is cumulative; input counts are repeated because message_start
  // went out before the upstream reported them on some streams.
  out += sseEvent({{"type", "message_delta"},
                   {"delta", {{"stop_reason", outcome->stopReason}, {"stop_sequence", nullptr}}},
                   {"usage", usageJson(assembler_.usage())}});
  out += sseEvent({{"type", "message_stop"}});
  return out;
}

}  // namespace llmp::plugins::anthropic
