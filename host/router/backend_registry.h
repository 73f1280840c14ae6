// The configured backend instances, by name.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <llmp/backend.h>
#include <nlohmann/json.hpp>

namespace llmp::host {

struct BackendInstance {
  std::string name;
  std::string type;
  std::string pluginPath;
  const llmp_backend_factory* factory = nullptr;  // owned by the loader, outlives the instance
  llmp_backend* instance = nullptr;
  bool gated = false;   // a debug-gated type
  bool enabled = true;  // false when gated and its override flag was not given
  bool cooperative = false;  // LLMP_BACKEND_COOPERATIVE: generate may run on a fiber
  nlohmann::json settings;
  std::string rateLimitFallbackModel;  // empty = no fallback on 429
  std::atomic<int64_t> inFlight{0};
};

class BackendRegistry {
 public:
  BackendRegistry() = default;
  BackendRegistry(const BackendRegistry&) = delete;
  BackendRegistry& operator=(const BackendRegistry&) = delete;
  ~BackendRegistry() { destroyAll(); }

  void add(std::unique_ptr<BackendInstance> backend);
  BackendInstance* find(const std::string& name) const;
  const std::vector<BackendInstance*>& ordered() const { return ordered_; }
  std::string namesForMessage() const;  // "gemini, mock"
  // Destroys every instance (after in-flight calls finished; the caller waits for that).
  void destroyAll();

 private:
  std::map<std::string, std::unique_ptr<BackendInstance>> byName_;
  std::vector<BackendInstance*> ordered_;
};

}  // namespace llmp::host
