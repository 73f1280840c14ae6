#include "config.hpp"

#include <llmp/cpp/config_reader.hpp>
#include <llmp/cpp/errors.hpp>

#include <cmath>

namespace llmp::plugins::gemini_acp {
namespace {

const Json* lookup(const Json& config, const char* key) {
  if (!config.is_object()) {
    return nullptr;
  }
  auto extra = config.find("extra");
  if (extra != config.end() && extra->is_object()) {
    auto it = extra->find(key);
    if (it != extra->end() && !it->is_null()) {
      return &*it;
    }
  }
  auto it = config.find(key);
  if (it != config.end() && !it->is_null()) {
    return &*it;
  }
  return nullptr;
}

const config::Reader& reader() {
  static const config::Reader instance("gemini-cli-acp config: ", 400);
  return instance;
}

[[noreturn]] void bad(const char* key, const std::string& why) {
  reader().fail(std::string(key) + " " + why);
}

std::string readString(const Json& config, const char* key, std::string fallback) {
  const Json* value = lookup(config, key);
  if (value == nullptr) {
    return fallback;
  }
  return reader().readString(*value, key);
}

// Seconds (integer or fractional, or a numeric string as YAML sometimes yields) -> ms.
int64_t readSecondsMs(const Json& config, const char* key, int64_t fallbackMs, bool allowZero) {
  const Json* value = lookup(config, key);
  if (value == nullptr) {
    return fallbackMs;
  }
  double seconds = 0;
  if (value->is_number()) {
    seconds = value->get<double>();
  } else if (value->is_string()) {
    try {
      size_t used = 0;
      const std::string& s = value->get_ref<const std::string&>();
      seconds = std::stod(s, &used);
      if (used != s.size()) {
        bad(key, "must be a number of seconds");
      }
    } catch (const Error&) {
      throw;
    } catch (...) {
      bad(key, "must be a number of seconds");
    }
  } else {
    bad(key, "must be a number of seconds");
  }
  if (!std::isfinite(seconds) || seconds < 0 || (!allowZero && seconds == 0)) {
    bad(key, allowZero ? "must not be negative" : "must be positive");
  }
  return static_cast<int64_t>(std::llround(seconds * 1000.0));
}

std::vector<std::string> readStringList(const Json& config, const char* key) {
  std::vector<std::string> out;
  const Json* value = lookup(config, key);
  if (value == nullptr) {
    return out;
  }
  if (value->is_string()) {
    out.push_back(value->get<std::string>());
    return out;
  }
  if (!value->is_array()) {
    bad(key, "must be a list of strings");
  }
  for (const Json& item : *value) {
    if (!item.is_string()) {
      bad(key, "must be a list of strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

const char* permissionPolicyName(PermissionPolicy policy) {
  switch (policy) {
    case PermissionPolicy::AllowAll:
      return "allow_all";
    case PermissionPolicy::DenyAll:
      return "deny_all";
    case PermissionPolicy::ReadOnly:
      break;
  }
  return "read_only";
}

std::vector<std::string> unknownConfigKeys(const Json& config) {
  static const char* const kKnown[] = {
      "gemini_cli_executable", "node_executable", "gemini_cli_args", "auth_method", "project_dir",
      "default_model", "models", "env", "acp_flag", "permission_policy", "idle_timeout_seconds",
      "max_processes", "initialize_timeout_seconds", "session_timeout_seconds",
      "cancel_timeout_seconds", "turn_timeout_seconds", "keepalive_seconds",
      "start_failure_backoff_seconds",
      // read by the host
      "type", "extra", "fallback_model", "enable_fallback", "disable_fallback", "plugin"};
  std::vector<std::string> unknown;
  auto check = [&](const Json& object, const std::string& prefix) {
    if (!object.is_object()) {
      return;
    }
    for (auto it = object.begin(); it != object.end(); ++it) {
      bool known = false;
      for (const char* key : kKnown) {
        known = known || it.key() == key;
      }
      if (!known) {
        unknown.push_back(prefix + it.key());
      }
    }
  };
  check(config, "");
  if (config.is_object() && config.contains("extra")) {
    check(config["extra"], "extra.");
  }
  return unknown;
}

BackendConfig parseConfig(const Json& config) {
  BackendConfig out;
  out.executable = readString(config, "gemini_cli_executable", "");
  out.nodeExecutable = readString(config, "node_executable", out.nodeExecutable);
  out.extraArgs = readStringList(config, "gemini_cli_args");
  out.authMethod = readString(config, "auth_method", "");
  out.projectDir = readString(config, "project_dir", "");
  out.defaultModel = readString(config, "default_model", "");
  out.staticModels = readStringList(config, "models");

  if (const Json* env = lookup(config, "env")) {
    if (!env->is_object()) {
      bad("env", "must be a map of NAME: value");
    }
    for (auto it = env->begin(); it != env->end(); ++it) {
      if (it.key().empty() || it.key().find('=') != std::string::npos) {
        bad("env", "has an invalid variable name");
      }
      if (it->is_string()) {
        out.env[it.key()] = it->get<std::string>();
      } else if (it->is_number() || it->is_boolean()) {
        out.env[it.key()] = it->dump();
      } else {
        bad("env", "values must be strings");
      }
    }
  }

  std::string flag = readString(config, "acp_flag", "auto");
  if (flag == "auto" || flag.empty()) {
    out.acpFlag = AcpFlagMode::Auto;
  } else if (flag == "--acp" || flag == "acp") {
    out.acpFlag = AcpFlagMode::Acp;
  } else if (flag == "--experimental-acp" || flag == "experimental-acp") {
    out.acpFlag = AcpFlagMode::ExperimentalAcp;
  } else {
    bad("acp_flag", "must be auto, --acp or --experimental-acp");
  }

  std::string policy = readString(config, "permission_policy", "read_only");
  if (policy == "read_only" || policy == "default" || policy.empty()) {
    out.permissionPolicy = PermissionPolicy::ReadOnly;
  } else if (policy == "allow_all") {
    out.permissionPolicy = PermissionPolicy::AllowAll;
  } else if (policy == "deny_all") {
    out.permissionPolicy = PermissionPolicy::DenyAll;
  } else {
    bad("permission_policy", "must be read_only, allow_all or deny_all");
  }

  out.idleTimeoutMs = readSecondsMs(config, "idle_timeout_seconds", out.idleTimeoutMs, false);
  if (const Json* max = lookup(config, "max_processes")) {
    if (!max->is_number_integer() || max->get<int64_t>() < 1 || max->get<int64_t>() > 1024) {
      bad("max_processes", "must be an integer from 1 to 1024");
    }
    out.maxProcesses = static_cast<size_t>(max->get<int64_t>());
  }
  out.initializeTimeoutMs =
      readSecondsMs(config, "initialize_timeout_seconds", out.initializeTimeoutMs, false);
  out.sessionTimeoutMs =
      readSecondsMs(config, "session_timeout_seconds", out.sessionTimeoutMs, false);
  out.cancelTimeoutMs = readSecondsMs(config, "cancel_timeout_seconds", out.cancelTimeoutMs, false);
  out.turnTimeoutMs = readSecondsMs(config, "turn_timeout_seconds", out.turnTimeoutMs, true);
  out.keepaliveMs = readSecondsMs(config, "keepalive_seconds", out.keepaliveMs, false);
  out.startFailureBackoffMs = readSecondsMs(config, "start_failure_backoff_seconds",
                                            out.startFailureBackoffMs, true);
  return out;
}

}  // namespace llmp::plugins::gemini_acp
