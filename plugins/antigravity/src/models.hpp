// Model names: which upstream id a client's model name means on the Antigravity endpoint
// (canonical Claude names, dated Anthropic ids and CLIProxyAPI-style aliases included), and the
// model list (fetchAvailableModels answer or the static fallback) as Gemini Model objects.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace llmp::plugins::antigravity {

struct ModelChoice {
  std::string upstream;  // the id sent as "model"
  bool claude = false;
  bool thinking = false;  // a -thinking variant
};

bool isClaudeModel(std::string_view upstream);

// Maps a client's model name to the upstream id:
//   alias table (config) first; "models/" prefix and case dropped;
//   gemini-claude-X -> claude-X; claude-sonnet-4.5 -> claude-sonnet-4-5;
//   claude-4-5-sonnet / claude-4.5-sonnet -> claude-sonnet-4-5; a date (-20250929) or -latest
//   suffix is dropped;
//   X where only X-thinking exists upstream -> X-thinking; X when the client asked for thinking
//   and X-thinking exists -> X-thinking;
//   gemini-3-pro-preview -> gemini-3-pro-high, gemini-3-flash-preview -> gemini-3-flash when
//   the preview id is not itself offered.
// `known` is the upstream id list (fetched or static). Throws llmp::Error(LLMP_E_INVALID, 400)
// for an empty name or one with characters other than letters, digits, '-', '_', '.'.
ModelChoice resolveModel(std::string_view requested, bool thinkingRequested,
                         const std::map<std::string, std::string>& aliases,
                         const std::vector<std::string>& known);

// Ids CLIProxyAPI skips in the fetchAvailableModels answer (internal / not chat models).
bool isInternalModel(std::string_view id);

struct ModelInfo {
  std::string id;
  std::string displayName;
  int64_t inputTokenLimit = 0;
  int64_t outputTokenLimit = 0;
};

// Parses {"models": {"<id>": {displayName, maxTokens, maxOutputTokens}}} (also accepts an
// array of objects with "id"/"name"); internal ids skipped. Empty when unreadable.
std::vector<ModelInfo> parseAvailableModels(std::string_view body);
std::vector<ModelInfo> staticModels(const std::vector<std::string>& ids);
// A JSON array of Gemini Model objects.
std::string modelListJson(const std::vector<ModelInfo>& models);

}  // namespace llmp::plugins::antigravity
