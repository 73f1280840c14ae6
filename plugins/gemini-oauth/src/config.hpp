// The configuration of one gemini-oauth-* backend instance (its YAML subtree as JSON). Keys may
// sit at the top level or under `extra:`; top level wins.
#pragma once

#include <llmp/cpp/config_reader.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace llmp::plugins::gemini_oauth {

inline constexpr const char* kTypePlan = "gemini-oauth-plan";
inline constexpr const char* kTypeFree = "gemini-oauth-free";
inline constexpr const char* kTypeAuto = "gemini-oauth-auto";

// Environment lookup; nullptr when unset.
using EnvFn = config::EnvFn;

using Timeouts = config::Timeouts;  // 0 = the host's default

struct OAuthConfig {
  std::string instance;
  std::string type;
  std::string endpoint;    // Code Assist, no trailing '/'
  std::string apiVersion;  // v1internal
  std::vector<std::string> models;
  Timeouts timeouts;
  std::string projectId;  // optional: a project for tiers that need one
  int64_t onboardPollIntervalMs = 5000;
  int onboardMaxPolls = 60;

  // OAuth client and endpoints (client values: config or GEMINI_OAUTH_CLIENT_ID/_SECRET).
  std::string clientId;
  std::string clientSecret;
  std::string tokenUri;
  std::string authUri;
  std::string userinfoUri;

  // gemini-oauth-plan / -free.
  std::string credsPath;  // configured path ("" = discover)
  std::string geminiCliExecutable = "gemini";
  std::vector<std::string> geminiCliArgs = {"-p", "Reply with the single word OK."};
  int64_t refreshMarginMs = 300 * 1000;
  int64_t cliRefreshTimeoutMs = 120 * 1000;

  // gemini-oauth-auto.
  std::string accountsDir;  // "" = ~/.config/llm-proxy/gemini-oauth-accounts
  int64_t refreshBufferMs = 300 * 1000;
  int64_t refreshCheckIntervalMs = 30 * 1000;
  std::string strategy = "session-affinity";
  int64_t affinityTtlMs = 86400LL * 1000;
  size_t affinityMaxEntries = 10000;
  int64_t defaultRestMs = 60 * 1000;  // a 429 without a retry delay
  std::string callbackHost = "127.0.0.1";
  uint16_t callbackPort = 0;
  int64_t callbackTimeoutMs = 5 * 60 * 1000;
};

// Parses the instance config. CODE_ASSIST_ENDPOINT / CODE_ASSIST_API_VERSION replace the
// defaults, GEMINI_OAUTH_CLIENT_ID / GEMINI_OAUTH_CLIENT_SECRET supply the client, and
// GOOGLE_CLOUD_PROJECT the project (config keys win). Throws llmp::Error(LLMP_E_INVALID) naming
// the instance and key when the config is unusable.
OAuthConfig parseConfig(std::string_view type, std::string_view instance,
                        std::string_view configJson, const EnvFn& env);

// "~/x" -> "$HOME/x".
std::string expandHome(const std::string& path, const EnvFn& env);

}  // namespace llmp::plugins::gemini_oauth
