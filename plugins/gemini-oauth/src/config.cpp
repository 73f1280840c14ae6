#include "config.hpp"

#include <algorithm>
#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/code_assist_models.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_oauth.hpp>
#include <llmp/cpp/google_oauth_flow.hpp>
#include <llmp/cpp/json.hpp>

namespace llmp::plugins::gemini_oauth {

namespace {

using config::Reader;
using config::trim;

// Code Assist, token, auth and userinfo URLs: http(s) with a host and no user info.
void checkUrl(const Reader& r, const std::string& u, const std::string& name) {
  if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
    r.fail(name + " must start with http:// or https://, got \"" + u + "\"");
  }
  size_t start = u.find("://") + 3;
  std::string authority = u.substr(start, u.find_first_of("/?#", start) - start);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    r.fail(name + " must name a host (and no user info): \"" + u + "\"");
  }
}

}  // namespace

std::string expandHome(const std::string& path, const EnvFn& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const char* home = env ? env("HOME") : nullptr;
    return std::string(home != nullptr ? home : "") + path.substr(1);
  }
  return path;
}

OAuthConfig parseConfig(std::string_view type, std::string_view instance,
                        std::string_view configJson, const EnvFn& env) {
  const Reader r = Reader::forBackend(instance, type);
  auto envOf = [&](const char* name) { return config::envValue(env, name); };
  OAuthConfig cfg;
  cfg.instance = std::string(instance);
  cfg.type = std::string(type);
  const Json merged = r.mergeExtra(r.parseObject(configJson));

  bool endpointSet = false, versionSet = false;
  for (auto it = merged.begin(); it != merged.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (v.is_null()) {
      continue;
    }
    if (k == "code_assist_endpoint") {
      cfg.endpoint = r.readScalar(v, k);
      endpointSet = !cfg.endpoint.empty();
    } else if (k == "api_version") {
      cfg.apiVersion = r.readScalar(v, k);
      versionSet = !cfg.apiVersion.empty();
    } else if (k == "project_id" || k == "project") {
      cfg.projectId = r.readScalar(v, k);
    } else if (k == "client_id") {
      cfg.clientId = r.readScalar(v, k);
    } else if (k == "client_secret") {
      cfg.clientSecret = r.readScalar(v, k);
    } else if (k == "token_uri" || k == "token_url") {
      cfg.tokenUri = r.readScalar(v, k);
    } else if (k == "auth_uri" || k == "authorization_url") {
      cfg.authUri = r.readScalar(v, k);
    } else if (k == "userinfo_uri" || k == "userinfo_url") {
      cfg.userinfoUri = r.readScalar(v, k);
    } else if (k == "oauth_creds_path") {
      cfg.credsPath = expandHome(r.readScalar(v, k), env);
    } else if (k == "gemini_cli_executable") {
      cfg.geminiCliExecutable = expandHome(r.readScalar(v, k), env);
    } else if (k == "gemini_cli_args") {
      if (!v.is_array()) {
        r.fail("gemini_cli_args must be a list of strings");
      }
      cfg.geminiCliArgs.clear();
      for (const auto& a : v) {
        cfg.geminiCliArgs.push_back(r.readScalar(a, k));
      }
    } else if (k == "refresh_margin_seconds") {
      cfg.refreshMarginMs = r.readInt(v, k, 3000) * 1000;
    } else if (k == "gemini_cli_timeout_seconds") {
      cfg.cliRefreshTimeoutMs = std::max<int64_t>(1, r.readInt(v, k, 3600)) * 1000;
    } else if (k == "accounts_dir") {
      cfg.accountsDir = expandHome(r.readScalar(v, k), env);
    } else if (k == "refresh_buffer_seconds") {
      cfg.refreshBufferMs = r.readInt(v, k, 3000) * 1000;
    } else if (k == "refresh_check_interval_seconds") {
      cfg.refreshCheckIntervalMs = std::max<int64_t>(1, r.readInt(v, k, 3600)) * 1000;
    } else if (k == "selection_strategy") {
      cfg.strategy = r.readScalar(v, k);
    } else if (k == "session_affinity_ttl_seconds") {
      cfg.affinityTtlMs = r.readInt(v, k, 365LL * 86400) * 1000;
    } else if (k == "session_affinity_max_entries") {
      cfg.affinityMaxEntries = static_cast<size_t>(std::max<int64_t>(1, r.readInt(v, k, 10000000)));
    } else if (k == "default_rest_seconds") {
      cfg.defaultRestMs = r.readInt(v, k, 86400) * 1000;
    } else if (k == "callback_port") {
      cfg.callbackPort = static_cast<uint16_t>(r.readInt(v, k, 65535));
    } else if (k == "callback_host") {
      cfg.callbackHost = r.readScalar(v, k);
    } else if (k == "callback_timeout_seconds") {
      cfg.callbackTimeoutMs = std::max<int64_t>(1, r.readInt(v, k, 3600)) * 1000;
    } else if (k == "onboard_poll_interval_ms") {
      cfg.onboardPollIntervalMs = r.readInt(v, k, 600000);
    } else if (k == "onboard_max_polls") {
      cfg.onboardMaxPolls = static_cast<int>(std::max<int64_t>(1, r.readInt(v, k, 100000)));
    } else if (k == "timeouts") {
      cfg.timeouts = r.readTimeouts(v);
    } else if (k == "models") {
      if (!v.is_array()) {
        r.fail("models must be a list of model ids");
      }
      for (const auto& m : v) {
        if (!m.is_string()) {
          r.fail("models must be a list of model ids");
        }
        try {
          std::string id = code_assist::bareModel(trim(m.get<std::string>()));
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
  cfg.endpoint = config::withoutTrailingSlash(cfg.endpoint);
  checkUrl(r, cfg.endpoint, endpointSet ? "code_assist_endpoint" : "CODE_ASSIST_ENDPOINT");
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
  checkUrl(r, cfg.tokenUri, "token_uri");
  checkUrl(r, cfg.authUri, "auth_uri");
  checkUrl(r, cfg.userinfoUri, "userinfo_uri");
  if (cfg.accountsDir.empty()) {
    cfg.accountsDir = expandHome("~/.config/llm-proxy/gemini-oauth-accounts", env);
  }
  if (cfg.models.empty()) {
    cfg.models = code_assist::defaultModels();
  }
  return cfg;
}

}  // namespace llmp::plugins::gemini_oauth
