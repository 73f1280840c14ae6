#include "config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_oauth.hpp>
#include <llmp/cpp/google_oauth_flow.hpp>
#include <llmp/cpp/json.hpp>

namespace llmp::plugins::gemini_oauth {

namespace {

struct Reader {
  std::string_view instance;
  std::string_view type;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(
        LLMP_E_INVALID, 0,
        "backend '" + std::string(instance) + "' (type " + std::string(type) + "): " + what);
  }

  static std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
      s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
      s.remove_suffix(1);
    }
    return std::string(s);
  }

  int64_t integer(const Json& v, const std::string& name, int64_t maxValue) const {
    double d = 0;
    if (v.is_number()) {
      d = v.get<double>();
    } else if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      char* end = nullptr;
      d = std::strtod(s.c_str(), &end);
      if (s.empty() || end == nullptr || *end != '\0') {
        fail(name + " must be a number, got \"" + s + "\"");
      }
    } else {
      fail(name + " must be a number");
    }
    if (!(d >= 0) || d > static_cast<double>(maxValue) || std::floor(d) != d) {
      fail(name + " must be a whole number between 0 and " + std::to_string(maxValue));
    }
    return static_cast<int64_t>(d);
  }

  std::string string(const Json& v, const std::string& name) const {
    if (v.is_string()) {
      return trim(v.get<std::string>());
    }
    if (v.is_number_integer() || v.is_number_unsigned()) {
      return v.dump();
    }
    fail(name + " must be a string");
  }

  void url(const std::string& u, const std::string& name) const {
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
      fail(name + " must start with http:// or https://, got \"" + u + "\"");
    }
    size_t start = u.find("://") + 3;
    std::string authority = u.substr(start, u.find_first_of("/?#", start) - start);
    if (authority.empty() || authority.find('@') != std::string::npos) {
      fail(name + " must name a host (and no user info): \"" + u + "\"");
    }
  }
};

std::string noTrailingSlash(std::string s) {
  while (!s.empty() && s.back() == '/') {
    s.pop_back();
  }
  return s;
}

}  // namespace

const std::vector<std::string>& defaultModels() {
  static const std::vector<std::string> models = {
      "gemini-2.5-pro",        "gemini-2.5-flash",       "gemini-2.5-flash-lite",
      "gemini-3-pro-preview",  "gemini-3-flash-preview", "gemini-3.1-pro-preview",
      "gemini-3.1-flash-lite",
  };
  return models;
}

std::string expandHome(const std::string& path, const EnvFn& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const char* home = env ? env("HOME") : nullptr;
    return std::string(home != nullptr ? home : "") + path.substr(1);
  }
  return path;
}

