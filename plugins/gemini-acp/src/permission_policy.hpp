// Answers the agent's session/request_permission by the configured policy. A headless proxy has
// nobody to ask, so the decision follows the tool's kind: reading is safe, changing is not.
#pragma once

#include <llmp/cpp/json.hpp>

#include <string>

#include "config.hpp"

namespace llmp::plugins::gemini_acp {

struct PermissionDecision {
  bool allow = false;
  std::string kind;      // the tool call's kind ("other" when absent)
  std::string title;     // the tool call's title, for logs and progress events
  std::string optionId;  // the chosen option; empty when no option fits (answered "cancelled")
  Json result;           // the JSON-RPC result to send back
};

// True for tool kinds that only look: read, search, fetch, think.
bool isReadOnlyKind(const std::string& kind);

// Decides for request params {sessionId, toolCall{kind,title,...}, options[{optionId,kind}]}.
// Allowing picks an allow_once option (else allow_always); rejecting picks reject_once (else
// reject_always). Options are matched by kind, never by id.
PermissionDecision decidePermission(const Json& params, PermissionPolicy policy);

}  // namespace llmp::plugins::gemini_acp
