// The gemini-cli-acp instance configuration. The host hands over the backend's YAML subtree as
// JSON; every key is read from `extra.<key>` first, then from `<key>` at the top level.
#pragma once

#include <llmp/cpp/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace llmp::plugins::gemini_acp {

enum class PermissionPolicy {
  ReadOnly,  // read, search, fetch, think allowed; everything else rejected (default)
  AllowAll,  // every tool allowed
  DenyAll,   // every tool rejected
};

// Which flag starts ACP mode: --acp (current CLIs), --experimental-acp (before 2026-03), or probe.
enum class AcpFlagMode { Auto, Acp, ExperimentalAcp };

struct BackendConfig {
  std::string executable;             // gemini_cli_executable; empty = search PATH
  std::string nodeExecutable = "node";  // node_executable: runs a .js executable
  std::vector<std::string> extraArgs;   // gemini_cli_args: appended to the command line
  std::map<std::string, std::string> env;  // env: set on top of the proxy's environment
  AcpFlagMode acpFlag = AcpFlagMode::Auto;  // acp_flag: auto | --acp | --experimental-acp
  std::string authMethod;             // auth_method: sent with `authenticate` when set
  std::string projectDir;             // project_dir: workspace when the request names none
  std::string defaultModel;           // default_model: when the request has no model
  std::vector<std::string> staticModels;  // models: offered before the CLI reported any

  int64_t idleTimeoutMs = 3600LL * 1000;  // idle_timeout_seconds
  size_t maxProcesses = 4;                // max_processes
  PermissionPolicy permissionPolicy = PermissionPolicy::ReadOnly;  // permission_policy

  int64_t initializeTimeoutMs = 60LL * 1000;  // initialize_timeout_seconds
  int64_t sessionTimeoutMs = 60LL * 1000;     // session_timeout_seconds (session/new)
  int64_t cancelTimeoutMs = 10LL * 1000;      // cancel_timeout_seconds
  int64_t turnTimeoutMs = 30LL * 60 * 1000;   // turn_timeout_seconds; 0 = unbounded
  int64_t keepaliveMs = 15LL * 1000;          // keepalive_seconds
  int64_t startFailureBackoffMs = 5LL * 1000;  // start_failure_backoff_seconds
};

// Parses the instance config; throws llmp::Error(LLMP_E_INVALID) naming the bad key.
BackendConfig parseConfig(const Json& config);

const char* permissionPolicyName(PermissionPolicy policy);

// Keys of the config (top level and extra) this backend does not know, for a start-up warning.
// Keys the host reads itself (type, fallback settings) are not reported.
std::vector<std::string> unknownConfigKeys(const Json& config);

}  // namespace llmp::plugins::gemini_acp
