#include "config.hpp"

#include <llmp/cpp/config_reader.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <algorithm>

namespace llmp::plugins::antigravity {

namespace {

using config::trim;

[[noreturn]] void fail(std::string_view instance, const std::string& what) {
  config::Reader::forBackend(instance, kBackendType).fail(what);
}

std::string checkedUrl(std::string_view instance, std::string url, const std::string& name) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    fail(instance, name + " must start with http:// or https://, got \"" + url + "\"");
  }
  if (url.find_first_of("?#@") != std::string::npos) {
    fail(instance, name + " must be a plain URL (no query, fragment or user info): \"" + url +
                       "\"");
  }
  return url;
}

}  // namespace

const std::vector<std::string>& defaultHosts() {
  static const std::vector<std::string> hosts = {"https://daily-cloudcode-pa.googleapis.com",
                                                 "https://cloudcode-pa.googleapis.com"};
  return hosts;
}

const std::vector<std::string>& defaultModels() {
  // Upstream ids seen in 2025-12 and 2026-08 (shared/protocols/antigravity.md §8); the live list
  // comes from fetchAvailableModels.
  static const std::vector<std::string> models = {
      "gemini-3-flash",           "gemini-3-pro-high",          "gemini-3-pro-low",
      "gemini-3.1-pro-low",       "gemini-2.5-flash",           "gemini-2.5-flash-lite",
      "claude-sonnet-4-5",        "claude-sonnet-4-5-thinking", "claude-opus-4-5-thinking",
      "claude-sonnet-4-6",        "claude-opus-4-6-thinking",   "gpt-oss-120b-medium",
  };
  return models;
}

std::vector<std::string> defaultStateDbPaths(const EnvFn& env) {
  auto get = [&](const char* name) -> std::string {
    const char* v = env ? env(name) : nullptr;
    return v != nullptr ? std::string(v) : std::string();
  };
  std::vector<std::string> roots;
  std::string home = get("HOME");
#if defined(__APPLE__)
  if (!home.empty()) {
    roots.push_back(home + "/Library/Application Support");
  }
#elif defined(_WIN32)
  std::string appData = get("APPDATA");
  if (!appData.empty()) {
    roots.push_back(appData);
  }
#else
  std::string xdg = get("XDG_CONFIG_HOME");
  if (!xdg.empty()) {
    roots.push_back(xdg);
  }
  if (!home.empty() && home + "/.config" != xdg) {
    roots.push_back(home + "/.config");
  }
#endif
  std::vector<std::string> out;
  for (const auto& root : roots) {
    for (const char* app : {"Antigravity", "Antigravity IDE"}) {
      out.push_back(root + "/" + app + "/User/globalStorage/state.vscdb");
    }
  }
  return out;
}

AntigravityConfig parseConfig(std::string_view instance, std::string_view configJson,
                              const EnvFn& env) {
  auto envOf = [&](const char* name) { return config::envValue(env, name); };
  AntigravityConfig cfg;
  cfg.instance = std::string(instance);
  const auto reader = config::Reader::forBackend(instance, kBackendType);
  const Json merged = reader.mergeExtra(reader.parseObject(configJson));

  std::string baseUrl;
  for (auto it = merged.begin(); it != merged.end(); ++it) {
    const std::string& name = it.key();
    const Json& value = it.value();
    if (value.is_null()) {
      continue;
    }
    if (name == "state_db") {
      cfg.stateDb = reader.readScalar(value, name);
    } else if (name == "credentials_file") {
      cfg.credentialsFile = reader.readScalar(value, name);
    } else if (name == "client_id") {
      cfg.clientId = reader.readScalar(value, name);
    } else if (name == "client_secret") {
      cfg.clientSecret = reader.readScalar(value, name);
    } else if (name == "token_uri") {
      cfg.tokenUri = checkedUrl(instance, reader.readScalar(value, name), name);
    } else if (name == "token_refresh_margin_seconds") {
      cfg.refreshMarginMs = reader.readInt(value, name, 3500) * 1000;
    } else if (name == "hosts") {
      cfg.hosts.clear();
      for (auto& h : reader.readStringList(value, name)) {
        cfg.hosts.push_back(checkedUrl(instance, h, name));
      }
    } else if (name == "base_url") {
      baseUrl = checkedUrl(instance, reader.readScalar(value, name), name);
    } else if (name == "api_version") {
      cfg.apiVersion = reader.readScalar(value, name);
      if (cfg.apiVersion.empty() || cfg.apiVersion.find_first_of("/?#: ") != std::string::npos) {
        fail(instance, "api_version must be a single path segment such as v1internal");
      }
    } else if (name == "project_id" || name == "project") {
      cfg.projectId = reader.readScalar(value, name);
    } else if (name == "user_agent") {
      cfg.userAgent = reader.readScalar(value, name);
    } else if (name == "onboard_attempts") {
      cfg.onboardAttempts =
          static_cast<int>(std::max<int64_t>(1, reader.readInt(value, name, 100)));
    } else if (name == "onboard_interval_ms") {
      cfg.onboardIntervalMs = reader.readInt(value, name, 600000);
    } else if (name == "thinking_budget") {
      cfg.thinkingBudget = reader.readInt(value, name, 1000000);
    } else if (name == "model_list_ttl_seconds") {
      cfg.modelListTtlMs = reader.readInt(value, name, 86400) * 1000;
    } else if (name == "models") {
      cfg.models = reader.readStringList(value, name);
    } else if (name == "model_aliases") {
      if (!value.is_object()) {
        fail(instance, "model_aliases must be a mapping of client model name to upstream id");
      }
      for (auto a = value.begin(); a != value.end(); ++a) {
        if (!a.value().is_string()) {
          fail(instance, "model_aliases." + a.key() + " must be a string");
        }
        cfg.modelAliases[a.key()] = trim(a.value().get<std::string>());
      }
    } else if (name == "timeouts") {
      cfg.timeouts = reader.readTimeouts(value);
    }
    // Other keys (type, host-level settings) are not ours to judge.
  }

  if (cfg.stateDb.empty()) {
    cfg.stateDb = envOf("ANTIGRAVITY_STATE_DB");
  }
  if (cfg.stateDb.empty()) {
    cfg.stateDbCandidates = defaultStateDbPaths(env);
  }
  if (cfg.clientId.empty()) {
    cfg.clientId = envOf("ANTIGRAVITY_CLIENT_ID");
  }
  if (cfg.clientSecret.empty()) {
    cfg.clientSecret = envOf("ANTIGRAVITY_CLIENT_SECRET");
  }
  if (!baseUrl.empty()) {
    cfg.hosts = {baseUrl};  // a per-account base_url overrides the host family
  } else if (cfg.hosts.empty()) {
    cfg.hosts = defaultHosts();
  }
  if (cfg.models.empty()) {
    cfg.models = defaultModels();
  }
  return cfg;
}

}  // namespace llmp::plugins::antigravity
