#include "services/kv_store.h"

#include <charconv>
#include <limits>

#include "services/clock.h"

namespace llmp::host::services {
namespace {

// Lookup key reused per thread, so a get on a long key does not allocate every time (C++17
// unordered_map has no heterogeneous lookup).
std::string& scratchKey(std::string_view key) {
  thread_local std::string scratch;
  scratch.assign(key.data(), key.size());
  return scratch;
}

bool expired(int64_t expiresAtMs, int64_t now) { return expiresAtMs != 0 && expiresAtMs <= now; }

}  // namespace

KvStore::KvStore(Clock clock) : clock_(std::move(clock)) {}

int64_t KvStore::now() const { return clock_ ? clock_() : monotonicMs(); }

int64_t KvStore::expiryFor(int64_t now, int64_t ttlMs) {
  if (ttlMs <= 0) {
    return 0;
  }
  if (ttlMs > std::numeric_limits<int64_t>::max() - now) {
    return 0;  // so far away it never comes
  }
  int64_t at = now + ttlMs;
  return at == 0 ? 1 : at;
}

KvStore::Shard& KvStore::shardFor(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

void KvStore::maybeSweep(Shard& shard, int64_t now) {
  if (now < shard.nextSweepMs) {
    return;
  }
  shard.nextSweepMs = now + kSweepIntervalMs;
  for (auto it = shard.map.begin(); it != shard.map.end();) {
    if (expired(it->second.expiresAtMs, now)) {
      it = shard.map.erase(it);
    } else {
      ++it;
    }
  }
}

bool KvStore::get(std::string_view key, std::string* out) {
  Shard& shard = shardFor(key);
  int64_t t = now();
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.map.find(scratchKey(key));
  if (it == shard.map.end()) {
    return false;
  }
  if (expired(it->second.expiresAtMs, t)) {
    shard.map.erase(it);
    return false;
  }
  out->assign(it->second.value);
  return true;
}

void KvStore::set(std::string_view key, std::string_view value, int64_t ttlMs) {
  Shard& shard = shardFor(key);
  int64_t t = now();
  std::lock_guard<std::mutex> lock(shard.mutex);
  maybeSweep(shard, t);
  Entry& entry = shard.map[scratchKey(key)];
  entry.value.assign(value.data(), value.size());
  entry.expiresAtMs = expiryFor(t, ttlMs);
}

bool KvStore::erase(std::string_view key) {
  Shard& shard = shardFor(key);
  int64_t t = now();
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.map.find(scratchKey(key));
  if (it == shard.map.end()) {
    return false;
  }
  bool live = !expired(it->second.expiresAtMs, t);
  shard.map.erase(it);
  return live;
}

llmp_status KvStore::incr(std::string_view key, int64_t delta, int64_t ttlMs, int64_t* outValue) {
  Shard& shard = shardFor(key);
  int64_t t = now();
  std::lock_guard<std::mutex> lock(shard.mutex);
  maybeSweep(shard, t);
  auto [it, created] = shard.map.try_emplace(scratchKey(key));
  Entry& entry = it->second;
  int64_t current = 0;
  if (!created && expired(entry.expiresAtMs, t)) {
    created = true;  // an expired value counts as absent
  }
  if (!created) {
    const std::string& v = entry.value;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), current);
    if (ec != std::errc() || end != v.data() + v.size() || v.empty()) {
      return LLMP_E_INVALID;
    }
  }
  int64_t result = 0;
  if (__builtin_add_overflow(current, delta, &result)) {
    if (created) {
      shard.map.erase(it);
    }
    return LLMP_E_INVALID;
  }
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, result);
  (void)ec;
  entry.value.assign(buf, end);
  if (created) {
    entry.expiresAtMs = expiryFor(t, ttlMs);
  }
  if (outValue != nullptr) {
    *outValue = result;
  }
  return LLMP_OK;
}

size_t KvStore::size() {
  size_t n = 0;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    n += shard.map.size();
  }
  return n;
}

}  // namespace llmp::host::services
