// The Antigravity generation body (shared/protocols/antigravity.md §6) built from an IR request,
// and the response-side bookkeeping that keeps Claude's signed thinking intact across turns.
#pragma once

#include <llmp/cpp/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace llmp::plugins::antigravity {

// Code Assist's "skip the signature check" sentinel (accepted for Gemini models only).
inline constexpr const char* kSkipSignature = "skip_thought_signature_validator";

// Does the IR ask for thinking (a positive / dynamic budget, a level, or includeThoughts)?
bool thinkingRequested(const Json& ir);

struct BodyOptions {
  std::string model;  // upstream id
  bool claude = false;
  bool thinkingModel = false;  // a -thinking variant
  std::string project;  // omitted when empty
  std::string requestId;
  std::string sessionId;
  int64_t defaultThinkingBudget = 8192;
  int64_t maxOutputTokens = 0;  // the model's output limit when known (clamp), 0 = unknown
  // The thinking text a signature was issued with (Claude turns that lost their thinking text,
  // e.g. through OpenAI clients); may be empty.
  std::function<std::optional<std::string>(const std::string& signature)> thinkingFor;
};

// {"model", "userAgent": "antigravity", "requestType": "agent", "project", "requestId",
//  "request": {<IR without llmp* members and safetySettings>, "sessionId"}}.
// Claude models: toolConfig.functionCallingConfig.mode VALIDATED when tools are declared (NONE
// kept); parametersJsonSchema -> parameters (sanitized); thinking parts keep their signature, a
// signature that only sits on a function call / text part is put back on a thinking part in
// front of it, unsigned thinking and the sentinel are dropped; thinking config for -thinking
// variants (budget < maxOutputTokens), none for the others.
// Other models: thought parts leave the history (their signature moves to the next part), as for
// Code Assist. Throws llmp::Error(LLMP_E_INVALID, 400) when the IR is not a JSON object.
std::string buildGenerateBody(std::string_view ir, const BodyOptions& options);

// "agent-<uuid>".
std::string newRequestId();
// "-<decimal int63>": stable for a conversation (SHA-256 of the client's session id, else of the
// first user text), random when there is neither.
std::string sessionIdFor(std::string_view clientSessionId, const Json& ir);

// Watches the response chunks of one generation: remembers the thinking text behind each
// signature (through `remember`), and, when `signCalls` is set, copies a thinking signature
// onto the function calls that follow it (OpenAI-style clients keep signatures only on tool
// calls). Returns the chunk to hand on (unchanged unless a call got a signature).
class ThoughtTracker {
 public:
  using Remember = std::function<void(const std::string& signature, const std::string& text)>;
  ThoughtTracker(bool signCalls, Remember remember)
      : signCalls_(signCalls), remember_(std::move(remember)) {}
  std::string process(const std::string& chunkJson);

 private:
  bool signCalls_;
  Remember remember_;
  std::string pendingText_;
  std::string lastSignature_;
};

}  // namespace llmp::plugins::antigravity
