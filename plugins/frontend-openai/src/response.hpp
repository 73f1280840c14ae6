// IR response chunks (Gemini GenerateContentResponse) -> OpenAI chat.completion objects.
// Shared pieces (finish reasons, usage, logprobs, tool calls) are used by the stream renderer too.
#pragma once

#include <llmp/cpp/json.hpp>
#include <llmp/cpp/json_writer.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "errors.hpp"
#include "services.hpp"

namespace llmp::plugins::frontend_openai {

struct ResponseMeta {
  std::string id;       // "chatcmpl-..."
  int64_t created = 0;  // Unix seconds
  std::string model;    // the model string the client asked for
};

struct ResponseOptions {
  bool logprobs = false;     // the client asked for logprobs
  bool includeUsage = false; // stream_options.include_usage
};

// A fresh "chatcmpl-<hex>" / "call_<24 hex>".
std::string mintCompletionId(Services& services);
std::string mintToolCallId(Services& services);

// Finish reasons that mean Gemini's tool call went wrong and the answer is unusable.
bool isMalformedFinish(const std::string& geminiReason);
// OpenAI finish_reason for a Gemini finishReason ("" when unset counts as a normal stop).
std::string mapFinishReason(const std::string& geminiReason, bool hasToolCalls);
bool isContentFilterFinish(const std::string& geminiReason);

// Writes usage from usageMetadata (zeros when absent).
void writeUsage(JsonWriter& out, const Json& usageMetadata);
// choices[].logprobs from a candidate's logprobsResult; null when absent.
Json logprobsJson(const Json& candidate);

// One OpenAI tool call from a Gemini functionCall part. Mints an id when Gemini sent none; keeps
// the part's thoughtSignature in extra_content.google.thought_signature and in the kv store.
Json toolCallFromPart(const Json& part, Services& services);

// The 502 for a candidate that ended in a malformed / unexpected tool call or with nothing.
ApiError malformedCallError(const Json& candidate);
ApiError emptyResponseError(const std::string& geminiReason);

// Non-streaming: the whole chat.completion, or the error to answer instead.
struct CompletionResult {
  std::optional<ApiError> error;
  std::string body;  // the chat.completion as JSON text (written directly, no DOM)
};
CompletionResult renderCompletion(const Json& chunk, const ResponseMeta& meta,
                                  const ResponseOptions& options, Services& services);

}  // namespace llmp::plugins::frontend_openai
