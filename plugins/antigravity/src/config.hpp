// The configuration of one `antigravity-oauth` backend instance (its YAML subtree, as JSON).
// Keys may sit at the top level of the subtree or under `extra:`; top level wins.
#pragma once

#include <llmp/cpp/config_reader.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace llmp::plugins::antigravity {

inline constexpr const char* kBackendType = "antigravity-oauth";

// Environment lookup; returns nullptr when unset.
using EnvFn = config::EnvFn;

using Timeouts = config::Timeouts;  // 0 = the host's default

struct AntigravityConfig {
  std::string instance;
  // Where the token comes from: credentialsFile when set (an account stored through the
  // project's own OAuth flow), else the Antigravity app's state database.
  std::string credentialsFile;
  std::string stateDb;                   // explicit path (config state_db or ANTIGRAVITY_STATE_DB)
  std::vector<std::string> stateDbCandidates;  // platform defaults, tried in order
  // The OAuth client used to refresh tokens; never logged. Empty = no refresh.
  std::string clientId;
  std::string clientSecret;
  std::string tokenUri = "https://oauth2.googleapis.com/token";
  int64_t refreshMarginMs = 300 * 1000;

  std::vector<std::string> hosts;  // tried in order on 429 / transport errors; no trailing '/'
  std::string apiVersion = "v1internal";
  std::string projectId;  // empty = discover with loadCodeAssist / onboardUser
  std::string userAgent = "antigravity/hub/2.9.1 darwin/arm64";
  int onboardAttempts = 5;
  int64_t onboardIntervalMs = 2000;
  int64_t thinkingBudget = 8192;  // for -thinking Claude models when the client set none
  int64_t modelListTtlMs = 600 * 1000;
  std::vector<std::string> models;  // static fallback list (upstream ids)
  std::map<std::string, std::string> modelAliases;  // client name -> upstream id
  Timeouts timeouts;
};

// Default host order (shared/protocols/antigravity.md §2, 2026-08).
const std::vector<std::string>& defaultHosts();
// The static model list used when fetchAvailableModels is unavailable.
const std::vector<std::string>& defaultModels();

// Where the Antigravity app keeps state.vscdb on this platform: <config dir>/Antigravity/User/
// globalStorage/state.vscdb (and the "Antigravity IDE" spelling). Uses HOME, XDG_CONFIG_HOME,
// APPDATA.
std::vector<std::string> defaultStateDbPaths(const EnvFn& env);

// Parses the instance config. Environment: ANTIGRAVITY_STATE_DB, ANTIGRAVITY_CLIENT_ID,
// ANTIGRAVITY_CLIENT_SECRET (config keys win). Throws llmp::Error(LLMP_E_INVALID) naming the
// instance when the config is unusable.
AntigravityConfig parseConfig(std::string_view instance, std::string_view configJson,
                              const EnvFn& env);

}  // namespace llmp::plugins::antigravity
