// Agent processes pooled per (workspace, model): at most max_processes alive, idle ones reaped,
// dead ones replaced on the next request. Callers hold a Lease while they use a process so it is
// neither evicted nor reaped under them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent_process.hpp"

namespace llmp::plugins::gemini_acp {

struct ProcessKey {
  std::string workspace;
  std::string model;
  std::string str() const { return workspace + '\n' + model; }
};

class ProcessPool {
 public:
  // Starts and initializes a process for a key; throws llmp::Error on failure.
  using Launcher = std::function<std::shared_ptr<AgentProcess>(const ProcessKey& key)>;
  using Clock = std::function<int64_t()>;  // monotonic milliseconds

  class Lease {
   public:
    Lease() = default;
    Lease(std::shared_ptr<AgentProcess> process, Clock clock);
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    AgentProcess* operator->() const { return process_.get(); }
    const std::shared_ptr<AgentProcess>& process() const { return process_; }

   private:
    void release();
    std::shared_ptr<AgentProcess> process_;
    Clock clock_;
  };

  ProcessPool(size_t maxProcesses, Launcher launcher, Clock clock);
  ~ProcessPool();

  // A live process for `key`, started when there is none (or it died). When the pool is full,
  // the least recently used idle process of another key is stopped; when every process is busy
  // throws llmp::Error(LLMP_E_UNAVAILABLE, 503).
  Lease acquire(const ProcessKey& key);
  // Stops processes idle for at least idleMs and forgets dead ones. Returns how many it stopped.
  size_t reap(int64_t idleMs);
  // Stops everything (backend shutdown).
  void clear();
  size_t liveCount() const;

 private:
  struct Slot {
    std::shared_ptr<AgentProcess> process;
    bool starting = false;
  };

  Lease leaseLocked(const std::shared_ptr<AgentProcess>& process);

  size_t maxProcesses_;
  Launcher launcher_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::condition_variable startCv_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
};

}  // namespace llmp::plugins::gemini_acp
