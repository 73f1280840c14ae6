#include "stream.hpp"

#include <utility>

namespace llmp::plugins::frontend_openai {

StreamRenderer::StreamRenderer(ResponseMeta meta, ResponseOptions options, Services& services)
    : meta_(std::move(meta)), options_(options), services_(services) {}

std::string StreamRenderer::event(const Json& choices, const Json* usage) {
  Json chunk = {{"id", meta_.id},
                {"object", "chat.completion.chunk"},
                {"created", meta_.created},
                {"model", meta_.model},
                {"choices", choices}};
  if (usage != nullptr) {
    chunk["usage"] = *usage;
  } else if (options_.includeUsage) {
    chunk["usage"] = nullptr;
  }
  emittedAny_ = true;
  return "data: " + dumpJson(chunk) + "\n\n";
}

std::string StreamRenderer::choiceEvent(int64_t index, Json delta, const Json& finish,
                                        const Json& logprobs) {
  Json choice = {{"index", index},
                 {"delta", std::move(delta)},
                 {"logprobs", logprobs},
                 {"finish_reason", finish}};
  return event(Json::array({std::move(choice)}));
}

StreamRenderer::Choice& StreamRenderer::startChoice(int64_t index, std::string& out) {
  Choice& choice = choices_[index];
  if (!choice.started) {
    choice.started = true;
    out += choiceEvent(index, Json{{"role", "assistant"}, {"content", ""}}, nullptr, nullptr);
  }
  return choice;
}

std::string StreamRenderer::errorEvent(const ApiError& error) {
  return "data: " + dumpJson(errorJson(error)) + "\n\n";
}

StreamRenderer::Output StreamRenderer::onChunk(const Json& chunk) {
  Output out;
  if (done_ || !chunk.is_object()) {
    return out;
  }
  if (chunk.contains("usageMetadata") && chunk["usageMetadata"].is_object()) {
    usage_ = chunk["usageMetadata"];
  }
  const Json& candidates = memberOr(chunk, "candidates", emptyJsonArray());
  if (candidates.empty() && chunk.contains("promptFeedback") &&
      chunk["promptFeedback"].is_object() &&
      !chunk["promptFeedback"].value("blockReason", std::string()).empty() && choices_.empty()) {
    Choice& choice = startChoice(0, out.sse);
    choice.finished = true;
    blocked_ = true;
    out.sse += choiceEvent(0, Json::object(), "content_filter", nullptr);
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
      Json delta;
      if (part.contains("functionCall") && part["functionCall"].is_object()) {
        Json call = toolCallFromPart(part, services_);
        call["index"] = choice.toolCalls++;
        delta = Json{{"tool_calls", Json::array({std::move(call)})}};
        choice.hasOutput = true;
      } else if (part.contains("text") && part["text"].is_string() &&
                 !part["text"].get<std::string>().empty()) {
        if (part.value("thought", false)) {
          delta = Json{{"reasoning_content", part["text"]}};
        } else {
          delta = Json{{"content", part["text"]}};
          choice.hasOutput = true;
        }
      } else {
        continue;
      }
      out.sse += choiceEvent(index, std::move(delta), nullptr, logprobs);
      logprobs = nullptr;  // a chunk's logprobs go with its first delta only
    }
    if (!reason.empty()) {
      std::string finish = mapFinishReason(reason, choice.toolCalls > 0);
      if (!choice.hasOutput && finish == "stop") {
        out.error = emptyResponseError(reason);
        done_ = true;
        return out;
      }
      choice.finished = true;
      out.sse += choiceEvent(index, Json::object(), finish, nullptr);
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
    out.sse += choiceEvent(index, Json::object(), choice.toolCalls > 0 ? "tool_calls" : "stop",
                           nullptr);
  }
  if (options_.includeUsage) {
    Json usage = usageJson(usage_);
    out.sse += event(Json::array(), &usage);
  }
  out.sse += "data: [DONE]\n\n";
  return out;
}

}  // namespace llmp::plugins::frontend_openai
