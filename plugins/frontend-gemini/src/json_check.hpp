// Cheap validation of Gemini request bodies on the pass-through path: one pass over the bytes,
// no DOM, no allocation unless the body is bad. The body itself is handed on unchanged.
#pragma once

#include <string>
#include <string_view>

namespace llmp::plugins::frontend_gemini {

struct CheckResult {
  bool ok = true;
  std::string message;  // a Google-style sentence naming the offending field
};

// A generateContent / streamGenerateContent body: well-formed JSON (RFC 8259, valid UTF-8, no
// lone surrogates), a top-level object whose "contents" is a non-empty array of Content
// objects ({role?: string, parts?: [object]}), and the Gemini-defined top-level members with
// their JSON types (systemInstruction, generationConfig, toolConfig: object; tools,
// safetySettings: array; cachedContent, model: string; null allowed for optional ones).
// Unknown members of any type are accepted: they pass through to the upstream.
CheckResult checkGenerateRequest(std::string_view body);

// A countTokens body: {"contents":[...]} or {"generateContentRequest":{...}} (exclusive).
// *ir receives the bytes to hand to the router: the whole body for the first form, the exact
// bytes of the inner request for the second.
CheckResult checkCountTokensRequest(std::string_view body, std::string_view* ir);

}  // namespace llmp::plugins::frontend_gemini
