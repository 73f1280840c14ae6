#include "config.hpp"

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace llmp::plugins::antigravity {

namespace {

[[noreturn]] void fail(std::string_view instance, const std::string& what) {
  throw Error(LLMP_E_INVALID, 0,
              "backend '" + std::string(instance) + "' (type " + kBackendType + "): " + what);
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

int64_t readInt(std::string_view instance, const Json& value, const std::string& name,
                int64_t maxValue) {
  double v = 0;
  if (value.is_number()) {
    v = value.get<double>();
  } else if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    if (s.empty() || end == nullptr || *end != '\0') {
      fail(instance, name + " must be a number, got \"" + s + "\"");
    }
  } else {
    fail(instance, name + " must be a number");
  }
  if (!(v >= 0) || v > static_cast<double>(maxValue) || std::floor(v) != v) {
    fail(instance, name + " must be a whole number between 0 and " + std::to_string(maxValue));
  }
  return static_cast<int64_t>(v);
}

std::string readString(std::string_view instance, const Json& value, const std::string& name) {
  if (value.is_string()) {
    return trim(value.get<std::string>());
  }
  if (value.is_number_integer() || value.is_number_unsigned()) {
    return value.dump();
  }
  fail(instance, name + " must be a string");
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

std::vector<std::string> readStringList(std::string_view instance, const Json& value,
                                        const std::string& name) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(trim(value.get<std::string>()));
    return out;
  }
  if (!value.is_array()) {
    fail(instance, name + " must be a list of strings");
  }
  for (const auto& item : value) {
    if (!item.is_string()) {
      fail(instance, name + " must be a list of strings");
    }
    std::string s = trim(item.get<std::string>());
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) {
      out.push_back(s);
    }
  }
  return out;
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
  auto envOf = [&](const char* name) -> std::string {
    const char* v = env ? env(name) : nullptr;
    return v != nullptr ? trim(v) : std::string();
  };
  AntigravityConfig cfg;
  cfg.instance = std::string(instance);
  Json doc = Json::object();
  if (!trim(configJson).empty()) {
    std::string error;
    auto parsed = parseJson(configJson, &error);
    if (!parsed) {
      fail(instance, "config is not valid JSON: " + error);
    }
    if (parsed->is_object()) {
      doc = std::move(*parsed);
    } else if (!parsed->is_null()) {
      fail(instance, "config must be a mapping");
    }
  }
  Json merged = Json::object();
  auto extra = doc.find("extra");
  if (extra != doc.end() && extra->is_object()) {
    merged = *extra;
  } else if (extra != doc.end() && !extra->is_null()) {
    fail(instance, "extra must be a mapping");
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "extra") {
      merged[it.key()] = it.value();
    }
  }

  std::string baseUrl;
  for (auto it = merged.begin(); it != merged.end(); ++it) {
    const std::string& name = it.key();
    const Json& value = it.value();
    if (value.is_null()) {
      continue;
    }
    if (name == "state_db") {
      cfg.stateDb = readString(instance, value, name);
    } else if (name == "credentials_file") {
      cfg.credentialsFile = readString(instance, value, name);
    } else if (name == "client_id") {
      cfg.clientId = readString(instance, value, name);
    } else if (name == "client_secret") {
      cfg.clientSecret = readString(instance, value, name);
    } else if (name == "token_uri") {
      cfg.tokenUri = checkedUrl(instance, readString(instance, value, name), name);
    } else if (name == "token_refresh_margin_seconds") {
      cfg.refreshMarginMs = readInt(instance, value, name, 3500) * 1000;
    } else if (name == "hosts") {
      cfg.hosts.clear();
      for (auto& h : readStringList(instance, value, name)) {
        cfg.hosts.push_back(checkedUrl(instance, h, name));
      }
    } else if (name == "base_url") {
      baseUrl = checkedUrl(instance, readString(instance, value, name), name);
    } else if (name == "api_version") {
      cfg.apiVersion = readString(instance, value, name);
      if (cfg.apiVersion.empty() || cfg.apiVersion.find_first_of("/?#: ") != std::string::npos) {
        fail(instance, "api_version must be a single path segment such as v1internal");
      }
    } else if (name == "project_id" || name == "project") {
      cfg.projectId = readString(instance, value, name);
    } else if (name == "user_agent") {
      cfg.userAgent = readString(instance, value, name);
    } else if (name == "onboard_attempts") {
      cfg.onboardAttempts = static_cast<int>(std::max<int64_t>(1, readInt(instance, value, name, 100)));
    } else if (name == "onboard_interval_ms") {
      cfg.onboardIntervalMs = readInt(instance, value, name, 600000);
    } else if (name == "thinking_budget") {
      cfg.thinkingBudget = readInt(instance, value, name, 1000000);
    } else if (name == "model_list_ttl_seconds") {
      cfg.modelListTtlMs = readInt(instance, value, name, 86400) * 1000;
    } else if (name == "models") {
      cfg.models = readStringList(instance, value, name);
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
      if (!value.is_object()) {
        fail(instance, "timeouts must be a mapping with connect_ms, first_byte_ms, idle_ms");
      }
      for (auto t = value.begin(); t != value.end(); ++t) {
        const auto v = static_cast<uint32_t>(
            readInt(instance, t.value(), "timeouts." + t.key(), 24 * 3600 * 1000));
        if (t.key() == "connect_ms") {
          cfg.timeouts.connectMs = v;
        } else if (t.key() == "first_byte_ms") {
          cfg.timeouts.firstByteMs = v;
        } else if (t.key() == "idle_ms") {
          cfg.timeouts.idleMs = v;
        } else {
          fail(instance, "unknown key timeouts." + t.key() +
                             " (known: connect_ms, first_byte_ms, idle_ms)");
        }
      }
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
