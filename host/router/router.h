// The host's router: resolves a model selector into hops (backend + model + parameters), applies
// aliases, parameters and gates, runs the backend, and on a retryable failure before any output
// waits or fails over (docs/routing.md).
#pragma once

#include <string>
#include <string_view>

#include <llmp/backend.h>
#include <llmp/host.h>

#include "config/config.h"
#include "router/backend_registry.h"
#include "router/model_selector.h"
#include "router/planning_phase.h"

namespace llmp::host {

class Router {
 public:
  // hostApi: the host's own service table (key-value state for cooldowns).
  Router(const Config& config, BackendRegistry& backends, const llmp_host_api* hostApi);

  llmp_status generate(const llmp_generate_request& request, const llmp_event_sink* sink,
                       const llmp_error_sink* err);
  llmp_status countTokens(const llmp_generate_request& request, const llmp_bytes_sink* out,
                          const llmp_error_sink* err);
  llmp_status listModels(const llmp_bytes_sink* out, const llmp_error_sink* err);

  const ModelSelectorParser& selectors() const { return selectors_; }

  // "hybrid:[backendA:reasoning-model,backendB:execution-model]" split into its two selectors.
  static bool parseHybrid(std::string_view selector, std::string* reasoning, std::string* execution);

 private:
  llmp_status generateRouted(const llmp_generate_request& request, const llmp_event_sink* sink,
                             const llmp_error_sink* err);
  llmp_status generateHybrid(const std::string& reasoning, const std::string& execution,
                             const llmp_generate_request& request, const llmp_event_sink* sink,
                             const llmp_error_sink* err);
  llmp_status runHop(BackendInstance& backend, const RouteHop& hop,
                     const llmp_generate_request& request, const llmp_event_sink* sink,
                     bool* emittedOutput, struct HopError* error);
  bool inCooldown(const std::string& backend, const std::string& model, int64_t* remainingMs) const;
  void startCooldown(const std::string& backend, const std::string& model, int64_t ms) const;
  // Sleeps up to ms, sending keep-alives to a streaming client; false if the client went away.
  bool waitWithKeepalives(int64_t ms, bool streaming, const llmp_event_sink* sink) const;
  const nlohmann::json* defaultsFor(const RouteHop& hop) const;
  llmp_status gateCheck(const BackendInstance& backend, const llmp_error_sink* err) const;

  const Config& config_;
  BackendRegistry& backends_;
  const llmp_host_api* hostApi_;
  ModelSelectorParser selectors_;
  PlanningPhase planning_;
};

}  // namespace llmp::host
