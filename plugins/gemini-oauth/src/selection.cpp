#include "selection.hpp"

#include <algorithm>

namespace llmp::plugins::gemini_oauth {

std::string AffinityCache::get(const std::string& session, int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(session);
  if (it == index_.end()) {
    return {};
  }
  if (it->second->expiresMs <= nowMs) {
    lru_.erase(it->second);
    index_.erase(it);
    return {};
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->account;
}

void AffinityCache::put(const std::string& session, const std::string& account, int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(session);
  if (it != index_.end()) {
    it->second->account = account;
    it->second->expiresMs = nowMs + ttlMs_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front({session, account, nowMs + ttlMs_});
  index_[session] = lru_.begin();
  while (lru_.size() > max_) {
    index_.erase(lru_.back().session);
    lru_.pop_back();
  }
}

void AffinityCache::forget(const std::string& session) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(session);
  if (it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
}

size_t AffinityCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lru_.size();
}

Selector::Selector(std::string strategy, size_t affinityMax, int64_t affinityTtlMs,
                   std::function<int64_t()> counter, std::function<size_t(size_t)> random)
    : strategy_(std::move(strategy)),
      affinity_(affinityMax, affinityTtlMs),
      counter_(std::move(counter)),
      random_(std::move(random)) {}

std::vector<std::string> Selector::rotated(const std::vector<std::string>& v, size_t start) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    out.push_back(v[(start + i) % v.size()]);
  }
  return out;
}

std::vector<std::string> Selector::order(const std::vector<std::string>& eligible,
                                         const std::string& session, int64_t nowMs) {
  if (eligible.empty() || strategy_ == "first-available") {
    return eligible;
  }
  if (strategy_ == "random") {
    return rotated(eligible, random_(eligible.size()));
  }
  if (strategy_ == "session-affinity" && !session.empty()) {
    std::string bound = affinity_.get(session, nowMs);
    auto it = std::find(eligible.begin(), eligible.end(), bound);
    if (it != eligible.end()) {
      return rotated(eligible, static_cast<size_t>(it - eligible.begin()));
    }
  }
  // round-robin, and new sessions under session-affinity: spread over the accounts.
  int64_t n = counter_();
  size_t start = static_cast<size_t>(n < 0 ? 0 : n) % eligible.size();
  return rotated(eligible, start);
}

void Selector::answered(const std::string& session, const std::string& account, int64_t nowMs) {
  if (strategy_ == "session-affinity" && !session.empty()) {
    affinity_.put(session, account, nowMs);
  }
}

}  // namespace llmp::plugins::gemini_oauth
