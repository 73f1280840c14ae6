#include "app/cli.h"

#include <algorithm>
#include <cstdlib>

namespace llmp::host {
namespace {

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

AliasRule parseAlias(const std::string& text, const std::string& origin) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(origin + ": model alias '" + text + "' must look like pattern=replacement");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<std::string> splitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) {
      end = s.size();
    }
    std::string item = s.substr(start, end - start);
    if (!item.empty()) {
      out.push_back(item);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string usageText() {
  return R"(Usage: llm-proxy [options]
       llm-proxy accounts list|add|update|remove|set-project-id ... (gemini-oauth-auto accounts)

Options:
  --config FILE            YAML configuration (see docs/config.md)
  --host ADDR              address to bind (default 127.0.0.1)
  --port N                 port to listen on (default 8000; 0 picks a free port)
  --default-backend NAME   backend used when a model names none
  --plugin-dir DIR         where plugin libraries (*.so) are found
  --log-level LEVEL        trace|debug|info|warn|error
  --model-alias P=R        model name rewrite (regex P, replacement R); repeatable
  --proxy-key KEY          accept this client key (prefer env LLM_PROXY_API_KEYS)
  --enable-<type>-backend-debugging-override
                           enable a debug-gated backend type, e.g.
                           --enable-gemini-oauth-plan-backend-debugging-override
  --allow-unauthenticated-remote
                           serve non-loopback clients even without proxy keys
  --planning-phase-model SELECTOR
                           first turns of a session go to this model (docs/routing.md);
                           also --planning-phase-max-turns N, --planning-phase-temperature T,
                           --planning-phase-top-p P, --planning-phase-reasoning-effort E,
                           --planning-phase-thinking-budget N, --planning-phase-until-first-write B
  --check-config           load config and plugins, create backends, then exit
  --version, --help
)";
}

CliOptions parseCommandLine(int argc, char** argv) {
  CliOptions cli;
  auto value = [&](int& i, const std::string& flag) -> std::string {
    std::string arg = argv[i];
    auto eq = arg.find('=');
    if (eq != std::string::npos) {
      return arg.substr(eq + 1);
    }
    if (i + 1 >= argc) {
      throw ConfigError("option " + flag + " needs a value");
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string flag = arg.substr(0, arg.find('='));
    if (!cli.command.empty()) {
      cli.command.push_back(arg);
    } else if (flag == "--config" || flag == "-c") {
      cli.configPath = value(i, flag);
    } else if (flag == "--host") {
      cli.host = value(i, flag);
    } else if (flag == "--port" || flag == "-p") {
      std::string v = value(i, flag);
      char* end = nullptr;
      long p = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || p < 0 || p > 65535) {
        throw ConfigError("--port must be a number between 0 and 65535, got '" + v + "'");
      }
      cli.port = static_cast<uint16_t>(p);
    } else if (flag == "--default-backend") {
      cli.defaultBackend = value(i, flag);
    } else if (flag == "--plugin-dir") {
      cli.pluginDir = value(i, flag);
    } else if (flag == "--log-level") {
      cli.logLevel = value(i, flag);
    } else if (flag == "--model-alias") {
      cli.modelAliases.push_back(parseAlias(value(i, flag), "--model-alias"));
    } else if (flag == "--proxy-key") {
      cli.proxyKeys.push_back(value(i, flag));
    } else if (flag == "--allow-unauthenticated-remote") {
      cli.allowUnauthenticatedRemote = true;
    } else if (startsWith(flag, "--planning-phase-")) {
      // --planning-phase-model M, --planning-phase-max-turns N, --planning-phase-temperature T,
      // --planning-phase-top-p, -reasoning-effort, -thinking-budget, -until-first-write
      std::string key = flag.substr(std::string("--planning-phase-").size());
      std::replace(key.begin(), key.end(), '-', '_');
      static const std::set<std::string> kKeys = {"model", "max_turns", "temperature", "top_p",
                                                  "reasoning_effort", "thinking_budget",
                                                  "until_first_write"};
      if (!kKeys.count(key)) {
        throw ConfigError("unknown option " + flag + " (see --help)");
      }
      std::string v = value(i, flag);
      nlohmann::json parsed = nlohmann::json::parse(v, nullptr, false);
      cli.planningPhase[key] = (key == "model" || key == "reasoning_effort" || parsed.is_discarded())
                                   ? nlohmann::json(v)
                                   : parsed;
    } else if (flag == "--check-config") {
      cli.checkConfig = true;
    } else if (flag == "--help" || flag == "-h") {
      cli.help = true;
    } else if (flag == "--version") {
      cli.version = true;
    } else if (startsWith(arg, "--enable-") && endsWith(arg, "-backend-debugging-override")) {
      std::string type = arg.substr(9, arg.size() - 9 - std::string("-backend-debugging-override").size());
      if (type.empty()) {
        throw ConfigError("malformed flag " + arg);
      }
      cli.debuggingOverrides.insert(type);
    } else if (!startsWith(arg, "-")) {
      cli.command.push_back(arg);
    } else {
      throw ConfigError("unknown option " + arg + " (see --help)");
    }
  }
  return cli;
}

Config buildConfig(const CliOptions& cli) {
  Config config;
  if (!cli.configPath.empty()) {
    config = loadConfigFile(cli.configPath);
  }
  // Environment: secrets and list-valued settings.
  std::vector<AliasRule> envAliases;
  if (const char* env = std::getenv("MODEL_ALIASES"); env != nullptr && *env != '\0') {
    nlohmann::json j = nlohmann::json::parse(env, nullptr, false);
    if (j.is_discarded() || !(j.is_object() || j.is_array())) {
      throw ConfigError("MODEL_ALIASES must be a JSON object {\"pattern\":\"replacement\"} or a list");
    }
    if (j.is_object()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it.value().is_string()) {
          throw ConfigError("MODEL_ALIASES: the replacement of '" + it.key() + "' must be a string");
        }
        envAliases.push_back({it.key(), it.value().get<std::string>()});
      }
    } else {
      for (const auto& item : j) {
        if (item.is_string()) {
          envAliases.push_back(parseAlias(item.get<std::string>(), "MODEL_ALIASES"));
        } else if (item.is_object() && item.contains("pattern") && item.contains("replacement")) {
          envAliases.push_back({item["pattern"].get<std::string>(), item["replacement"].get<std::string>()});
        } else {
          throw ConfigError("MODEL_ALIASES: each entry needs a pattern and a replacement");
        }
      }
    }
  }
  if (const char* env = std::getenv("LLM_PROXY_API_KEYS"); env != nullptr) {
    for (auto& k : splitCommas(env)) {
      config.proxyKeys.push_back(k);
    }
  }
  // First match wins, so the most specific source goes first: flags, then env, then YAML.
  std::vector<AliasRule> aliases = cli.modelAliases;
  aliases.insert(aliases.end(), envAliases.begin(), envAliases.end());
  aliases.insert(aliases.end(), config.modelAliases.begin(), config.modelAliases.end());
  config.modelAliases = std::move(aliases);

  if (cli.host) {
    config.host = *cli.host;
  }
  if (cli.port) {
    config.port = *cli.port;
  }
  if (cli.defaultBackend) {
    config.defaultBackend = *cli.defaultBackend;
  }
  if (cli.pluginDir) {
    config.pluginDir = *cli.pluginDir;
  }
  if (cli.logLevel) {
    config.logLevel = *cli.logLevel;
  }
  for (const auto& k : cli.proxyKeys) {
    config.proxyKeys.push_back(k);
  }
  config.allowUnauthenticatedRemote |= cli.allowUnauthenticatedRemote;
  if (!cli.planningPhase.empty()) {
    nlohmann::json& p = config.session["planning_phase"];
    if (!p.is_object()) {
      p = nlohmann::json::object();
    }
    for (auto it = cli.planningPhase.begin(); it != cli.planningPhase.end(); ++it) {
      p[it.key()] = it.value();
    }
  }
  config.debuggingOverrides.insert(cli.debuggingOverrides.begin(), cli.debuggingOverrides.end());
  return config;
}

}  // namespace llmp::host
