// Which requests are Anthropic's, and which endpoint a path names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace llmp::plugins::anthropic {

// LLMP_MATCH_* for a request: /v1/messages... YES; /v1/models... STRONG with an
// anthropic-version header (OpenAI serves /v1/models too), else not ours; /anthropic/... YES;
// any other path with an anthropic-version header FALLBACK (our error shape fits).
int32_t matchScore(std::string_view path, bool hasAnthropicVersion);

enum class Endpoint { Messages, CountTokens, ListModels, GetModel, Unknown };

struct Route {
  Endpoint endpoint = Endpoint::Unknown;
  std::string modelId;  // GetModel: the percent-decoded id
  const char* method = "POST";  // the method the endpoint answers
};

// Resolves a path (the /anthropic prefix is optional).
Route resolveRoute(std::string_view path);

// %XX escapes; '+' becomes a space only in query strings.
std::string percentDecode(std::string_view text, bool plusIsSpace);

}  // namespace llmp::plugins::anthropic
