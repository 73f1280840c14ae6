#include "key_pool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace llmp::plugins::gemini_api {

std::string keyFingerprint(const std::string& key) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : key) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

KeyPool::KeyPool(Host host, std::string instance, std::vector<std::string> keys)
    : host_(host), instance_(std::move(instance)), keys_(std::move(keys)) {
  for (const auto& k : keys_) {
    fingerprints_.push_back(keyFingerprint(k));
  }
}

bool KeyPool::hostKv() const {
  const llmp_host_api* api = host_.api();
  return api != nullptr && LLMP_HOST_HAS(api, kv_get) && LLMP_HOST_HAS(api, kv_set);
}

int64_t KeyPool::nowMs() const {
  const llmp_host_api* api = host_.api();
  if (api != nullptr && LLMP_HOST_HAS(api, wall_ms)) {
    return host_.wallMs();
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string KeyPool::kvKey(size_t i) const {
  return "gemini-api:" + instance_ + ":rest:" + fingerprints_[i];
}

int64_t KeyPool::restRemainingMs(size_t i) const {
  int64_t until = 0;
  if (hostKv()) {
    auto value = host_.kvGet(kvKey(i));
    if (!value) {
      return 0;
    }
    until = std::strtoll(value->c_str(), nullptr, 10);
  } else {
    std::lock_guard<std::mutex> lock(localMu_);
    auto it = localRestUntil_.find(i);
    if (it == localRestUntil_.end()) {
      return 0;
    }
    until = it->second;
  }
  return std::max<int64_t>(0, until - nowMs());
}

void KeyPool::rest(size_t i, int64_t ms) {
  ms = std::max<int64_t>(ms, 1);
  int64_t until = nowMs() + ms;
  if (hostKv()) {
    host_.kvSet(kvKey(i), std::to_string(until), ms);
  } else {
    std::lock_guard<std::mutex> lock(localMu_);
    localRestUntil_[i] = until;
  }
}

int64_t KeyPool::shortestRestMs() const {
  int64_t shortest = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < keys_.size(); ++i) {
    shortest = std::min(shortest, restRemainingMs(i));
  }
  return shortest;
}

size_t KeyPool::restingCount() const {
  size_t n = 0;
  for (size_t i = 0; i < keys_.size(); ++i) {
    n += restRemainingMs(i) > 0 ? 1 : 0;
  }
  return n;
}

}  // namespace llmp::plugins::gemini_api
