#include "response.hpp"

#include <algorithm>
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

namespace {

struct UsageCounts {
  int64_t prompt = 0, completion = 0, total = 0, cached = 0, reasoning = 0;
};

UsageCounts usageCounts(const UsageMetadata& meta) {
  UsageCounts u;
  u.prompt = meta.prompt + meta.toolUsePrompt;
  u.reasoning = meta.thoughts;
  u.completion = meta.candidates + u.reasoning;
  u.total = std::max(meta.total, u.prompt + u.completion);
  u.cached = meta.cached;
  return u;
}

}  // namespace

UsageMetadata usageMetadataOf(const Json& meta) {
  UsageMetadata m;
  for (const auto& [key, field] : kUsageCounts) {
    m.*field = count(meta, key);
  }
  return m;
}

void writeUsage(JsonWriter& out, const Json& meta) { writeUsage(out, usageMetadataOf(meta)); }

void writeUsage(JsonWriter& out, const UsageMetadata& meta) {
  const UsageCounts u = usageCounts(meta);
  // Keys in nlohmann::json's (sorted) order: the bytes a dumped DOM would have.
  out.beginObject()
      .key("completion_tokens").number(u.completion)
      .key("completion_tokens_details").beginObject()
      .key("reasoning_tokens").number(u.reasoning)
      .endObject()
      .key("prompt_tokens").number(u.prompt)
      .key("prompt_tokens_details").beginObject()
      .key("cached_tokens").number(u.cached)
      .endObject()
      .key("total_tokens").number(u.total)
      .endObject();
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

void beginCompletion(JsonWriter& out) { out.beginObject().key("choices").beginArray(); }

std::optional<ApiError> writeChoice(JsonWriter& out, const std::string& reason, int64_t index,
                                    const ChoiceContent& content, const Json* logprobsFrom) {
  const bool hasToolCalls = !content.toolCalls.is_null();
  std::string finish = mapFinishReason(reason, hasToolCalls);
  if (!content.hasText && !hasToolCalls && finish == "stop") {
    return emptyResponseError(reason);
  }
  out.beginObject().key("finish_reason").string(finish).key("index").number(index);
  out.key("logprobs");
  if (logprobsFrom != nullptr) {
    out.value(logprobsJson(*logprobsFrom));
  } else {
    out.null();
  }
  out.key("message").beginObject().key("content");
  if (content.hasText || !hasToolCalls) {
    out.string(content.text);
  } else {
    out.null();
  }
  if (!content.reasoning.empty()) {
    out.key("reasoning_content").string(content.reasoning);
  }
  out.key("refusal").null().key("role").string("assistant");
  if (hasToolCalls) {
    out.key("tool_calls").value(content.toolCalls);
  }
  out.endObject().endObject();
  return std::nullopt;
}

void endCompletion(JsonWriter& out, const ResponseMeta& meta, const UsageMetadata& usage) {
  out.endArray()
      .key("created").number(meta.created)
      .key("id").string(meta.id)
      .key("model").string(meta.model)
      .key("object").string("chat.completion")
      .key("system_fingerprint").null()
      .key("usage");
  writeUsage(out, usage);
  out.endObject();
}

CompletionResult renderCompletion(const Json& chunk, const ResponseMeta& meta,
                                  const ResponseOptions& options, Services& services) {
  CompletionResult result;
  const Json& candidates = memberOr(chunk, "candidates", emptyJsonArray());
  std::string blockReason;
  if (chunk.is_object() && chunk.contains("promptFeedback") &&
      chunk["promptFeedback"].is_object()) {
    blockReason = chunk["promptFeedback"].value("blockReason", std::string());
  }
  if (candidates.empty() && blockReason.empty()) {
    result.error = emptyResponseError("");
    result.error->message = "The model returned no candidates.";
    return result;
  }
  // Written straight to text, keys in nlohmann::json's sorted order (the wire form is unchanged
  // from the DOM this replaced, which cost a heap node per value and key).
  JsonWriter out;
  beginCompletion(out);
  if (candidates.empty()) {
    out.beginObject()
        .key("finish_reason").string("content_filter")
        .key("index").number(0)
        .key("logprobs").null()
        .key("message").beginObject()
        .key("content").string("")
        .key("refusal").null()
        .key("role").string("assistant")
        .endObject()
        .endObject();
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
    ChoiceContent content;
    const Json& parts =
        memberOr(memberOr(candidate, "content", emptyJsonObject()), "parts", emptyJsonArray());
    for (const Json& part : parts) {
      if (!part.is_object()) {
        continue;
      }
      if (auto call = part.find("functionCall"); call != part.end() && call->is_object()) {
        content.toolCalls.push_back(toolCallFromPart(part, services));
      } else if (auto t = part.find("text"); t != part.end() && t->is_string()) {
        const std::string& piece = t->get_ref<const std::string&>();
        if (part.value("thought", false)) {
          content.reasoning += piece;
        } else {
          content.text += piece;
          content.hasText = content.hasText || !piece.empty();
        }
      }
    }
    int64_t index = candidate.contains("index") && candidate["index"].is_number_integer()
                        ? candidate["index"].get<int64_t>()
                        : static_cast<int64_t>(i);
    result.error = writeChoice(out, reason, index, content, options.logprobs ? &candidate : nullptr);
    if (result.error) {
      return result;
    }
  }
  endCompletion(out, meta, usageMetadataOf(memberOr(chunk, "usageMetadata", emptyJsonObject())));
  result.body = out.take();
  return result;
}

}  // namespace llmp::plugins::frontend_openai
