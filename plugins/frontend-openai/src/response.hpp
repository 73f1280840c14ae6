// IR response chunks (Gemini GenerateContentResponse) -> OpenAI chat.completion objects.
// Shared pieces (finish reasons, usage, logprobs, tool calls) are used by the stream renderer too.
#pragma once

#include <llmp/cpp/json.hpp>
#include <llmp/cpp/json_writer.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

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

// usageMetadata's token counts, each 0 when absent.
struct UsageMetadata {
  int64_t prompt = 0;         // promptTokenCount
  int64_t toolUsePrompt = 0;  // toolUsePromptTokenCount
  int64_t thoughts = 0;       // thoughtsTokenCount
  int64_t candidates = 0;     // candidatesTokenCount
  int64_t total = 0;          // totalTokenCount
  int64_t cached = 0;         // cachedContentTokenCount
};
// usageMetadata's count members and the field each fills: read by usageMetadataOf from a DOM and
// by the answer scan (answer_scan.cpp) from SAX events.
inline constexpr std::array<std::pair<const char*, int64_t UsageMetadata::*>, 6> kUsageCounts = {{
    {"promptTokenCount", &UsageMetadata::prompt},
    {"toolUsePromptTokenCount", &UsageMetadata::toolUsePrompt},
    {"thoughtsTokenCount", &UsageMetadata::thoughts},
    {"candidatesTokenCount", &UsageMetadata::candidates},
    {"totalTokenCount", &UsageMetadata::total},
    {"cachedContentTokenCount", &UsageMetadata::cached},
}};
UsageMetadata usageMetadataOf(const Json& usageMetadata);

// Writes usage from usageMetadata (zeros when absent).
void writeUsage(JsonWriter& out, const Json& usageMetadata);
void writeUsage(JsonWriter& out, const UsageMetadata& usage);
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

// The pieces of a chat.completion, shared by renderCompletion and the renderer of an answer read
// without a DOM (answer_scan.hpp), so both write the same bytes.
// What one candidate's parts amount to.
struct ChoiceContent {
  std::string text;       // non-thought text, concatenated
  std::string reasoning;  // thought text, concatenated
  bool hasText = false;   // some non-thought text was not empty
  Json toolCalls;         // null until the first call: an empty array would cost an allocation
};
// Opens the object and its "choices" array.
void beginCompletion(JsonWriter& out);
// Writes one choice, or returns the error to answer instead (an answer with nothing in it).
// `logprobsFrom` is the candidate to take logprobs from, or nullptr for "logprobs": null.
std::optional<ApiError> writeChoice(JsonWriter& out, const std::string& geminiReason,
                                    int64_t index, const ChoiceContent& content,
                                    const Json* logprobsFrom);
// Closes "choices" and writes the members after it, ending the object.
void endCompletion(JsonWriter& out, const ResponseMeta& meta, const UsageMetadata& usage);

}  // namespace llmp::plugins::frontend_openai
