#include "stream.hpp"

#include <utility>

namespace llmp::plugins::frontend_openai {

StreamRenderer::StreamRenderer(ResponseMeta meta, ResponseOptions options, Services& services)
    : meta_(std::move(meta)), options_(options), services_(services) {}

void StreamRenderer::finishEvent(JsonWriter& w, const UsageMetadata* usage) {
  w.key("created").number(meta_.created)
      .key("id").string(meta_.id)
      .key("model").string(meta_.model)
      .key("object").string("chat.completion.chunk");
  if (usage != nullptr) {
    writeUsage(w.key("usage"), *usage);
  } else if (options_.includeUsage) {
    w.key("usage").null();
  }
  w.endObject().raw("\n\n");
  emittedAny_ = true;
}

void StreamRenderer::appendChoiceEvent(std::string& out, int64_t index, const DeltaWriter& delta,
                                       const char* finish, const Json& logprobs) {
  JsonWriter w(std::move(out));
  w.raw("data: ").beginObject().key("choices").beginArray().beginObject();
  w.key("delta").beginObject();
  delta(w);
  w.endObject().key("finish_reason");
  if (finish != nullptr) {
    w.string(finish);
  } else {
    w.null();
  }
  w.key("index").number(index).key("logprobs");
  if (logprobs.is_null()) {
    w.null();
  } else {
    w.value(logprobs);
  }
  w.endObject().endArray();
  finishEvent(w, nullptr);
  out = w.take();
}

void StreamRenderer::appendUsageEvent(std::string& out) {
  JsonWriter w(std::move(out));
  w.raw("data: ").beginObject().key("choices").beginArray().endArray();
  finishEvent(w, &usage_);
  out = w.take();
}

StreamRenderer::Choice& StreamRenderer::startChoice(int64_t index, std::string& out) {
  Choice& choice = choices_[index];
  if (!choice.started) {
    choice.started = true;
    appendChoiceEvent(
        out, index, [](JsonWriter& w) { w.key("content").string("").key("role").string("assistant"); },
        nullptr, nullptr);
  }
  return choice;
}

std::string StreamRenderer::errorEvent(const ApiError& error) {
  return "data: " + dumpJson(errorJson(error)) + "\n\n";
}

void StreamRenderer::appendText(std::string& out, int64_t index, Choice& choice,
                                const std::string& text, bool thought, const Json& logprobs) {
  appendChoiceEvent(
      out, index,
      [&](JsonWriter& w) { w.key(thought ? "reasoning_content" : "content").string(text); },
      nullptr, logprobs);
  choice.hasOutput = choice.hasOutput || !thought;
}

bool StreamRenderer::finishChoice(Output& out, int64_t index, Choice& choice,
                                  const std::string& reason) {
  std::string finish = mapFinishReason(reason, choice.toolCalls > 0);
  if (!choice.hasOutput && finish == "stop") {
    out.error = emptyResponseError(reason);
    done_ = true;
    return false;
  }
  choice.finished = true;
  appendChoiceEvent(out.sse, index, [](JsonWriter&) {}, finish.c_str(), nullptr);
  return true;
}

StreamRenderer::Output StreamRenderer::onChunk(const Json& chunk) {
  Output out;
  if (done_ || !chunk.is_object()) {
    return out;
  }
  if (chunk.contains("usageMetadata") && chunk["usageMetadata"].is_object()) {
    usage_ = usageMetadataOf(chunk["usageMetadata"]);
  }
  const Json& candidates = memberOr(chunk, "candidates", emptyJsonArray());
  if (candidates.empty() && chunk.contains("promptFeedback") &&
      chunk["promptFeedback"].is_object() &&
      !chunk["promptFeedback"].value("blockReason", std::string()).empty() && choices_.empty()) {
    Choice& choice = startChoice(0, out.sse);
    choice.finished = true;
    blocked_ = true;
    appendChoiceEvent(out.sse, 0, [](JsonWriter&) {}, "content_filter", nullptr);
    return out;
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Json& candidate = candidates[i];
    if (!candidate.is_object()) {
      continue;
    }
    int64_t index = candidate.contains("index") && candidate["index"].is_number_integer()
                        ? candidate["index"].get<int64_t>()
                        : static_cast<int64_t>(i);
    if (choices_[index].finished) {
      continue;
    }
    std::string reason = candidate.value("finishReason", std::string());
    if (isMalformedFinish(reason)) {
      out.error = malformedCallError(candidate);
      done_ = true;
      return out;
    }
    Choice& choice = startChoice(index, out.sse);
    Json logprobs = options_.logprobs ? logprobsJson(candidate) : Json(nullptr);
    const Json& parts =
        memberOr(memberOr(candidate, "content", emptyJsonObject()), "parts", emptyJsonArray());
    for (const Json& part : parts) {
      if (!part.is_object()) {
        continue;
      }
      if (auto fc = part.find("functionCall"); fc != part.end() && fc->is_object()) {
        Json call = toolCallFromPart(part, services_);
        call["index"] = choice.toolCalls++;
        appendChoiceEvent(
            out.sse, index,
            [&call](JsonWriter& w) { w.key("tool_calls").beginArray().value(call).endArray(); },
            nullptr, logprobs);
        choice.hasOutput = true;
      } else if (auto t = part.find("text");
                 t != part.end() && t->is_string() && !t->get_ref<const std::string&>().empty()) {
        appendText(out.sse, index, choice, t->get_ref<const std::string&>(),
                   part.value("thought", false), logprobs);
      } else {
        continue;
      }
      logprobs = nullptr;  // a chunk's logprobs go with its first delta only
    }
    if (!reason.empty() && !finishChoice(out, index, choice, reason)) {
      return out;
    }
  }
  return out;
}

StreamRenderer::Output StreamRenderer::onChunkText(std::string_view chunk) {
  if (done_) {
    return {};
  }
  if (std::optional<ScannedAnswer> scanned = scanAnswer(chunk);
      scanned && takesScanned(*scanned)) {
    return onScannedChunk(*scanned);
  }
  if (std::optional<Json> parsed = parseJson(chunk)) {
    return onChunk(*parsed);
  }
  return {};
}

bool StreamRenderer::takesScanned(const ScannedAnswer& chunk) const {
  if (options_.logprobs) {
    return false;
  }
  for (const ScannedCandidate& candidate : chunk.candidates) {
    if (candidate.pieces > 1) {
      return false;
    }
  }
  return true;
}

StreamRenderer::Output StreamRenderer::onScannedChunk(const ScannedAnswer& chunk) {
  Output out;
  if (done_) {
    return out;
  }
  if (chunk.hasUsage) {
    usage_ = chunk.usage;
  }
  // The scan refuses prompt feedback, malformed-call finishes and tool calls: what is left is
  // onChunk's loop over candidates with text parts.
  static const Json noLogprobs;
  for (size_t i = 0; i < chunk.candidates.size(); ++i) {
    const ScannedCandidate& candidate = chunk.candidates[i];
    int64_t index = candidate.index.value_or(static_cast<int64_t>(i));
    if (choices_[index].finished) {
      continue;
    }
    Choice& choice = startChoice(index, out.sse);
    if (candidate.pieces == 1) {
      const ChoiceContent& content = candidate.content;
      const bool thought = content.text.empty();
      appendText(out.sse, index, choice, thought ? content.reasoning : content.text, thought,
                 noLogprobs);
    }
    if (!candidate.finishReason.empty() &&
        !finishChoice(out, index, choice, candidate.finishReason)) {
      return out;
    }
  }
  return out;
}

StreamRenderer::Output StreamRenderer::finish() {
  Output out;
  if (done_) {
    return out;
  }
  done_ = true;
  if (choices_.empty()) {
    out.error = emptyResponseError("");
    out.error->message = "The model returned no candidates.";
    return out;
  }
  for (auto& [index, choice] : choices_) {
    if (choice.finished) {
      continue;
    }
    // The upstream ended without a finishReason: close the choice so SDK helpers finish.
    if (!choice.hasOutput) {
      out.error = emptyResponseError("");
      return out;
    }
    choice.finished = true;
    appendChoiceEvent(out.sse, index, [](JsonWriter&) {},
                      choice.toolCalls > 0 ? "tool_calls" : "stop", nullptr);
  }
  if (options_.includeUsage) {
    appendUsageEvent(out.sse);
  }
  out.sse += "data: [DONE]\n\n";
  return out;
}

}  // namespace llmp::plugins::frontend_openai
