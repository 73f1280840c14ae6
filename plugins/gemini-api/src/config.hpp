// The configuration of one `gemini` backend instance (from its YAML subtree, as JSON).
#pragma once

#include <llmp/cpp/config_reader.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmp::plugins::gemini_api {

using Timeouts = config::Timeouts;  // 0 = the host's default

struct GeminiConfig {
  std::string instance;
  std::string baseUrl = "https://generativelanguage.googleapis.com";  // no trailing '/'
  std::string apiVersion = "v1beta";                                  // "" = no segment
  std::vector<std::string> apiKeys;
  Timeouts timeouts;
  int64_t modelsCacheTtlMs = 300000;
  int64_t defaultRestMs = 60000;             // rest of a rate-limited key whose 429 named no delay
  std::string hostPort;                      // "host:port" of base_url, for messages
  std::vector<std::string> unknownSettings;  // keys neither we nor the host know (warned about)
};

// Parses the instance config. Keys come from `api_key` / `api_keys`, else from envKeys (the
// value of GEMINI_API_KEY, comma separated; may be null). Throws llmp::Error(LLMP_E_INVALID)
// with a message naming the instance when the config is unusable or no key is found.
GeminiConfig parseConfig(std::string_view instance, std::string_view configJson,
                         const char* envKeys);

// Splits "k1, k2,k3" into trimmed non-empty keys.
std::vector<std::string> splitKeys(std::string_view text);

}  // namespace llmp::plugins::gemini_api
