#include "config.hpp"

#include <algorithm>
#include <llmp/cpp/config_reader.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

namespace llmp::plugins::gemini_api {

namespace {

using config::trim;

[[noreturn]] void fail(std::string_view instance, const std::string& what) {
  config::Reader::forBackend(instance, "gemini").fail(what);
}

std::string hostPortOf(std::string_view instance, const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    fail(instance, "base_url must start with http:// or https://, got \"" + url + "\"");
  }
  std::string proto = url.substr(0, scheme);
  if (proto != "http" && proto != "https") {
    fail(instance, "base_url must start with http:// or https://, got \"" + url + "\"");
  }
  std::string authority = url.substr(scheme + 3, url.find('/', scheme + 3) - (scheme + 3));
  if (authority.empty() || authority.find('@') != std::string::npos) {
    fail(instance, "base_url must name a host (and no user info): \"" + url + "\"");
  }
  bool hasPort = authority.back() != ']' && authority.find(':') != std::string::npos &&
                 authority.find(':') == authority.rfind(':');
  if (authority.front() == '[') {
    hasPort = authority.find("]:") != std::string::npos;
  }
  return hasPort ? authority : authority + (proto == "https" ? ":443" : ":80");
}

}  // namespace

std::vector<std::string> splitKeys(std::string_view text) {
  std::vector<std::string> keys;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string key = trim(text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!key.empty() && std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(std::move(key));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return keys;
}

GeminiConfig parseConfig(std::string_view instance, std::string_view configJson,
                         const char* envKeys) {
  GeminiConfig cfg;
  cfg.instance = std::string(instance);
  const auto reader = config::Reader::forBackend(instance, "gemini");
  const Json doc = reader.parseObject(configJson);

  auto addKeys = [&](const Json& value, const std::string& name) {
    if (value.is_string()) {
      for (auto& k : splitKeys(value.get<std::string>())) {
        if (std::find(cfg.apiKeys.begin(), cfg.apiKeys.end(), k) == cfg.apiKeys.end()) {
          cfg.apiKeys.push_back(std::move(k));
        }
      }
    } else if (value.is_array()) {
      for (const auto& item : value) {
        if (!item.is_string()) {
          fail(instance, name + " must be a list of strings");
        }
        std::string k = trim(item.get<std::string>());
        if (!k.empty() &&
            std::find(cfg.apiKeys.begin(), cfg.apiKeys.end(), k) == cfg.apiKeys.end()) {
          cfg.apiKeys.push_back(std::move(k));
        }
      }
    } else if (!value.is_null()) {
      fail(instance, name + " must be a string or a list of strings");
    }
  };

  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& name = it.key();
    const Json& value = it.value();
    if (name == "base_url") {
      cfg.baseUrl = trim(reader.readString(value, name));
    } else if (name == "api_version") {
      cfg.apiVersion = trim(reader.readString(value, name));
    } else if (name == "api_key" || name == "api_keys") {
      addKeys(value, name);
    } else if (name == "models_cache_ttl_seconds") {
      cfg.modelsCacheTtlMs = reader.readInt(value, name, 86400 * 365) * 1000;
    } else if (name == "rate_limit_rest_seconds") {
      cfg.defaultRestMs = reader.readInt(value, name, 86400) * 1000;
    } else if (name == "timeouts") {
      if (value.is_null()) {
        continue;
      }
      cfg.timeouts = reader.readTimeouts(value);
    } else if (name != "type" && name != "fallback_model" && name != "enable_fallback" &&
               name != "disable_fallback") {
      // The host hands over the instance's whole mapping; keys it reads itself are not ours.
      cfg.unknownSettings.push_back(name);
    }
  }

  while (!cfg.baseUrl.empty() && cfg.baseUrl.back() == '/') {
    cfg.baseUrl.pop_back();
  }
  while (!cfg.apiVersion.empty() && cfg.apiVersion.front() == '/') {
    cfg.apiVersion.erase(0, 1);
  }
  while (!cfg.apiVersion.empty() && cfg.apiVersion.back() == '/') {
    cfg.apiVersion.pop_back();
  }
  if (cfg.baseUrl.find('?') != std::string::npos || cfg.baseUrl.find('#') != std::string::npos) {
    fail(instance,
         "base_url must not carry a query or fragment (keys go in api_key or "
         "GEMINI_API_KEY, never in the URL)");
  }
  cfg.hostPort = hostPortOf(instance, cfg.baseUrl);

  if (cfg.apiKeys.empty() && envKeys != nullptr) {
    cfg.apiKeys = splitKeys(envKeys);
  }
  if (cfg.apiKeys.empty()) {
    fail(instance,
         "no Gemini API key: set the environment variable GEMINI_API_KEY (several "
         "keys separated by commas rotate) or api_key / api_keys in this backend's "
         "config");
  }
  return cfg;
}

}  // namespace llmp::plugins::gemini_api
