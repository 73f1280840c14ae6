#include "response.hpp"

#include <vector>

namespace llmp::plugins::frontend_openai {
namespace {

int64_t count(const Json& usage, const char* key) {
  auto it = usage.is_object() ? usage.find(key) : usage.end();
  if (usage.is_object() && it != usage.end() && it->is_number()) {
    return it->get<int64_t>();
  }
  return 0;
}

Json bytesOf(const std::string& token) {
  Json bytes = Json::array();
  for (unsigned char c : token) {
    bytes.push_back(static_cast<int>(c));
  }
  return bytes;
}

Json tokenLogprob(const Json& entry) {
  std::string token = entry.value("token", std::string());
  double logprob = 0.0;
  if (auto it = entry.find("logProbability"); it != entry.end() && it->is_number()) {
    logprob = it->get<double>();
  }
  return Json{{"token", token}, {"logprob", logprob}, {"bytes", bytesOf(token)}};
}

}  // namespace

std::string mintCompletionId(Services& services) { return "chatcmpl-" + services.randomHex(12); }

std::string mintToolCallId(Services& services) { return "call_" + services.randomHex(12); }

bool isMalformedFinish(const std::string& reason) {
  return reason == "MALFORMED_FUNCTION_CALL" || reason == "UNEXPECTED_TOOL_CALL";
}

bool isContentFilterFinish(const std::string& reason) {
  return reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" ||
         reason == "PROHIBITED_CONTENT" || reason == "SPII" || reason.rfind("IMAGE_", 0) == 0;
}

std::string mapFinishReason(const std::string& reason, bool hasToolCalls) {
  if (reason == "MAX_TOKENS") {
    return "length";
  }
  if (isContentFilterFinish(reason)) {
    return "content_filter";
  }
  return hasToolCalls ? "tool_calls" : "stop";
}

Json usageJson(const Json& meta) {
  int64_t prompt = count(meta, "promptTokenCount") + count(meta, "toolUsePromptTokenCount");
  int64_t thoughts = count(meta, "thoughtsTokenCount");
  int64_t completion = count(meta, "candidatesTokenCount") + thoughts;
  int64_t total = count(meta, "totalTokenCount");
  if (total < prompt + completion) {
    total = prompt + completion;
  }
  return Json{{"prompt_tokens", prompt},
              {"completion_tokens", completion},
              {"total_tokens", total},
              {"prompt_tokens_details", {{"cached_tokens", count(meta, "cachedContentTokenCount")}}},
              {"completion_tokens_details", {{"reasoning_tokens", thoughts}}}};
}

Json logprobsJson(const Json& candidate) {
  auto result = candidate.find("logprobsResult");
  if (result == candidate.end() || !result->is_object()) {
    return nullptr;
  }
  const Json& chosen = memberOr(*result, "chosenCandidates", emptyJsonArray());
  const Json& top = memberOr(*result, "topCandidates", emptyJsonArray());
  Json content = Json::array();
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (!chosen[i].is_object()) {
      continue;
    }
    Json entry = tokenLogprob(chosen[i]);
    Json alternatives = Json::array();
    if (i < top.size() && top[i].is_object()) {
      for (const Json& alt : memberOr(top[i], "candidates", emptyJsonArray())) {
        if (alt.is_object()) {
          alternatives.push_back(tokenLogprob(alt));
        }
      }
    }
    entry["top_logprobs"] = std::move(alternatives);
    content.push_back(std::move(entry));
  }
  return Json{{"content", std::move(content)}, {"refusal", nullptr}};
}

Json toolCallFromPart(const Json& part, Services& services) {
  const Json& call = part["functionCall"];
  std::string id = call.value("id", std::string());
  if (id.empty()) {
    id = mintToolCallId(services);
  }
  const Json& args = memberOr(call, "args", emptyJsonObject());
  Json out = {{"id", id},
              {"type", "function"},
              {"function", {{"name", call.value("name", std::string())}, {"arguments", dumpJson(args)}}}};
  auto sig = part.find("thoughtSignature");
  if (sig != part.end() && sig->is_string() && !sig->get<std::string>().empty()) {
    out["extra_content"] = Json{{"google", {{"thought_signature", *sig}}}};
    services.kvSet(signatureKey(id), sig->get<std::string>(), kSignatureTtlMs);
  }
  return out;
}

