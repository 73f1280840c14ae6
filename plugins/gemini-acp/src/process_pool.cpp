#include "process_pool.hpp"

#include <llmp/cpp/errors.hpp>

#include <utility>

namespace llmp::plugins::gemini_acp {

ProcessPool::Lease::Lease(std::shared_ptr<AgentProcess> process, Clock clock)
    : process_(std::move(process)), clock_(std::move(clock)) {}

ProcessPool::Lease& ProcessPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    process_ = std::move(other.process_);
    clock_ = std::move(other.clock_);
  }
  return *this;
}

ProcessPool::Lease::~Lease() { release(); }

void ProcessPool::Lease::release() {
  if (process_) {
    process_->lastUsedMs = clock_ ? clock_() : 0;
    process_->activeTurns.fetch_sub(1);
    process_.reset();
  }
}

ProcessPool::ProcessPool(size_t maxProcesses, Launcher launcher, Clock clock)
    : maxProcesses_(maxProcesses == 0 ? 1 : maxProcesses),
      launcher_(std::move(launcher)),
      clock_(std::move(clock)) {}

ProcessPool::~ProcessPool() { clear(); }

ProcessPool::Lease ProcessPool::leaseLocked(const std::shared_ptr<AgentProcess>& process) {
  process->activeTurns.fetch_add(1);
  process->lastUsedMs = clock_();
  return Lease(process, clock_);
}

ProcessPool::Lease ProcessPool::acquire(const ProcessKey& key) {
  const std::string id = key.str();
  std::shared_ptr<Slot> slot;
  std::vector<std::shared_ptr<AgentProcess>> stopped;  // released outside the lock
  {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      auto& entry = slots_[id];
      if (!entry) {
        entry = std::make_shared<Slot>();
      }
      slot = entry;
      if (slot->process && slot->process->alive()) {
        return leaseLocked(slot->process);
      }
      if (!slot->starting) {
        break;
      }
      startCv_.wait(lock);  // another request is starting this key's process
    }
    // Make room: count other live or starting processes, evict idle ones (dead first, then LRU).
    for (;;) {
      size_t live = 0;
      std::string victim;
      int64_t victimUsed = INT64_MAX;
      bool victimDead = false;
      for (const auto& entry : slots_) {
        if (entry.first == id) {
          continue;
        }
        const Slot& other = *entry.second;
        bool isLive = other.starting || (other.process && other.process->alive());
        if (isLive) {
          ++live;
        }
        if (other.starting || !other.process || other.process->activeTurns.load() > 0) {
          continue;
        }
        bool dead = !other.process->alive();
        int64_t used = other.process->lastUsedMs.load();
        if ((dead && !victimDead) || (dead == victimDead && used < victimUsed)) {
          victim = entry.first;
          victimUsed = used;
          victimDead = dead;
        }
      }
      if (live < maxProcesses_) {
        break;
      }
      if (victim.empty()) {
        throw Error(LLMP_E_UNAVAILABLE, 503,
                    "all " + std::to_string(maxProcesses_) +
                        " Gemini CLI agent processes are busy (max_processes); try again later");
      }
      stopped.push_back(std::move(slots_[victim]->process));
      slots_.erase(victim);
    }
    slot->starting = true;
    if (slot->process) {
      stopped.push_back(std::move(slot->process));  // the dead one being replaced
    }
  }
  stopped.clear();

  std::shared_ptr<AgentProcess> process;
  try {
    process = launcher_(key);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    slot->starting = false;
    auto it = slots_.find(id);
    if (it != slots_.end() && it->second == slot && !slot->process) {
      slots_.erase(it);
    }
    startCv_.notify_all();
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  slot->process = process;
  slot->starting = false;
  // The slot may have been dropped by clear() meanwhile; keep the process reachable anyway.
  slots_[id] = slot;
  startCv_.notify_all();
  return leaseLocked(process);
}

size_t ProcessPool::reap(int64_t idleMs) {
  std::vector<std::shared_ptr<AgentProcess>> stopped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t now = clock_();
    for (auto it = slots_.begin(); it != slots_.end();) {
      Slot& slot = *it->second;
      bool idle = slot.process && !slot.starting && slot.process->activeTurns.load() == 0;
      if (idle && (!slot.process->alive() || now - slot.process->lastUsedMs.load() >= idleMs)) {
        stopped.push_back(std::move(slot.process));
        it = slots_.erase(it);
      } else {
        ++it;
      }
    }
  }
  size_t count = 0;
  for (const auto& process : stopped) {
    if (process->alive()) {
      ++count;
    }
  }
  return count;  // destructors release the children here, outside the lock
}

void ProcessPool::clear() {
  std::map<std::string, std::shared_ptr<Slot>> slots;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slots.swap(slots_);
  }
}

size_t ProcessPool::liveCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t live = 0;
  for (const auto& entry : slots_) {
    if (entry.second->process && entry.second->process->alive()) {
      ++live;
    }
  }
  return live;
}

}  // namespace llmp::plugins::gemini_acp
