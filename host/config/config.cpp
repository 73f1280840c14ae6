#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace llmp::host {
namespace {

using nlohmann::json;

std::string where(const std::string& source, const YAML::Mark& mark) {
  std::ostringstream out;
  out << source;
  if (mark.line >= 0) {
    out << ":" << (mark.line + 1) << ":" << (mark.column + 1);
  }
  return out.str();
}

json scalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") {  // quoted: always a string
    return s;
  }
  if (s == "null" || s == "~" || s.empty()) {
    return s.empty() ? json(s) : json(nullptr);
  }
  if (s == "true" || s == "True" || s == "TRUE" || s == "yes") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE" || s == "no") {
    return false;
  }
  char* end = nullptr;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() && *end == '\0') {
    return i;
  }
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() && *end == '\0') {
    return d;
  }
  return s;
}

json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) {
        arr.push_back(toJson(item));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) {
        obj[kv.first.as<std::string>()] = toJson(kv.second);
      }
      return obj;
    }
  }
  return nullptr;
}

class Reader {
 public:
  Reader(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    throw ConfigError(where(source_, node.Mark()) + ": " + message);
  }

  std::string str(const YAML::Node& node, const char* key) const {
    if (!node.IsScalar()) {
      fail(node, std::string("'") + key + "' must be a string");
    }
    return node.Scalar();
  }

  int64_t integer(const YAML::Node& node, const char* key) const {
    json v = node.IsScalar() ? scalarToJson(node) : json();
    if (!v.is_number_integer()) {
      fail(node, std::string("'") + key + "' must be an integer");
    }
    return v.get<int64_t>();
  }

  bool boolean(const YAML::Node& node, const char* key) const {
    json v = node.IsScalar() ? scalarToJson(node) : json();
    if (!v.is_boolean()) {
      fail(node, std::string("'") + key + "' must be true or false");
    }
    return v.get<bool>();
  }

  std::vector<std::string> strings(const YAML::Node& node, const char* key) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
      return out;
    }
    if (!node.IsSequence()) {
      fail(node, std::string("'") + key + "' must be a list of strings");
    }
    for (const auto& item : node) {
      out.push_back(str(item, key));
    }
    return out;
  }

 private:
  std::string source_;
};

void readAliases(const Reader& r, const YAML::Node& node, Config& config) {
  // Either a list of {pattern, replacement} / "pattern=replacement", or a map pattern: replacement
  // (YAML keeps map order as written).
  if (node.IsMap()) {
    for (const auto& kv : node) {
      config.modelAliases.push_back({kv.first.as<std::string>(), r.str(kv.second, "model_aliases")});
    }
    return;
  }
  if (!node.IsSequence()) {
    r.fail(node, "'model_aliases' must be a map or a list");
  }
  for (const auto& item : node) {
    if (item.IsMap() && item["pattern"]) {
      config.modelAliases.push_back(
          {r.str(item["pattern"], "pattern"), r.str(item["replacement"], "replacement")});
    } else if (item.IsScalar()) {
      const std::string& s = item.Scalar();
      auto eq = s.find('=');
      if (eq == std::string::npos) {
        r.fail(item, "alias '" + s + "' must look like pattern=replacement");
      }
      config.modelAliases.push_back({s.substr(0, eq), s.substr(eq + 1)});
    } else {
      r.fail(item, "each model alias needs 'pattern' and 'replacement'");
    }
  }
}

}  // namespace

json yamlTextToJson(const std::string& text) { return toJson(YAML::Load(text)); }

