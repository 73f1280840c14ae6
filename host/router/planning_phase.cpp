#include "router/planning_phase.h"

#include <llmp/cpp/host.hpp>

#include "config/config.h"
#include "log/log.h"

namespace llmp::host {

using nlohmann::json;

namespace {

const std::set<std::string>& defaultWriteTools() {
  // File-writing tools of the common coding agents (Gemini CLI, Claude Code, Codex, aider ...).
  static const std::set<std::string> kTools = {
      "write_file", "replace", "edit", "edit_file", "Edit", "Write", "MultiEdit", "apply_patch",
      "str_replace_editor", "str_replace_based_edit_tool", "create_file", "write_to_file",
      "insert_edit_into_file", "NotebookEdit"};
  return kTools;
}

std::string paramText(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

PlanningPhaseConfig PlanningPhaseConfig::fromJson(const json& session) {
  PlanningPhaseConfig c;
  if (!session.is_object() || !session.contains("planning_phase")) {
    return c;
  }
  const json& p = session["planning_phase"];
  if (!p.is_object()) {
    throw ConfigError("session.planning_phase must be a mapping");
  }
  if (!p.contains("model") || !p["model"].is_string() || p["model"].get<std::string>().empty()) {
    throw ConfigError("session.planning_phase needs a 'model' (e.g. gemini:gemini-2.5-pro)");
  }
  c.enabled = p.value("enabled", true);
  c.model = p["model"].get<std::string>();
  c.maxTurns = p.value("max_turns", 0);
  c.untilFirstWrite = p.value("until_first_write", true);
  if (c.maxTurns <= 0 && !c.untilFirstWrite) {
    throw ConfigError("session.planning_phase needs max_turns > 0 or until_first_write: true");
  }
  if (p.contains("write_tools")) {
    for (const auto& t : p["write_tools"]) {
      c.writeTools.insert(paramText(t));
    }
  } else {
    c.writeTools = defaultWriteTools();
  }
  for (const char* key : {"temperature", "top_p", "top_k", "reasoning_effort", "thinking_budget",
                          "max_tokens", "include_thoughts"}) {
    if (p.contains(key)) {
      c.params += (c.params.empty() ? "" : "&") + std::string(key) + "=" + paramText(p[key]);
    }
  }
  return c;
}

std::string conversationFingerprint(const json& ir) {
  // FNV-1a over the first content: stable across the turns of one conversation.
  std::string first = ir.contains("contents") && ir["contents"].is_array() && !ir["contents"].empty()
                          ? ir["contents"][0].dump()
                          : std::string();
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : first) {
    h = (h ^ c) * 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "fp-%016llx", static_cast<unsigned long long>(h));
  return buf;
}

PlanningPhase::PlanningPhase(PlanningPhaseConfig config, const llmp_host_api* hostApi)
    : config_(std::move(config)), hostApi_(hostApi) {}

std::optional<std::string> PlanningPhase::overrideFor(std::string_view irText,
                                                      std::string_view sessionId) const {
  if (!config_.enabled) {
    return std::nullopt;
  }
  json ir = json::parse(irText.begin(), irText.end(), nullptr, false);
  if (!ir.is_object() || !ir.contains("contents") || !ir["contents"].is_array()) {
    return std::nullopt;
  }
  std::string session = sessionId.empty() ? conversationFingerprint(ir) : std::string(sessionId);
  Host host(hostApi_);
  const std::string doneKey = "router:planning-done:" + session;
  if (host.kvGet(doneKey)) {
    return std::nullopt;
  }
  int userTurns = 0;
  bool wrote = false;
  for (const auto& content : ir["contents"]) {
    if (!content.is_object() || !content.contains("parts") || !content["parts"].is_array()) {
      continue;
    }
    bool userText = false;
    for (const auto& part : content["parts"]) {
      if (content.value("role", "user") == "user" && part.contains("text")) {
        userText = true;
      }
      if (part.contains("functionCall") && part["functionCall"].is_object() &&
          config_.writeTools.count(part["functionCall"].value("name", ""))) {
        wrote = true;
      }
    }
    userTurns += userText ? 1 : 0;
  }
  if ((config_.untilFirstWrite && wrote) || (config_.maxTurns > 0 && userTurns > config_.maxTurns)) {
    // Remember, so a client that trims its history does not fall back into planning.
    host.kvSet(doneKey, "1", 7 * 24 * 3600 * 1000LL);
    return std::nullopt;
  }
  log::debug("router", "session " + session + " is in its planning phase (turn " +
                           std::to_string(userTurns) + ")");
  std::string selector = config_.model;
  if (!config_.params.empty()) {
    selector += (selector.find('?') == std::string::npos ? "?" : "&") + config_.params;
  }
  return selector;
}

}  // namespace llmp::host
