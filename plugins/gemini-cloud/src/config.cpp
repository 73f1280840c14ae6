#include "config.hpp"

#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/code_assist_models.hpp>
#include <llmp/cpp/config_reader.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <algorithm>
#include <cctype>

namespace llmp::plugins::gemini_cloud {

namespace {

using config::trim;
using config::withoutTrailingSlash;

[[noreturn]] void fail(std::string_view instance, const std::string& what) {
  config::Reader::forBackend(instance, kBackendType).fail(what);
}

void checkUrl(std::string_view instance, const std::string& url, const std::string& name) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    fail(instance, name + " must start with http:// or https://, got \"" + url + "\"");
  }
  if (url.find('?') != std::string::npos || url.find('#') != std::string::npos) {
    fail(instance, name + " must not carry a query or fragment");
  }
  size_t start = url.find("://") + 3;
  std::string authority = url.substr(start, url.find('/', start) - start);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    fail(instance, name + " must name a host (and no user info): \"" + url + "\"");
  }
}

}  // namespace

CloudConfig parseConfig(std::string_view instance, std::string_view configJson, const EnvFn& env) {
  auto envOf = [&](const char* name) { return config::envValue(env, name); };
  CloudConfig cfg;
  cfg.instance = std::string(instance);
  const auto reader = config::Reader::forBackend(instance, kBackendType);
  // `extra:` holds the same keys (the original tool's config shape); top-level keys win.
  const Json merged = reader.mergeExtra(reader.parseObject(configJson));

  bool endpointSet = false, versionSet = false;
  for (auto it = merged.begin(); it != merged.end(); ++it) {
    const std::string& name = it.key();
    const Json& value = it.value();
    if (value.is_null()) {
      continue;
    }
    if (name == "project_id" || name == "project") {
      cfg.projectId = reader.readScalar(value, name);
    } else if (name == "code_assist_endpoint") {
      cfg.endpoint = reader.readScalar(value, name);
      endpointSet = !cfg.endpoint.empty();
    } else if (name == "api_version") {
      cfg.apiVersion = reader.readScalar(value, name);
      versionSet = !cfg.apiVersion.empty();
    } else if (name == "credentials_file") {
      cfg.credentialsFile = reader.readScalar(value, name);
    } else if (name == "token_uri") {
      cfg.tokenUri = reader.readScalar(value, name);
    } else if (name == "token_refresh_margin_seconds") {
      cfg.refreshMarginMs = reader.readInt(value, name, 3000) * 1000;
    } else if (name == "onboard_poll_interval_ms") {
      cfg.onboardPollIntervalMs = reader.readInt(value, name, 600000);
    } else if (name == "onboard_max_polls") {
      cfg.onboardMaxPolls = static_cast<int>(reader.readInt(value, name, 100000));
    } else if (name == "metadata_server") {
      if (value.is_boolean()) {
        cfg.metadata.enabled = value.get<bool>();
        continue;
      }
      if (!value.is_object()) {
        fail(instance, "metadata_server must be a mapping with enabled and url");
      }
      for (auto m = value.begin(); m != value.end(); ++m) {
        if (m.key() == "enabled") {
          cfg.metadata.enabled = reader.readBool(m.value(), "metadata_server.enabled");
        } else if (m.key() == "url") {
          cfg.metadata.url = reader.readScalar(m.value(), "metadata_server.url");
        } else {
          fail(instance, "unknown key metadata_server." + m.key() + " (known: enabled, url)");
        }
      }
    } else if (name == "timeouts") {
      cfg.timeouts = reader.readTimeouts(value);
    } else if (name == "models") {
      if (!value.is_array()) {
        fail(instance, "models must be a list of model ids");
      }
      for (const auto& m : value) {
        if (!m.is_string()) {
          fail(instance, "models must be a list of model ids");
        }
        try {
          std::string id = code_assist::bareModel(trim(m.get<std::string>()));
          if (std::find(cfg.models.begin(), cfg.models.end(), id) == cfg.models.end()) {
            cfg.models.push_back(id);
          }
        } catch (const Error& e) {
          fail(instance, std::string("models: ") + e.what());
        }
      }
    }
    // Other keys (type, host-level settings) are not ours to judge.
  }

  if (cfg.projectId.empty()) {
    cfg.projectId = envOf("GOOGLE_CLOUD_PROJECT");
  }
  if (cfg.projectId.empty()) {
    cfg.projectId = envOf("GOOGLE_CLOUD_PROJECT_ID");
  }
  if (cfg.projectId.empty()) {
    fail(instance, "no Google Cloud project: set project_id in this backend's config or the "
                   "environment variable GOOGLE_CLOUD_PROJECT to the id of the project to bill "
                   "(e.g. my-project-123)");
  }
  if (std::all_of(cfg.projectId.begin(), cfg.projectId.end(),
                  [](unsigned char c) { return std::isdigit(c); })) {
    fail(instance, "project_id \"" + cfg.projectId +
                       "\" is a project number; Code Assist needs the project id (e.g. "
                       "my-project-123, see `gcloud projects list`)");
  }
  for (char c : cfg.projectId) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == ':')) {
      fail(instance, "project_id \"" + cfg.projectId.substr(0, 100) +
                         "\" is not a Google Cloud project id");
    }
  }
  if (!endpointSet) {
    std::string e = envOf("CODE_ASSIST_ENDPOINT");
    cfg.endpoint = e.empty() ? code_assist::kDefaultEndpoint : e;
  }
  if (!versionSet) {
    std::string v = envOf("CODE_ASSIST_API_VERSION");
    cfg.apiVersion = v.empty() ? code_assist::kDefaultApiVersion : v;
  }
  cfg.endpoint = withoutTrailingSlash(cfg.endpoint);
  checkUrl(instance, cfg.endpoint, endpointSet ? "code_assist_endpoint" : "CODE_ASSIST_ENDPOINT");
  while (!cfg.apiVersion.empty() && (cfg.apiVersion.front() == '/' || cfg.apiVersion.back() == '/')) {
    if (cfg.apiVersion.front() == '/') {
      cfg.apiVersion.erase(0, 1);
    } else {
      cfg.apiVersion.pop_back();
    }
  }
  if (cfg.apiVersion.empty() || cfg.apiVersion.find_first_of("/?#: ") != std::string::npos) {
    fail(instance, "api_version must be a single path segment such as v1internal");
  }
  if (!cfg.tokenUri.empty()) {
    checkUrl(instance, cfg.tokenUri, "token_uri");
  }
  if (!cfg.metadata.url.empty()) {
    cfg.metadata.url = withoutTrailingSlash(cfg.metadata.url);
    checkUrl(instance, cfg.metadata.url, "metadata_server.url");
  }
  if (cfg.models.empty()) {
    cfg.models = code_assist::defaultModels();
  }
  if (cfg.onboardMaxPolls <= 0) {
    cfg.onboardMaxPolls = 1;
  }
  return cfg;
}

}  // namespace llmp::plugins::gemini_cloud
