#include "response_assembler.hpp"

#include <cctype>

#include "chunk_scan.hpp"
#include "ids.hpp"

namespace llmp::plugins::anthropic {
namespace {

int64_t count(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// The member's text, or empty; a view into the chunk, which outlives the events it causes.
std::string_view stringMember(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                               : std::string_view();
}

bool isRefusal(std::string_view finishReason) {
  return finishReason == "SAFETY" || finishReason == "RECITATION" ||
         finishReason == "BLOCKLIST" || finishReason == "PROHIBITED_CONTENT" ||
         finishReason == "SPII" || finishReason.rfind("IMAGE_", 0) == 0;
}

std::string lower(std::string_view view) {
  std::string text(view);
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

const char* blockTypeName(BlockEvent::Block block) {
  switch (block) {
    case BlockEvent::Block::Text:
      return "text";
    case BlockEvent::Block::Thinking:
      return "thinking";
    case BlockEvent::Block::ToolUse:
      return "tool_use";
  }
  return "text";
}

}  // namespace

const char* BlockEvent::typeName() const {
  switch (type) {
    case Type::Start:
      return "content_block_start";
    case Type::Delta:
      return "content_block_delta";
    case Type::Stop:
      return "content_block_stop";
  }
  return "content_block_stop";
}

void writeBlockEvent(JsonWriter& out, const BlockEvent& event) {
  out.beginObject();
  if (event.type == BlockEvent::Type::Start) {
    out.key("content_block").beginObject();
    switch (event.block) {
      case BlockEvent::Block::Text:
        out.key("text").string("");
        break;
      case BlockEvent::Block::Thinking:
        out.key("signature").string("").key("thinking").string("");
        break;
      case BlockEvent::Block::ToolUse:
        out.key("id").string(event.id).key("input").beginObject().endObject();
        out.key("name").string(event.name);
        break;
    }
    out.key("type").string(blockTypeName(event.block)).endObject();
  } else if (event.type == BlockEvent::Type::Delta) {
    out.key("delta").beginObject();
    switch (event.delta) {
      case BlockEvent::Delta::Text:
        out.key("text").string(event.text).key("type").string("text_delta");
        break;
      case BlockEvent::Delta::Thinking:
        out.key("thinking").string(event.text).key("type").string("thinking_delta");
        break;
      case BlockEvent::Delta::Signature:
        out.key("signature").string(event.text).key("type").string("signature_delta");
        break;
      case BlockEvent::Delta::InputJson:
        out.key("partial_json").string(event.text).key("type").string("input_json_delta");
        break;
    }
    out.endObject();
  }
  out.key("index").number(event.index).key("type").string(event.typeName()).endObject();
}

UsageCounts usageCountsFromIr(const Json& usageMetadata) {
  UsageCounts counts;
  if (!usageMetadata.is_object()) {
    return counts;
  }
  counts.prompt = count(usageMetadata, "promptTokenCount");
  counts.cached = count(usageMetadata, "cachedContentTokenCount");
  counts.candidates = count(usageMetadata, "candidatesTokenCount");
  counts.thoughts = count(usageMetadata, "thoughtsTokenCount");
  return counts;
}

Usage usageFromCounts(const UsageCounts& counts) {
  Usage usage;
  usage.cacheReadTokens = counts.cached;
  usage.inputTokens = counts.prompt > counts.cached ? counts.prompt - counts.cached : 0;
  usage.outputTokens = counts.candidates + counts.thoughts;
  return usage;
}

Usage usageFromIr(const Json& usageMetadata) {
  return usageFromCounts(usageCountsFromIr(usageMetadata));
}

Json usageJson(const Usage& usage) {
  return {{"input_tokens", usage.inputTokens},
          {"output_tokens", usage.outputTokens},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", usage.cacheReadTokens}};
}

ResponseAssembler::ResponseAssembler(OnEvent onEvent, MintToolId mintToolId)
    : onEvent_(std::move(onEvent)), mintToolId_(std::move(mintToolId)) {
  if (!mintToolId_) {
    mintToolId_ = [] { return mintId("toolu"); };
  }
}

void ResponseAssembler::addChunk(const Json& chunk) {
  if (!chunk.is_object()) {
    return;
  }
  if (auto it = chunk.find("usageMetadata"); it != chunk.end() && it->is_object()) {
    usage_ = usageFromIr(*it);  // cumulative: the last one seen counts
  }
  if (auto it = chunk.find("promptFeedback"); it != chunk.end() && it->is_object()) {
    std::string_view reason = stringMember(*it, "blockReason");
    if (!reason.empty()) {
      blockReason_.assign(reason);
    }
  }
  auto candidates = chunk.find("candidates");
  if (candidates == chunk.end() || !candidates->is_array() || candidates->empty()) {
    return;
  }
  // The proxy asks for one candidate; a second one would have nowhere to go in a Message.
  const Json& candidate = (*candidates)[0];
  if (!candidate.is_object()) {
    return;
  }
  sawCandidate_ = true;
  if (auto content = candidate.find("content"); content != candidate.end() && content->is_object()) {
    if (auto parts = content->find("parts"); parts != content->end() && parts->is_array()) {
      for (const auto& part : *parts) {
        if (part.is_object()) {
          addPart(part);
        }
      }
    }
  }
  setFinish(stringMember(candidate, "finishReason"), stringMember(candidate, "finishMessage"));
}

void ResponseAssembler::addScannedChunk(const ScannedChunk& chunk) {
  // The order addChunk keeps: usage first (message_start, sent with the first block, carries
  // it), then the one candidate's parts, then its finishReason.
  if (chunk.usage) {
    usage_ = usageFromCounts(*chunk.usage);
  }
  sawCandidate_ = true;
  for (const ScannedPart& part : chunk.parts) {
    addPart(part.pieces(), nullptr);
  }
  setFinish(chunk.finishReason, {});  // the scan gives up on a finishMessage
}

void ResponseAssembler::setFinish(std::string_view finishReason, std::string_view finishMessage) {
  if (!finishReason.empty()) {
    finishReason_.assign(finishReason);
    finishMessage_.assign(finishMessage);
  }
}

void ResponseAssembler::addPart(const Json& part) {
  PartPieces pieces;
  pieces.signature = stringMember(part, "thoughtSignature");
  auto thought = part.find("thought");
  pieces.thought = thought != part.end() && thought->is_boolean() && thought->get<bool>();
  if (auto text = part.find("text"); text != part.end() && text->is_string()) {
    pieces.text = std::string_view(text->get_ref<const std::string&>());
  }
  addPart(pieces, &part);
}

void ResponseAssembler::addPart(const PartPieces& pieces, const Json* dom) {
  std::string_view signature = pieces.signature;
  if (pieces.thought) {
    std::string_view text = pieces.text.value_or(std::string_view());
    if (text.empty() && signature.empty()) {
      return;
    }
    if (open_ != Block::Thinking || thinkingSigned_) {
      open(Block::Thinking);
    }
    if (!text.empty()) {
      delta(BlockEvent::Delta::Thinking, text);
    }
    if (!signature.empty()) {
      delta(BlockEvent::Delta::Signature, signature);
      thinkingSigned_ = true;
    }
    return;
  }

  // A signature on any other part travels back to the client as a thinking block's
  // signature, which clients return unchanged; the request side puts it back on the part
  // that follows (for Gemini 3 the function call, which must carry it).
  bool emptyText = pieces.text && pieces.text->empty();
  if (!signature.empty() && emptyText && (open_ != Block::Thinking || thinkingSigned_)) {
    // A signature alone on an empty text part ends a plain answer (Gemini streams it last).
    // Gemini does not require it back outside function-call turns, and a signature-only
    // thinking block after the text would only show up as an empty thought in clients.
    return;
  }
  if (!signature.empty()) {
    addSignature(signature);
  }
  if (dom != nullptr && addCall(*dom)) {
    return;
  }
  if (pieces.text) {
    addText(*pieces.text);
    return;
  }
  if (dom != nullptr) {
    addCode(*dom);
  }
}

// A functionCall part's tool_use block; false when the part holds no call.
bool ResponseAssembler::addCall(const Json& part) {
  if (auto call = part.find("functionCall"); call != part.end() && call->is_object()) {
    std::string id(stringMember(*call, "id"));
    if (id.empty()) {
      id = mintToolId_();
    }
    std::string args = "{}";
    if (auto it = call->find("args"); it != call->end() && it->is_object()) {
      args = llmp::dumpJson(*it);
    }
    open(Block::ToolUse, id, stringMember(*call, "name"));
    delta(BlockEvent::Delta::InputJson, args);
    close();  // Gemini sends each call whole
    sawToolUse_ = true;
    sawVisible_ = true;
    return true;
  }
  return false;
}

// Code execution parts shown as fenced text.
void ResponseAssembler::addCode(const Json& part) {
  if (auto code = part.find("executableCode"); code != part.end() && code->is_object()) {
    addText("\n```" + lower(stringMember(*code, "language")) + "\n" +
            std::string(stringMember(*code, "code")) + "\n```\n");
    return;
  }
  if (auto result = part.find("codeExecutionResult");
      result != part.end() && result->is_object()) {
    addText("\n```\n" + std::string(stringMember(*result, "output")) + "\n```\n");
    return;
  }
  // inlineData (generated images) and other part kinds have no Anthropic content block.
}

void ResponseAssembler::addText(std::string_view text) {
  if (text.empty()) {
    return;
  }
  if (open_ != Block::Text) {
    open(Block::Text);
  }
  delta(BlockEvent::Delta::Text, text);
  sawVisible_ = true;
}

void ResponseAssembler::addSignature(std::string_view signature) {
  if (open_ != Block::Thinking || thinkingSigned_) {
    open(Block::Thinking);
  }
  delta(BlockEvent::Delta::Signature, signature);
  thinkingSigned_ = true;
  close();
}

void ResponseAssembler::open(Block block, std::string_view id, std::string_view name) {
  close();
  BlockEvent event;
  event.type = BlockEvent::Type::Start;
  event.index = nextIndex_;
  event.block = block;
  event.id = id;
  event.name = name;
  onEvent_(event);
  open_ = block;
  thinkingSigned_ = false;
}

void ResponseAssembler::close() {
  if (!open_) {
    return;
  }
  BlockEvent event;
  event.type = BlockEvent::Type::Stop;
  event.index = nextIndex_;
  onEvent_(event);
  ++nextIndex_;
  open_.reset();
}

void ResponseAssembler::delta(BlockEvent::Delta kind, std::string_view text) {
  BlockEvent event;
  event.type = BlockEvent::Type::Delta;
  event.index = nextIndex_;
  event.delta = kind;
  event.text = text;
  onEvent_(event);
}

Outcome ResponseAssembler::finish() {
  close();
  Outcome outcome;
  if (finishReason_ == "MALFORMED_FUNCTION_CALL") {
    outcome.ok = false;
    std::string message =
        "the model produced a malformed function call (Gemini finishReason "
        "MALFORMED_FUNCTION_CALL)";
    if (!finishMessage_.empty()) {
      message += ": " + finishMessage_;
    }
    outcome.error = mapError(LLMP_E_UPSTREAM_HTTP, 502, message);
    return outcome;
  }
  if (!blockReason_.empty() && !sawVisible_) {
    outcome.stopReason = "refusal";
    return outcome;
  }
  if (isRefusal(finishReason_)) {
    outcome.stopReason = "refusal";
    return outcome;
  }
  if (finishReason_ == "MAX_TOKENS") {
    outcome.stopReason = "max_tokens";
    return outcome;
  }
  if (!sawVisible_) {
    outcome.ok = false;
    std::string message = "the model returned an empty response";
    if (!sawCandidate_) {
      message += " (no candidate)";
    } else if (!finishReason_.empty()) {
      message += " (Gemini finishReason " + finishReason_ + ")";
    }
    if (!finishMessage_.empty()) {
      message += ": " + finishMessage_;
    }
    outcome.error = mapError(LLMP_E_UPSTREAM_HTTP, 502, message);
    return outcome;
  }
  outcome.stopReason = sawToolUse_ ? "tool_use" : "end_turn";
  return outcome;
}

}  // namespace llmp::plugins::anthropic
