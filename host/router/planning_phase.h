// Planning-phase overrides: the first turns of a session (or the turns until its first
// file-writing tool call) go to a configured planning model with its own parameters.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <llmp/host.h>
#include <nlohmann/json.hpp>

namespace llmp::host {

struct PlanningPhaseConfig {
  bool enabled = false;
  std::string model;              // selector, e.g. "gemini:gemini-2.5-pro"
  int maxTurns = 0;               // 0 = no turn limit (only the first write ends it)
  bool untilFirstWrite = true;
  std::set<std::string> writeTools;
  std::string params;             // "temperature=0.2&reasoning_effort=high"

  // Reads `session.planning_phase` from the config's session subtree. Throws ConfigError.
  static PlanningPhaseConfig fromJson(const nlohmann::json& session);
};

class PlanningPhase {
 public:
  PlanningPhase(PlanningPhaseConfig config, const llmp_host_api* hostApi);
  bool enabled() const { return config_.enabled; }
  // The selector to use instead of the client's when the request is in its planning phase.
  std::optional<std::string> overrideFor(std::string_view ir, std::string_view sessionId) const;

 private:
  PlanningPhaseConfig config_;
  const llmp_host_api* hostApi_;
};

// A stable id for a conversation: a hash of its first content (used when no session id came).
std::string conversationFingerprint(const nlohmann::json& ir);

}  // namespace llmp::host
