// The proxy's configuration: YAML file, then environment, then command-line flags (highest).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmp::host {

// Thrown for any configuration problem; the message is printed as is and the process exits.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BackendConfig {
  std::string name;
  std::string type;
  nlohmann::json settings = nlohmann::json::object();  // the whole subtree, handed to the plugin
};

struct AliasRule {
  std::string pattern;
  std::string replacement;
};

struct Config {
  std::string sourcePath;  // the YAML file read, empty for built-in defaults
  std::string host = "127.0.0.1";
  bool allowUnauthenticatedRemote = false;  // serve non-loopback clients without proxy keys
  uint16_t port = 8000;
  std::string defaultBackend;
  std::string pluginDir;
  std::vector<std::string> plugins;  // explicit plugin files (paths or names in pluginDir)
  std::vector<std::string> frontends;  // names of front ends to enable; empty = all loaded
  nlohmann::json frontendSettings = nlohmann::json::object();  // name -> subtree
  std::map<std::string, BackendConfig> backends;
  std::vector<std::string> backendOrder;  // as written in the file
  std::vector<std::string> proxyKeys;
  std::string logLevel = "info";
  std::set<std::string> debuggingOverrides;  // backend types enabled by --enable-X-backend-debugging-override
  std::vector<AliasRule> modelAliases;       // ordered, first match wins
  std::map<std::string, std::string> failoverRoutes;  // name -> "a:m1|b:m2"
  std::map<std::string, nlohmann::json> modelDefaults;  // model (or backend:model) -> params
  int64_t maxSilentWaitMs = 30000;
  int maxFailoverHops = 6;
  int64_t failoverTotalTimeoutMs = 120000;
  int64_t keepaliveIntervalMs = 5000;
  // Threads for calls that block (plugins that are not cooperative, new upstream connections).
  int maxThreads = 2048;
  // Event-loop threads whose fibers serve the client connections: 0 = one per CPU the process
  // may use (at most 16).
  int eventLoops = 0;
  // I/O threads that relay streamed upstream bodies: 0 = one per CPU the process may use (at
  // most 4); -1 = none, each stream is read on its request thread.
  int streamIoThreads = 0;
  size_t maxBodyBytes = 64u << 20;
  // A client connection idle between requests, a request head still arriving, or a body gone
  // silent, for longer than this is closed.
  int64_t clientTimeoutMs = 60000;
  int64_t shutdownGraceMs = 30000;
  nlohmann::json session = nlohmann::json::object();  // planning_phase, ...
};

// Reads a YAML file into a Config. Throws ConfigError with the file, line and column.
Config loadConfigFile(const std::string& path);
// Parses YAML text (used for the file and by tests).
Config parseConfigYaml(const std::string& text, const std::string& sourceName);
// Converts any YAML node to JSON (scalars typed: bool, int, float, null, string).
nlohmann::json yamlTextToJson(const std::string& text);

}  // namespace llmp::host