ApiError malformedCallError(const Json& candidate) {
  std::string reason = candidate.value("finishReason", std::string());
  ApiError error;
  error.httpStatus = 502;
  error.code = reason == "UNEXPECTED_TOOL_CALL" ? "unexpected_tool_call" : "malformed_function_call";
  error.message = reason == "UNEXPECTED_TOOL_CALL"
                      ? "The model called a tool that was not offered (Gemini finishReason "
                        "UNEXPECTED_TOOL_CALL); no usable answer was produced."
                      : "The model produced a malformed function call (Gemini finishReason " +
                            reason + "); no usable answer was produced.";
  std::string detail = candidate.value("finishMessage", std::string());
  if (!detail.empty()) {
    error.message += " Upstream said: " + detail;
  }
  return error;
}

ApiError emptyResponseError(const std::string& reason) {
  ApiError error;
  error.httpStatus = 502;
  error.code = "empty_response";
  error.message = "The model returned an empty response (Gemini finishReason " +
                  (reason.empty() ? std::string("unset") : reason) + ").";
  return error;
}

CompletionResult renderCompletion(const Json& chunk, const ResponseMeta& meta,
                                  const ResponseOptions& options, Services& services) {
  CompletionResult result;
  Json choices = Json::array();
  const Json& candidates = memberOr(chunk, "candidates", emptyJsonArray());
  std::string blockReason;
  if (chunk.is_object() && chunk.contains("promptFeedback") &&
      chunk["promptFeedback"].is_object()) {
    blockReason = chunk["promptFeedback"].value("blockReason", std::string());
  }
  if (candidates.empty()) {
    if (blockReason.empty()) {
      result.error = emptyResponseError("");
      result.error->message = "The model returned no candidates.";
      return result;
    }
    choices.push_back(Json{{"index", 0},
                           {"message", {{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}},
                           {"logprobs", nullptr},
                           {"finish_reason", "content_filter"}});
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Json& candidate = candidates[i];
    if (!candidate.is_object()) {
      continue;
    }
    std::string reason = candidate.value("finishReason", std::string());
    if (isMalformedFinish(reason)) {
      result.error = malformedCallError(candidate);
      return result;
    }
    std::string text;
    std::string reasoning;
    bool hasText = false;
    Json toolCalls = Json::array();
    const Json& parts =
        memberOr(memberOr(candidate, "content", emptyJsonObject()), "parts", emptyJsonArray());
    for (const Json& part : parts) {
      if (!part.is_object()) {
        continue;
      }
      if (part.contains("functionCall") && part["functionCall"].is_object()) {
        toolCalls.push_back(toolCallFromPart(part, services));
      } else if (part.contains("text") && part["text"].is_string()) {
        if (part.value("thought", false)) {
          reasoning += part["text"].get<std::string>();
        } else {
          text += part["text"].get<std::string>();
          hasText = hasText || !part["text"].get<std::string>().empty();
        }
      }
    }
    std::string finish = mapFinishReason(reason, !toolCalls.empty());
    if (!hasText && toolCalls.empty() && finish == "stop") {
      result.error = emptyResponseError(reason);
      return result;
    }
    Json message = {{"role", "assistant"},
                    {"content", hasText || toolCalls.empty() ? Json(text) : Json(nullptr)},
                    {"refusal", nullptr}};
    if (!reasoning.empty()) {
      message["reasoning_content"] = reasoning;
    }
    if (!toolCalls.empty()) {
      message["tool_calls"] = std::move(toolCalls);
    }
    int64_t index = candidate.contains("index") && candidate["index"].is_number_integer()
                        ? candidate["index"].get<int64_t>()
                        : static_cast<int64_t>(i);
    choices.push_back(Json{{"index", index},
                           {"message", std::move(message)},
                           {"logprobs", options.logprobs ? logprobsJson(candidate) : Json(nullptr)},
                           {"finish_reason", finish}});
  }
  result.body = Json{{"id", meta.id},
                     {"object", "chat.completion"},
                     {"created", meta.created},
                     {"model", meta.model},
                     {"choices", std::move(choices)},
                     {"usage", usageJson(memberOr(chunk, "usageMetadata", emptyJsonObject()))},
                     {"system_fingerprint", nullptr}};
  return result;
}

}  // namespace llmp::plugins::frontend_openai
