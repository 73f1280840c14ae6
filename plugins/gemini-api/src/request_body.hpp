// Turning the IR into the upstream request body. The IR is Gemini's own GenerateContentRequest,
// so the body is the IR itself; it is only rewritten when it must be.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace llmp::plugins::gemini_api {

// The upstream body for generateContent / streamGenerateContent, or std::nullopt when the IR can
// be sent byte for byte. Rewrites only to remove top-level members named "llmp*" (IR extensions)
// and to clamp generationConfig.temperature into [0, maxTemperature(model)]; key order and every
// unknown member are kept. Throws llmp::Error(LLMP_E_INVALID) when a rewrite is needed and the
// IR is not a JSON object.
std::optional<std::string> prepareUpstreamBody(std::string_view ir, std::string_view model);

// The countTokens body: {"contents": [...]} or, when the IR has a systemInstruction or tools
// (which the plain form ignores), {"generateContentRequest": {"model": "models/<m>", ...IR}}.
std::string countTokensBody(std::string_view ir, std::string_view model);

// 1.0 for the gemini-1.0 / gemini-1.5 families, 2.0 otherwise.
double maxTemperature(std::string_view model);

// The bare model id ("models/x" -> "x"); tuned model names ("tunedModels/x") stay as they are.
// Throws llmp::Error(LLMP_E_INVALID) for an empty id or one with characters that do not belong
// in a URL path segment.
std::string normalizeModel(std::string_view model);

// "models/<id>" or "tunedModels/<id>": the resource path for a normalized model.
std::string modelResource(const std::string& normalized);

}  // namespace llmp::plugins::gemini_api
