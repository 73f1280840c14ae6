#include "app/proxy_app.h"

#include <cstdlib>
#include <iostream>
#include <set>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/sinks.hpp>
#include <llmp/ext/cli.h>

#include "app/plugin_discovery.h"
#include "auth/proxy_auth.h"
#include "log/log.h"
#include "plugin/plugin_loader.h"
#include "router/backend_registry.h"
#include "router/router.h"
#include "server/frontend_set.h"
#include "server/proxy_server.h"
#include "services/host_services.h"

namespace llmp::host {
namespace {

using nlohmann::json;

bool isLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool envTrue(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && (std::string(v) == "true" || std::string(v) == "1" || std::string(v) == "yes");
}

// When no configuration file is given: the offline mock backend, plus the `gemini` backend when
// GEMINI_API_KEY is set, plus an instance named after --default-backend's type when that type
// is loaded but not configured (so `llm-proxy --default-backend gemini` is all it takes).
void addImplicitBackends(Config& config, const std::set<std::string>& knownTypes) {
  auto addIfMissing = [&](const std::string& name) {
    if (config.backends.count(name) || !knownTypes.count(name)) {
      return;
    }
    BackendConfig bc;
    bc.name = name;
    bc.type = name;
    bc.settings = json{{"type", name}};
    config.backendOrder.push_back(name);
    config.backends[name] = bc;
  };
  if (config.sourcePath.empty()) {
    addIfMissing("mock");
    if (std::getenv("GEMINI_API_KEY") != nullptr) {
      addIfMissing("gemini");
    }
    if (config.defaultBackend.empty()) {
      config.defaultBackend = "mock";
    }
  }
  if (!config.defaultBackend.empty()) {
    addIfMissing(config.defaultBackend);
  }
}

std::string rateLimitFallbackFor(const BackendConfig& bc) {
  const json& s = bc.settings;
  if (s.value("disable_fallback", false)) {
    return {};
  }
  bool oauthFamily = bc.type.rfind("gemini-oauth", 0) == 0;
  if (oauthFamily && envTrue("DISABLE_GEMINI_OAUTH_FALLBACK")) {
    return {};
  }
  if (s.contains("fallback_model") && s["fallback_model"].is_string()) {
    return s["fallback_model"].get<std::string>();
  }
  return oauthFamily || s.value("enable_fallback", false) ? "gemini-2.5-flash" : "";
}

}  // namespace

int ProxyApp::runPluginCommand(PluginLoader& loader, HostServices& services, const Config& config) {
  const std::string& name = cli_.command.front();
  for (const auto& plugin : loader.plugins()) {
    if (plugin->descriptor.get_factory == nullptr) {
      continue;
    }
    auto* factory = static_cast<const llmp_cli_factory*>(plugin->descriptor.get_factory(LLMP_CLI_FACTORY_V1));
    if (factory == nullptr || factory->command == nullptr || name != factory->command) {
      continue;
    }
    json backendsJson = json::object();
    for (const auto& [bname, bc] : config.backends) {
      backendsJson[bname] = bc.settings;
    }
    json overrides = json::array();
    for (const auto& t : config.debuggingOverrides) {
      overrides.push_back(t);
    }
    std::string configText = json{{"backends", backendsJson}, {"debugging_overrides", overrides}}.dump();
    std::vector<const char*> argv;
    for (size_t i = 1; i < cli_.command.size(); ++i) {
      argv.push_back(cli_.command[i].c_str());
    }
    llmp_bytes_sink out{sizeof(llmp_bytes_sink), &std::cout, [](void* ctx, llmp_bytes data) -> llmp_status {
                          static_cast<std::ostream*>(ctx)->write(data.ptr, static_cast<std::streamsize>(data.len)).flush();
                          return LLMP_OK;
                        }};
    llmp_bytes_sink err = out;
    err.ctx = &std::cerr;
    return factory->run(services.apiFor(plugin->descriptor.id), argv.data(), argv.size(),
                        toBytes(configText), &out, &err);
  }
  std::cerr << "llm-proxy: unknown command '" << name << "'";
  std::string known;
  for (const auto& plugin : loader.plugins()) {
    if (plugin->descriptor.get_factory == nullptr) {
      continue;
    }
    if (auto* f = static_cast<const llmp_cli_factory*>(plugin->descriptor.get_factory(LLMP_CLI_FACTORY_V1))) {
      known += std::string(known.empty() ? "" : ", ") + f->command;
    }
  }
  std::cerr << (known.empty() ? " (no loaded plugin offers commands)" : "; commands: " + known) << std::endl;
  return EXIT_USAGE;
}

int ProxyApp::main(const std::vector<std::string>&) {
  Config config;
  try {
    config = buildConfig(cli_);
  } catch (const ConfigError& e) {
    std::cerr << "llm-proxy: " << e.what() << std::endl;
    return EXIT_CONFIG;
  }
  int32_t level = log::kInfo;
  if (!log::parseLevel(config.logLevel, &level)) {
    std::cerr << "llm-proxy: unknown log level '" << config.logLevel
              << "' (use trace, debug, info, warn or error)" << std::endl;
    return EXIT_CONFIG;
  }
  log::setLevel(level);

  ServicesOptions servicesOptions;
  servicesOptions.streamIoThreads = config.streamIoThreads;
  HostServices services(servicesOptions);
  PluginLoader loader([&services](const std::string& id) { return services.apiFor(id); });
  BackendRegistry backends;
  FrontendSet frontends;
  try {
    std::string pluginDir = resolvePluginDir(config, commandPath());
    auto files = pluginFiles(config, pluginDir);
    if (files.empty()) {
      throw ConfigError("no plugins found in " + pluginDir + " (set --plugin-dir or plugin_dir)");
    }
    std::map<std::string, const LoadedPlugin*> byType;
    std::set<std::string> types;
    std::set<std::string> gatedTypes;
    for (const auto& file : files) {
      try {
        const LoadedPlugin& p = loader.load(file.path);
        log::debug("plugins", "loaded " + std::string(p.descriptor.id) + " from " + p.path);
        if (p.hasBackend) {
          for (size_t i = 0; i < p.backend.type_count; ++i) {
            types.insert(p.backend.types[i]);
            byType[p.backend.types[i]] = &p;
          }
          for (size_t i = 0; i < p.backend.gated_type_count; ++i) {
            gatedTypes.insert(p.backend.gated_types[i]);
          }
        }
      } catch (const PluginError& e) {
        if (file.explicitlyNamed) {
          throw ConfigError(e.what());
        }
        log::error("plugins", std::string(e.what()) + " (skipped)");
      }
    }
    if (!cli_.command.empty()) {
      return runPluginCommand(loader, services, config);
    }
    addImplicitBackends(config, types);
    if (config.backends.empty()) {
      throw ConfigError("no backends configured (see docs/config.md)");
    }
    for (const auto& name : config.backendOrder) {
      const BackendConfig& bc = config.backends.at(name);
      auto it = byType.find(bc.type);
      if (it == byType.end()) {
        std::string known;
        for (const auto& t : types) {
          known += (known.empty() ? "" : ", ") + t;
        }
        throw ConfigError("backend '" + name + "' has unknown type '" + bc.type +
                          "'; the loaded plugins provide: " + (known.empty() ? "(none)" : known));
      }
      auto instance = std::make_unique<BackendInstance>();
      instance->name = name;
      instance->type = bc.type;
      instance->pluginPath = it->second->path;
      instance->factory = &it->second->backend;
      instance->settings = bc.settings;
      instance->gated = gatedTypes.count(bc.type) > 0;
      instance->enabled = !instance->gated || config.debuggingOverrides.count(bc.type) > 0;
      instance->rateLimitFallbackModel = rateLimitFallbackFor(bc);
      instance->cooperative = (instance->factory->flags & LLMP_BACKEND_COOPERATIVE) != 0;
      if (instance->enabled) {
        ErrorRecord err;
        std::string settings = bc.settings.dump();
        llmp_status s = instance->factory->create(services.apiFor(it->second->descriptor.id),
                                                  bc.type.c_str(), toBytes(name),
                                                  toBytes(settings), &instance->instance, err.sink());
        if (s != LLMP_OK || instance->instance == nullptr) {
          throw ConfigError("backend '" + name + "' (type " + bc.type + ") failed to start: " +
                            (err.message.empty() ? "no details" : err.message));
        }
      } else {
        log::info("backends", "backend '" + name + "' (type " + bc.type +
                                  ") is disabled; enable it with --enable-" + bc.type +
                                  "-backend-debugging-override");
      }
      backends.add(std::move(instance));
    }
    if (!config.defaultBackend.empty() && backends.find(config.defaultBackend) == nullptr) {
      throw ConfigError("default backend '" + config.defaultBackend + "' is not configured; "
                        "configured backends: " + backends.namesForMessage());
    }
    for (const auto& plugin : loader.plugins()) {
      if (!plugin->hasFrontend) {
        continue;
      }
      std::string fname = plugin->frontend.name != nullptr ? plugin->frontend.name : "";
      if (!config.frontends.empty() &&
          std::find(config.frontends.begin(), config.frontends.end(), fname) == config.frontends.end()) {
        continue;
      }
      json settings = config.frontendSettings.contains(fname) ? config.frontendSettings[fname]
                                                               : json::object();
      std::string text = settings.dump();
      FrontendInstance f;
      f.name = fname;
      f.factory = &plugin->frontend;
      f.cooperative = (f.factory->flags & LLMP_FRONTEND_COOPERATIVE) != 0;
      ErrorRecord err;
      if (f.factory->create(services.apiFor(plugin->descriptor.id), toBytes(text), &f.instance,
                            err.sink()) != LLMP_OK ||
          f.instance == nullptr) {
        throw ConfigError("front end '" + fname + "' failed to start: " + err.message);
      }
      frontends.add(f);
    }
    for (const auto& wanted : config.frontends) {
      bool found = false;
      for (const auto& f : frontends.items()) {
        found |= f.name == wanted;
      }
      if (!found) {
        throw ConfigError("front end '" + wanted + "' is not provided by any loaded plugin");
      }
    }
    if (frontends.items().empty()) {
      throw ConfigError("no front-end plugins loaded from " + pluginDir);
    }
  } catch (const ConfigError& e) {
    std::cerr << "llm-proxy: " << e.what() << std::endl;
    return EXIT_CONFIG;
  }

  if (cli_.checkConfig) {
    std::cout << "configuration OK: " << backends.ordered().size() << " backend(s), "
              << frontends.items().size() << " front end(s)" << std::endl;
    return EXIT_OK;
  }

  std::string host = config.host;
  if (config.proxyKeys.empty() && !isLoopback(host) && !config.allowUnauthenticatedRemote) {
    log::warn("server", "no proxy keys configured: binding to 127.0.0.1 instead of " + host +
                            " (set proxy_keys / LLM_PROXY_API_KEYS, or allow_unauthenticated_remote)");
    host = "127.0.0.1";
  }

  ProxyAuth auth(config.proxyKeys);
  Router router(config, backends, services.apiFor("dev.llmp.host"));
  ServerContext context;
  context.config = &config;
  context.frontends = &frontends;
  context.router = &router;
  context.auth = &auth;
  context.healthJson = [&backends, &frontends] {
    json b = json::array();
    for (BackendInstance* bi : backends.ordered()) {
      json entry{{"name", bi->name}, {"type", bi->type}, {"enabled", bi->enabled}};
      if (bi->enabled && bi->factory->get_extension != nullptr) {
        auto* health = static_cast<const llmp_health_ext*>(
            bi->factory->get_extension(bi->instance, LLMP_EXT_HEALTH_V1));
        if (health != nullptr && health->report != nullptr) {
          StringSink out;
          if (health->report(bi->instance, out.sink()) == LLMP_OK) {
            json h = json::parse(out.value(), nullptr, false);
            if (!h.is_discarded()) {
              entry["health"] = h;
            }
          }
        }
      }
      b.push_back(entry);
    }
    json f = json::array();
    for (const auto& fi : frontends.items()) {
      f.push_back(fi.name);
    }
    return json{{"status", "ok"}, {"version", LLMP_HOST_VERSION}, {"backends", b}, {"frontends", f}}.dump();
  };

  ProxyServer server(context);
  try {
    server.start(host, config.port);
  } catch (const ConfigError& e) {
    std::cerr << "llm-proxy: " << e.what() << std::endl;
    return EXIT_CONFIG;
  }
  std::cout << "llm-proxy listening on http://" << host << ":" << server.port()
            << " (default backend: " << config.defaultBackend << ")" << std::endl;
  log::info("server", "listening on " + host + ":" + std::to_string(server.port()));

  waitForTerminationRequest();
  log::info("server", "shutting down: letting in-flight requests finish");
  server.stop(config.shutdownGraceMs);
  frontends.destroyAll();
  backends.destroyAll();
  services.shutdown();
  loader.shutdownAll();
  return EXIT_OK;
}

}  // namespace llmp::host
