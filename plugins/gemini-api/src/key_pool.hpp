// The API keys of one backend instance: round-robin selection and rest periods after a 429.
// Rest state lives in the host's key-value store (so it is shared with other proxy instances
// when the host shares its store) under "gemini-api:<instance>:rest:<fingerprint>"; the key
// itself is never stored, logged or shown, only its fingerprint.
#pragma once

#include <atomic>
#include <cstdint>
#include <llmp/cpp/host.hpp>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace llmp::plugins::gemini_api {

// A short, stable, non-reversible name for a key (hex of a 64-bit FNV-1a hash).
std::string keyFingerprint(const std::string& key);

class KeyPool {
 public:
  KeyPool(Host host, std::string instance, std::vector<std::string> keys);

  size_t size() const { return keys_.size(); }
  const std::string& key(size_t i) const { return keys_[i]; }
  const std::string& fingerprint(size_t i) const { return fingerprints_[i]; }
  const std::vector<std::string>& secrets() const { return keys_; }

  // The index to start this request's search at (round-robin over requests).
  size_t nextStart() { return next_.fetch_add(1, std::memory_order_relaxed) % keys_.size(); }

  // Milliseconds key i still rests (0 when it may serve).
  int64_t restRemainingMs(size_t i) const;
  // Puts key i to rest for ms milliseconds.
  void rest(size_t i, int64_t ms);
  // The shortest remaining rest over all keys (0 when one may serve).
  int64_t shortestRestMs() const;
  // How many keys rest right now.
  size_t restingCount() const;

 private:
  bool hostKv() const;
  int64_t nowMs() const;
  std::string kvKey(size_t i) const;

  Host host_;
  std::string instance_;
  std::vector<std::string> keys_;
  std::vector<std::string> fingerprints_;
  std::atomic<size_t> next_{0};
  // Fallback when the host offers no key-value store.
  mutable std::mutex localMu_;
  std::map<size_t, int64_t> localRestUntil_;  // guarded by localMu_
};

}  // namespace llmp::plugins::gemini_api
