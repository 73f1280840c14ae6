// One running Gemini CLI in ACP mode: the child process (through the host's process service),
// its JSON-RPC peer, the handshake, and the routing of session updates to the turn that waits
// for them. Several ACP sessions (conversations) share one process.
#pragma once

#include <llmp/host.h>
#include <llmp/cpp/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config.hpp"
#include "json_rpc_peer.hpp"

namespace llmp::plugins::gemini_acp {

using LogFn = std::function<void(int32_t level, const std::string& message)>;

// What the agent reports during one prompt turn, queued for the thread that serves the turn
// (so a slow client never stalls the reader of a process other sessions share).
class TurnQueue {
 public:
  struct Event {
    enum class Kind { Update, Progress, Done };
    Kind kind = Kind::Update;
    Json update;          // Update: params.update of session/update
    std::string text;     // Progress: a line for the client
    RpcOutcome outcome;   // Done: the session/prompt answer
  };

  void push(Event event);
  // Waits until `deadline` for an event; false on timeout.
  bool pop(Event* out, std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

struct AgentCapabilities {
  bool image = false;
  bool audio = false;
  bool embeddedContext = false;
};

class AgentProcess {
 public:
  struct Options {
    const llmp_host_api* host = nullptr;
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;
    std::string cwd;
    PermissionPolicy policy = PermissionPolicy::ReadOnly;
    LogFn log;
  };

  // Spawns the child. Throws llmp::Error(LLMP_E_UNAVAILABLE) when it cannot be started.
  static std::shared_ptr<AgentProcess> spawn(Options options);
  ~AgentProcess();  // releases the child (kills it if still running); no callback after this

  // initialize (+ authenticate when authMethod is set). Throws llmp::Error on failure; the
  // message names the command and carries the tail of the child's stderr.
  void initialize(std::chrono::milliseconds timeout, const std::string& authMethod);
  // session/new in `cwd`; returns the session id. *models receives result.models (or null).
  std::string newSession(const std::string& cwd, std::chrono::milliseconds timeout, Json* models);

  // Routes session/update and permission notes for `sessionId` to `queue` until detached.
  void attachTurn(const std::string& sessionId, std::shared_ptr<TurnQueue> queue);
  void detachTurn(const std::string& sessionId);

  JsonRpcPeer& peer() { return peer_; }
  const AgentCapabilities& capabilities() const { return capabilities_; }
  bool alive() const { return alive_.load(); }
  // SIGTERM; the exit callback then fails every pending call.
  void terminate();
  // "Gemini CLI (<cmd>) exited with code N: <stderr tail>" once exited, else "".
  std::string exitDescription() const;
  // Waits up to `timeout` for the exit to be reported, then returns exitDescription() (or
  // `fallback` when the child still runs). A failed write often precedes the exit report.
  std::string waitForExitDescription(std::chrono::milliseconds timeout, const std::string& fallback);
  uint64_t serial() const { return serial_; }
  const std::string& commandLine() const { return commandLine_; }

  // Pool bookkeeping.
  std::atomic<int> activeTurns{0};
  std::atomic<int64_t> lastUsedMs{0};

 private:
  explicit AgentProcess(Options options);
  static void LLMP_ABI onStdout(void* ctx, llmp_bytes data);
  static void LLMP_ABI onStderr(void* ctx, llmp_bytes data);
  static void LLMP_ABI onExit(void* ctx, int32_t exitCode, int32_t signal);

  RpcReply handleRequest(const std::string& method, const Json& params);
  void handleNotification(const std::string& method, const Json& params);
  std::shared_ptr<TurnQueue> turnFor(const Json& params);
  std::string stderrTail() const;
  void log(int32_t level, const std::string& message) const;

  Options options_;
  std::string commandLine_;
  uint64_t serial_;
  std::atomic<llmp_process*> process_{nullptr};
  JsonRpcPeer peer_;
  AgentCapabilities capabilities_;
  std::atomic<bool> alive_{true};

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<TurnQueue>> turns_;
  std::string stderr_;  // last few KB
  std::string exitDescription_;
  std::condition_variable exitCv_;
};

}  // namespace llmp::plugins::gemini_acp
