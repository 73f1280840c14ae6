// Reads a plain-text IR answer (GenerateContentResponse) without building a DOM, for the usual
// non-streaming reply. nlohmann's SAX parser walks the text once and keeps only what the
// chat.completion needs, where a DOM costs a heap node per value and per key (about 45 for a
// one-line answer).
//
// The scan covers a narrow shape: candidates whose parts are text (thought or not), a plain
// finishReason and index, and integer usage counts. Anything else gives up (tool calls, prompt
// feedback, malformed-call finishes, nulls, floats, repeated keys, unexpected types): the caller
// then parses into a DOM and calls renderCompletion, which stays the reference for every case.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "response.hpp"

namespace llmp::plugins::frontend_openai {

struct ScannedCandidate {
  std::string finishReason;      // "" when absent
  std::optional<int64_t> index;  // the candidate's own index, when it has one
  ChoiceContent content;         // toolCalls stays null: a call gives up the scan
  // Text parts that were not empty, thought or not: a stream writes one delta per part, so it can
  // render this candidate from `content` only when there is at most one.
  int pieces = 0;
};

struct ScannedAnswer {
  std::vector<ScannedCandidate> candidates;  // at least one
  UsageMetadata usage;
  bool hasUsage = false;  // the chunk had usageMetadata (a stream keeps the last one it saw)
};

// The answer in `chunk`, or nullopt when it is not valid JSON or not of the plain shape.
// Candidates' logprobsResult is skipped: scan only when the client did not ask for logprobs.
std::optional<ScannedAnswer> scanAnswer(std::string_view chunk);

// The chat.completion for a scanned answer: the bytes renderCompletion writes for its DOM.
CompletionResult renderScannedAnswer(const ScannedAnswer& answer, const ResponseMeta& meta);

}  // namespace llmp::plugins::frontend_openai
