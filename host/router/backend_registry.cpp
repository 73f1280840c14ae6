#include "router/backend_registry.h"

namespace llmp::host {

void BackendRegistry::add(std::unique_ptr<BackendInstance> backend) {
  ordered_.push_back(backend.get());
  byName_[backend->name] = std::move(backend);
}

BackendInstance* BackendRegistry::find(const std::string& name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second.get();
}

std::string BackendRegistry::namesForMessage() const {
  std::string out;
  for (const auto* b : ordered_) {
    out += (out.empty() ? "" : ", ") + b->name;
  }
  return out.empty() ? "(none)" : out;
}

void BackendRegistry::destroyAll() {
  for (auto it = ordered_.rbegin(); it != ordered_.rend(); ++it) {
    BackendInstance* b = *it;
    if (b->instance != nullptr && b->factory != nullptr && b->factory->destroy != nullptr) {
      b->factory->destroy(b->instance);
    }
    b->instance = nullptr;
  }
  ordered_.clear();
  byName_.clear();
}

}  // namespace llmp::host
