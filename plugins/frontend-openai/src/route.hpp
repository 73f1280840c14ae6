// Which OpenAI endpoint a request is for, and how strongly this front end claims it.
#pragma once

#include <llmp/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmp::plugins::frontend_openai {

enum class Action { ChatCompletions, ListModels, GetModel, NotFound, WrongMethod };

struct Route {
  Action action = Action::NotFound;
  std::string modelId;  // GetModel: percent-decoded id
};

// method and path as the host gives them (path without query, not percent-decoded).
Route parseRoute(std::string_view method, std::string_view path);

// LLMP_MATCH_YES for /v1/chat/completions and /v1/models[/id]; LLMP_MATCH_FALLBACK for other
// /v1/ paths without Anthropic or Gemini headers; LLMP_MATCH_NONE for Gemini-shaped
// /v1/models/{m}:method calls and anything else.
int32_t matchScore(std::string_view method, std::string_view path, const llmp_header* headers,
                   size_t headerCount);

}  // namespace llmp::plugins::frontend_openai