OAuthConfig parseConfig(std::string_view type, std::string_view instance,
                        std::string_view configJson, const EnvFn& env) {
  Reader r{instance, type};
  auto envOf = [&](const char* name) -> std::string {
    const char* v = env ? env(name) : nullptr;
    return v != nullptr ? Reader::trim(v) : std::string();
  };
  OAuthConfig cfg;
  cfg.instance = std::string(instance);
  cfg.type = std::string(type);
  Json doc = Json::object();
  if (!Reader::trim(configJson).empty()) {
    std::string error;
    auto parsed = parseJson(configJson, &error);
    if (!parsed) {
      r.fail("config is not valid JSON: " + error);
    }
    if (parsed->is_object()) {
      doc = std::move(*parsed);
    } else if (!parsed->is_null()) {
      r.fail("config must be a mapping");
    }
  }
  Json merged = Json::object();
  auto extra = doc.find("extra");
  if (extra != doc.end() && extra->is_object()) {
    merged = *extra;
  } else if (extra != doc.end() && !extra->is_null()) {
    r.fail("extra must be a mapping");
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "extra") {
      merged[it.key()] = it.value();
    }
  }

  bool endpointSet = false, versionSet = false;
  for (auto it = merged.begin(); it != merged.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (v.is_null()) {
      continue;
    }
    if (k == "code_assist_endpoint") {
      cfg.endpoint = r.string(v, k);
      endpointSet = !cfg.endpoint.empty();
    } else if (k == "api_version") {
      cfg.apiVersion = r.string(v, k);
      versionSet = !cfg.apiVersion.empty();
    } else if (k == "project_id" || k == "project") {
      cfg.projectId = r.string(v, k);
    } else if (k == "client_id") {
      cfg.clientId = r.string(v, k);
    } else if (k == "client_secret") {
      cfg.clientSecret = r.string(v, k);
    } else if (k == "token_uri" || k == "token_url") {
      cfg.tokenUri = r.string(v, k);
    } else if (k == "auth_uri" || k == "authorization_url") {
      cfg.authUri = r.string(v, k);
    } else if (k == "userinfo_uri" || k == "userinfo_url") {
      cfg.userinfoUri = r.string(v, k);
    } else if (k == "oauth_creds_path") {
      cfg.credsPath = expandHome(r.string(v, k), env);
    } else if (k == "gemini_cli_executable") {
      cfg.geminiCliExecutable = expandHome(r.string(v, k), env);
    } else if (k == "gemini_cli_args") {
      if (!v.is_array()) {
        r.fail("gemini_cli_args must be a list of strings");
      }
      cfg.geminiCliArgs.clear();
      for (const auto& a : v) {
        cfg.geminiCliArgs.push_back(r.string(a, k));
      }
    } else if (k == "refresh_margin_seconds") {
      cfg.refreshMarginMs = r.integer(v, k, 3000) * 1000;
    } else if (k == "gemini_cli_timeout_seconds") {
      cfg.cliRefreshTimeoutMs = std::max<int64_t>(1, r.integer(v, k, 3600)) * 1000;
    } else if (k == "accounts_dir") {
      cfg.accountsDir = expandHome(r.string(v, k), env);
    } else if (k == "refresh_buffer_seconds") {
      cfg.refreshBufferMs = r.integer(v, k, 3000) * 1000;
    } else if (k == "refresh_check_interval_seconds") {
      cfg.refreshCheckIntervalMs = std::max<int64_t>(1, r.integer(v, k, 3600)) * 1000;
    } else if (k == "selection_strategy") {
      cfg.strategy = r.string(v, k);
    } else if (k == "session_affinity_ttl_seconds") {
      cfg.affinityTtlMs = r.integer(v, k, 365LL * 86400) * 1000;
    } else if (k == "session_affinity_max_entries") {
      cfg.affinityMaxEntries = static_cast<size_t>(std::max<int64_t>(1, r.integer(v, k, 10000000)));
    } else if (k == "default_rest_seconds") {
      cfg.defaultRestMs = r.integer(v, k, 86400) * 1000;
    } else if (k == "callback_port") {
      cfg.callbackPort = static_cast<uint16_t>(r.integer(v, k, 65535));
    } else if (k == "callback_host") {
      cfg.callbackHost = r.string(v, k);
    } else if (k == "callback_timeout_seconds") {
      cfg.callbackTimeoutMs = std::max<int64_t>(1, r.integer(v, k, 3600)) * 1000;
    } else if (k == "onboard_poll_interval_ms") {
      cfg.onboardPollIntervalMs = r.integer(v, k, 600000);
    } else if (k == "onboard_max_polls") {
      cfg.onboardMaxPolls = static_cast<int>(std::max<int64_t>(1, r.integer(v, k, 100000)));
    } else if (k == "timeouts") {
      if (!v.is_object()) {
        r.fail("timeouts must be a mapping with connect_ms, first_byte_ms, idle_ms");
      }
      for (auto t = v.begin(); t != v.end(); ++t) {
        auto ms = static_cast<uint32_t>(r.integer(t.value(), "timeouts." + t.key(), 86400000));
        if (t.key() == "connect_ms") {
          cfg.timeouts.connectMs = ms;
        } else if (t.key() == "first_byte_ms") {
          cfg.timeouts.firstByteMs = ms;
        } else if (t.key() == "idle_ms") {
          cfg.timeouts.idleMs = ms;
        } else {
          r.fail("unknown key timeouts." + t.key() +
                 " (known: connect_ms, first_byte_ms, idle_ms)");
        }
      }
    } else if (k == "models") {
      if (!v.is_array()) {
        r.fail("models must be a list of model ids");
      }
      for (const auto& m : v) {
        if (!m.is_string()) {
          r.fail("models must be a list of model ids");
        }
        try {
          std::string id = code_assist::bareModel(Reader::trim(m.get<std::string>()));
          if (std::find(cfg.models.begin(), cfg.models.end(), id) == cfg.models.end()) {
            cfg.models.push_back(id);
          }
        } catch (const Error& e) {
          r.fail(std::string("models: ") + e.what());
        }
      }
    }
    // Other keys (type, disable_fallback, host-level settings) are not ours to judge.
  }

  if (cfg.strategy != "session-affinity" && cfg.strategy != "round-robin" &&
      cfg.strategy != "random" && cfg.strategy != "first-available") {
    r.fail(
        "selection_strategy must be session-affinity, round-robin, random or "
        "first-available, got \"" +
        cfg.strategy + "\"");
  }
  if (cfg.projectId.empty()) {
    cfg.projectId = envOf("GOOGLE_CLOUD_PROJECT");
  }
  if (cfg.projectId.empty()) {
    cfg.projectId = envOf("GOOGLE_CLOUD_PROJECT_ID");
  }
  if (cfg.clientId.empty()) {
    cfg.clientId = envOf("GEMINI_OAUTH_CLIENT_ID");
  }
  if (cfg.clientSecret.empty()) {
    cfg.clientSecret = envOf("GEMINI_OAUTH_CLIENT_SECRET");
  }
  if (!endpointSet) {
    std::string e = envOf("CODE_ASSIST_ENDPOINT");
    cfg.endpoint = e.empty() ? code_assist::kDefaultEndpoint : e;
  }
  if (!versionSet) {
    std::string v = envOf("CODE_ASSIST_API_VERSION");
    cfg.apiVersion = v.empty() ? code_assist::kDefaultApiVersion : v;
  }
  cfg.endpoint = noTrailingSlash(cfg.endpoint);
  r.url(cfg.endpoint, endpointSet ? "code_assist_endpoint" : "CODE_ASSIST_ENDPOINT");
  if (cfg.apiVersion.empty() || cfg.apiVersion.find_first_of("/?#: ") != std::string::npos) {
    r.fail("api_version must be a single path segment such as v1internal");
  }
  if (cfg.tokenUri.empty()) {
    cfg.tokenUri = google::kDefaultTokenUri;
  }
  if (cfg.authUri.empty()) {
    cfg.authUri = google::kDefaultAuthUri;
  }
  if (cfg.userinfoUri.empty()) {
    cfg.userinfoUri = google::kDefaultUserinfoUri;
  }
  r.url(cfg.tokenUri, "token_uri");
  r.url(cfg.authUri, "auth_uri");
  r.url(cfg.userinfoUri, "userinfo_uri");
  if (cfg.accountsDir.empty()) {
    cfg.accountsDir = expandHome("~/.config/llm-proxy/gemini-oauth-accounts", env);
  }
  if (cfg.models.empty()) {
    cfg.models = defaultModels();
  }
  return cfg;
}

}  // namespace llmp::plugins::gemini_oauth
