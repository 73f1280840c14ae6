// Anthropic Messages request body -> IR request (Gemini GenerateContentRequest JSON, docs/ir.md).
// Pure functions: no ABI, no I/O, so the tests call them directly.
#pragma once

#include <llmp/cpp/json.hpp>

#include <string>

namespace llmp::plugins::anthropic {

enum class RequestKind {
  Messages,     // POST /v1/messages: model, max_tokens and messages required
  CountTokens,  // POST /v1/messages/count_tokens: no max_tokens, no stream
};

struct TranslatedRequest {
  std::string model;   // the client's model selector, as given
  bool stream = false;
  std::string userId;  // metadata.user_id (a session id when the client sent no x-session-id)
  Json ir;
};

// Validates and translates a request body. Throws RequestError (-> 400 invalid_request_error)
// naming the offending field, e.g. "messages.2.content.0.source.data: must be a string".
TranslatedRequest translateRequest(const Json& body, RequestKind kind);

}  // namespace llmp::plugins::anthropic
