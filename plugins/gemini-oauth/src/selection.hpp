// Which account of the gemini-oauth-auto pool answers a request. The strategy orders the
// eligible accounts; the caller tries them in that order (rotation on 429 / 403).
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace llmp::plugins::gemini_oauth {

// A bounded LRU map session id -> account id whose entries expire after ttlMs.
class AffinityCache {
 public:
  AffinityCache(size_t maxEntries, int64_t ttlMs) : max_(maxEntries), ttlMs_(ttlMs) {}
  // The bound account, or "" when none or expired. Refreshes the entry's recency.
  std::string get(const std::string& session, int64_t nowMs);
  void put(const std::string& session, const std::string& account, int64_t nowMs);
  void forget(const std::string& session);
  size_t size() const;

 private:
  struct Entry {
    std::string session;
    std::string account;
    int64_t expiresMs;
  };
  size_t max_;
  int64_t ttlMs_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

class Selector {
 public:
  // counter(): a shared, increasing number (the host kv) for round-robin; random(n): [0, n).
  Selector(std::string strategy, size_t affinityMax, int64_t affinityTtlMs,
           std::function<int64_t()> counter, std::function<size_t(size_t)> random);

  // `eligible` in a stable order (by id). Returns the order to try them in.
  std::vector<std::string> order(const std::vector<std::string>& eligible,
                                 const std::string& session, int64_t nowMs);
  // The account that answered the session's request (session-affinity binds it).
  void answered(const std::string& session, const std::string& account, int64_t nowMs);
  const std::string& strategy() const { return strategy_; }
  size_t affinityEntries() const { return affinity_.size(); }

 private:
  std::vector<std::string> rotated(const std::vector<std::string>& v, size_t start) const;
  std::string strategy_;
  AffinityCache affinity_;
  std::function<int64_t()> counter_;
  std::function<size_t(size_t)> random_;
};

}  // namespace llmp::plugins::gemini_oauth