Config parseConfigYaml(const std::string& text, const std::string& sourceName) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(where(sourceName, e.mark) + ": invalid YAML: " + e.msg);
  }
  Config config;
  config.sourcePath = sourceName;
  if (!root || root.IsNull()) {
    return config;
  }
  Reader r(sourceName);
  if (!root.IsMap()) {
    r.fail(root, "the configuration must be a YAML mapping");
  }
  static const std::set<std::string> kKnown = {
      "host", "port", "default_backend", "plugin_dir", "plugins", "frontends", "backends",
      "proxy_keys", "log_level", "model_aliases", "failover_routes", "model_defaults",
      "max_silent_wait_seconds", "max_failover_hops", "failover_total_timeout_seconds",
      "keepalive_interval_seconds", "max_threads", "event_loops", "stream_io_threads", "max_body_bytes", "client_timeout_seconds", "shutdown_grace_seconds",
      "session", "debugging_overrides", "allow_unauthenticated_remote"};
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (!kKnown.count(key)) {
      r.fail(kv.first, "unknown setting '" + key + "' (see docs/config.md)");
    }
    if (key == "host") {
      config.host = r.str(v, "host");
    } else if (key == "port") {
      int64_t p = r.integer(v, "port");
      if (p < 0 || p > 65535) {
        r.fail(v, "'port' must be between 0 and 65535");
      }
      config.port = static_cast<uint16_t>(p);
    } else if (key == "default_backend") {
      config.defaultBackend = r.str(v, "default_backend");
    } else if (key == "plugin_dir") {
      config.pluginDir = r.str(v, "plugin_dir");
    } else if (key == "plugins") {
      config.plugins = r.strings(v, "plugins");
    } else if (key == "frontends") {
      if (v.IsMap()) {
        for (const auto& f : v) {
          config.frontends.push_back(f.first.as<std::string>());
          config.frontendSettings[f.first.as<std::string>()] =
              f.second.IsMap() ? toJson(f.second) : json::object();
        }
      } else {
        config.frontends = r.strings(v, "frontends");
      }
    } else if (key == "backends") {
      if (!v.IsMap()) {
        r.fail(v, "'backends' must map backend names to their settings");
      }
      for (const auto& b : v) {
        BackendConfig bc;
        bc.name = b.first.as<std::string>();
        if (bc.name.empty() || bc.name.find_first_of(":|?") != std::string::npos) {
          r.fail(b.first, "backend name '" + bc.name + "' must not be empty or contain : | ?");
        }
        if (!b.second.IsMap()) {
          r.fail(b.second, "backend '" + bc.name + "' must be a mapping with a 'type'");
        }
        if (!b.second["type"]) {
          r.fail(b.second, "backend '" + bc.name + "' has no 'type'");
        }
        bc.type = r.str(b.second["type"], "type");
        bc.settings = toJson(b.second);
        config.backendOrder.push_back(bc.name);
        config.backends[bc.name] = std::move(bc);
      }
    } else if (key == "proxy_keys") {
      config.proxyKeys = r.strings(v, "proxy_keys");
    } else if (key == "log_level") {
      config.logLevel = r.str(v, "log_level");
    } else if (key == "model_aliases") {
      readAliases(r, v, config);
    } else if (key == "failover_routes") {
      if (!v.IsMap()) {
        r.fail(v, "'failover_routes' must map route names to chains");
      }
      for (const auto& f : v) {
        std::string chain;
        if (f.second.IsSequence()) {
          for (const auto& hop : f.second) {
            chain += (chain.empty() ? "" : "|") + r.str(hop, "failover_routes");
          }
        } else {
          chain = r.str(f.second, "failover_routes");
        }
        config.failoverRoutes[f.first.as<std::string>()] = chain;
      }
    } else if (key == "model_defaults") {
      if (!v.IsMap()) {
        r.fail(v, "'model_defaults' must map model names to parameters");
      }
      for (const auto& m : v) {
        if (!m.second.IsMap()) {
          r.fail(m.second, "defaults of '" + m.first.as<std::string>() + "' must be a mapping");
        }
        config.modelDefaults[m.first.as<std::string>()] = toJson(m.second);
      }
    } else if (key == "max_silent_wait_seconds") {
      config.maxSilentWaitMs = r.integer(v, key.c_str()) * 1000;
    } else if (key == "max_failover_hops") {
      config.maxFailoverHops = static_cast<int>(r.integer(v, key.c_str()));
    } else if (key == "failover_total_timeout_seconds") {
      config.failoverTotalTimeoutMs = r.integer(v, key.c_str()) * 1000;
    } else if (key == "keepalive_interval_seconds") {
      config.keepaliveIntervalMs = r.integer(v, key.c_str()) * 1000;
    } else if (key == "max_threads") {
      config.maxThreads = static_cast<int>(r.integer(v, key.c_str()));
    } else if (key == "event_loops") {
      const int64_t n = r.integer(v, key.c_str());
      if (n < 0 || n > 64) {
        r.fail(v, "event_loops must be 0 (one per CPU) or 1..64");
      }
      config.eventLoops = static_cast<int>(n);
    } else if (key == "stream_io_threads") {
      const int64_t n = r.integer(v, key.c_str());
      if (n < -1 || n > 64) {
        r.fail(v, "stream_io_threads must be -1 (off), 0 (one per CPU) or 1..64");
      }
      config.streamIoThreads = static_cast<int>(n);
    } else if (key == "max_body_bytes") {
      config.maxBodyBytes = static_cast<size_t>(r.integer(v, key.c_str()));
    } else if (key == "client_timeout_seconds") {
      const int64_t n = r.integer(v, key.c_str());
      if (n < 1 || n > 86400) {
        r.fail(v, "client_timeout_seconds must be 1..86400");
      }
      config.clientTimeoutMs = n * 1000;
    } else if (key == "shutdown_grace_seconds") {
      config.shutdownGraceMs = r.integer(v, key.c_str()) * 1000;
    } else if (key == "session") {
      config.session = toJson(v);
    } else if (key == "allow_unauthenticated_remote") {
      config.allowUnauthenticatedRemote = r.boolean(v, "allow_unauthenticated_remote");
    } else if (key == "debugging_overrides") {
      for (const auto& t : r.strings(v, "debugging_overrides")) {
        config.debuggingOverrides.insert(t);
      }
    }
  }
  return config;
}

Config loadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw ConfigError("cannot read config file " + path);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parseConfigYaml(buffer.str(), path);
}

}  // namespace llmp::host
