// Translation between the IR (Gemini v1beta JSON) and ACP prompt turns. Plain functions, no
// process or ABI, so tests call them directly.
#pragma once

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "json_rpc_peer.hpp"

namespace llmp::plugins::gemini_acp {

// The request's conversation, checked: contents non-empty and ending with a user turn.
// Throws llmp::Error(LLMP_E_INVALID) otherwise.
void validateConversation(const Json& ir);

// ACP content blocks for one IR content's parts: text -> text, image/audio inlineData ->
// image/audio, other inlineData -> embedded resource (text when textual, else blob), fileData ->
// resource_link, functionResponse -> text. Thought parts are skipped.
Json partsToContentBlocks(const Json& parts);

// The session/prompt `prompt` array for the request's last user turn. With `replay`, a text
// block carrying the system instruction and every earlier turn comes first (the agent's session
// was created for this request, so it has not seen them).
Json buildPrompt(const Json& ir, bool replay);

// Stable 64-bit FNV-1a hex digest of a JSON value's serialization.
std::string digest(const Json& value);
// The conversation's fingerprint when the client sent no session id: its first user turn.
std::string conversationFingerprint(const Json& ir);

// Model id for the CLI: strips "google/" and "models/" prefixes.
std::string normalizeModel(std::string model);

// One session/update, translated.
struct MappedUpdate {
  enum class Kind { None, Text, Thought, Progress };
  Kind kind = Kind::None;
  std::string text;
};

// Remembers tool titles across tool_call / tool_call_update of one turn.
class UpdateMapper {
 public:
  MappedUpdate map(const Json& update);

 private:
  std::map<std::string, std::string> titles_;
};

// stopReason -> Gemini finishReason: end_turn STOP, max_tokens MAX_TOKENS, others OTHER.
std::string finishReasonFor(const std::string& stopReason);

// usageMetadata from the session/prompt result's _meta.quota.token_count; null when absent.
Json usageFromPromptResult(const Json& result);

// One IR response chunk with the given parts (and finishReason / usage when non-empty).
Json makeChunk(const Json& parts, const std::string& finishReason, const Json& usage);

// Appends a text (or thought) part, merging it into the last part when that has the same kind.
void appendPart(Json& parts, const std::string& text, bool thought);

// The llmp error for a JSON-RPC error answer from the agent. Codes 400-599 are upstream HTTP
// statuses (Gemini CLI passes them through); -32000 means authentication required.
Error errorFromRpc(const RpcOutcome& outcome, const std::string& what);

}  // namespace llmp::plugins::gemini_acp
