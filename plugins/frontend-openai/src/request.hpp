// OpenAI Chat Completions request body -> IR (Gemini GenerateContentRequest, docs/ir.md).
#pragma once

#include <llmp/cpp/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "services.hpp"

namespace llmp::plugins::frontend_openai {

// Sentinel Gemini accepts in place of an unknown thoughtSignature (gemini-api.md §3.1).
constexpr const char* kSkipSignature = "skip_thought_signature_validator";

// The accepted range of an integer parameter. translateRequest answers 400 outside it; the plain
// path (plain_request.cpp) then gives up, so that error is written in one place.
struct IntegerRange {
  int64_t min;
  int64_t max;
};
constexpr IntegerRange kTopKRange{1, 1000000};
constexpr IntegerRange kMaxTokensRange{1, INT32_MAX};  // max_tokens, max_completion_tokens
constexpr IntegerRange kCandidateCountRange{1, 128};   // n
constexpr IntegerRange kSeedRange{INT64_MIN, INT64_MAX};

struct TranslatedRequest {
  std::string model;         // the client's model selector, as given
  bool stream = false;
  bool includeUsage = false; // stream_options.include_usage
  bool logprobs = false;     // logprobs: true
  Json ir;                   // GenerateContentRequest
  std::vector<std::string> dropped; // client fields that were ignored
};

// Translates a parsed request body. Throws RequestError (400, naming the parameter) for a body
// that is not a valid chat completion request. Uses services for signatures saved by tool-call id
// and to log dropped fields.
TranslatedRequest translateRequest(const Json& body, Services& services);

}  // namespace llmp::plugins::frontend_openai
