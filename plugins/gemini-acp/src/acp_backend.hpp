// The gemini-cli-acp backend: maps IR requests onto ACP prompt turns of pooled Gemini CLI agent
// processes, one ACP session per client conversation.
#pragma once

#include <llmp/backend.h>
#include <llmp/cpp/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "config.hpp"
#include "executable.hpp"
#include "process_pool.hpp"

namespace llmp::plugins::gemini_acp {

class AcpBackend {
 public:
  AcpBackend(const llmp_host_api* host, std::string instanceName, BackendConfig config);
  ~AcpBackend();
  AcpBackend(const AcpBackend&) = delete;
  AcpBackend& operator=(const AcpBackend&) = delete;

  // Runs one request; throws llmp::Error (the ABI wrapper reports it).
  void generate(const llmp_generate_request& request, const llmp_event_sink* sink);
  // IR model objects: the models the CLI reported, else the configured / built-in list.
  Json listModels() const;
  // For /healthz: executable, processes, last start failure. No secrets.
  Json health() const;

  // The periodic reaper's work (public for tests): stops idle processes, forgets stale sessions.
  void reapIdle();

 private:
  struct Conversation {
    std::mutex turnMutex;
    uint64_t processSerial = 0;
    std::string sessionId;
    size_t contentCount = 0;   // contents of the last completed request
    std::string contentsDigest;  // digest of those contents
    int64_t lastUsedMs = 0;
  };
  struct TurnResult {
    std::string stopReason;
    Json usage;
  };

  std::shared_ptr<AgentProcess> launch(const ProcessKey& key);
  std::string resolvedExecutable();
  std::shared_ptr<Conversation> conversationFor(const std::string& key);
  TurnResult runTurn(AgentProcess& process, const std::string& sessionId, Json prompt,
                     bool streaming, const llmp_event_sink* sink);
  void cancelTurn(AgentProcess& process, const std::string& sessionId, TurnQueue& queue);
  Json adaptPrompt(Json prompt, const AgentCapabilities& capabilities) const;
  void rememberModels(const Json& models);
  void log(int32_t level, const std::string& message) const;
  int64_t nowMs() const;

  const llmp_host_api* host_;
  std::string name_;
  BackendConfig config_;
  std::unique_ptr<ProcessPool> pool_;
  llmp_timer* reaper_ = nullptr;

  mutable std::mutex mutex_;
  ResolvedExecutable executable_;
  std::string workingFlag_;        // the ACP flag the installed CLI accepted
  std::string lastStartFailure_;
  int64_t lastStartFailureMs_ = 0;
  Json reportedModels_;            // models.availableModels from the last session/new
  std::map<std::string, std::shared_ptr<Conversation>> conversations_;
};

}  // namespace llmp::plugins::gemini_acp
