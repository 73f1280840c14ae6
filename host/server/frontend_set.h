// The enabled front-end instances, in configuration order (ties in match() go to the first).
#pragma once

#include <string>
#include <vector>

#include <llmp/frontend.h>

namespace llmp::host {

struct FrontendInstance {
  std::string name;
  const llmp_frontend_factory* factory = nullptr;  // owned by the loader
  llmp_frontend* instance = nullptr;
  bool cooperative = false;  // LLMP_FRONTEND_COOPERATIVE: handle may run on a fiber
};

class FrontendSet {
 public:
  FrontendSet() = default;
  FrontendSet(const FrontendSet&) = delete;
  FrontendSet& operator=(const FrontendSet&) = delete;
  ~FrontendSet() { destroyAll(); }

  void add(FrontendInstance f) { items_.push_back(f); }
  const std::vector<FrontendInstance>& items() const { return items_; }
  // The front end that claims the request most strongly, or nullptr.
  const FrontendInstance* match(const llmp_incoming_request& request) const;
  void destroyAll();

 private:
  std::vector<FrontendInstance> items_;
};

}  // namespace llmp::host
