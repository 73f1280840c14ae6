#include "server/frontend_set.h"

namespace llmp::host {

const FrontendInstance* FrontendSet::match(const llmp_incoming_request& request) const {
  const FrontendInstance* best = nullptr;
  int32_t bestScore = LLMP_MATCH_NONE;
  for (const auto& f : items_) {
    int32_t score = f.factory->match != nullptr ? f.factory->match(f.instance, &request) : 0;
    if (score > bestScore) {
      bestScore = score;
      best = &f;
    }
  }
  return best;
}

void FrontendSet::destroyAll() {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->instance != nullptr && it->factory->destroy != nullptr) {
      it->factory->destroy(it->instance);
    }
  }
  items_.clear();
}

}  // namespace llmp::host
