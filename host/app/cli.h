// Command-line flags and environment variables, applied on top of the YAML configuration.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace llmp::host {

struct CliOptions {
  std::string configPath;
  std::optional<std::string> host;
  std::optional<uint16_t> port;
  std::optional<std::string> defaultBackend;
  std::optional<std::string> pluginDir;
  std::optional<std::string> logLevel;
  std::set<std::string> debuggingOverrides;  // backend types
  std::vector<AliasRule> modelAliases;       // --model-alias, in order
  std::vector<std::string> proxyKeys;        // --proxy-key (prefer env LLM_PROXY_API_KEYS)
  nlohmann::json planningPhase = nlohmann::json::object();  // --planning-phase-* flags
  bool help = false;
  bool version = false;
  bool checkConfig = false;           // load everything, then exit 0
  bool allowUnauthenticatedRemote = false;
  std::vector<std::string> command;   // a subcommand and its arguments, e.g. {"accounts","list"}
};

// Parses argv. Throws ConfigError for an unknown flag or a missing value.
CliOptions parseCommandLine(int argc, char** argv);
std::string usageText();

// Builds the effective configuration: YAML (from --config, or none), then the environment
// (MODEL_ALIASES, LLM_PROXY_API_KEYS), then the flags.
Config buildConfig(const CliOptions& cli);

}  // namespace llmp::host
