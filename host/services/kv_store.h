// In-memory key-value store behind kv_get/kv_set/kv_delete/kv_incr: sharded maps, each behind its
// own mutex, with per-key time-to-live. Expired keys vanish lazily on access and through a sweep
// of a shard that runs at most once per sweep interval when that shard is written.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <llmp/types.h>

namespace llmp::host::services {

class KvStore {
 public:
  using Clock = std::function<int64_t()>;  // monotonic milliseconds
  // `clock` is injectable so tests can move time; default is the monotonic clock.
  explicit KvStore(Clock clock = {});

  // Copies the value into *out; false when absent or expired.
  bool get(std::string_view key, std::string* out);
  // ttlMs <= 0: no expiry.
  void set(std::string_view key, std::string_view value, int64_t ttlMs);
  // True when a live key was removed.
  bool erase(std::string_view key);
  // Adds delta to the integer stored at key (absent counts as 0; ttl applies when created).
  // LLMP_E_INVALID when the stored value is not an integer or the sum overflows.
  llmp_status incr(std::string_view key, int64_t delta, int64_t ttlMs, int64_t* outValue);
  // Number of live and not yet swept entries (tests, diagnostics).
  size_t size();

 private:
  static constexpr size_t kShards = 32;
  static constexpr int64_t kSweepIntervalMs = 5000;

  struct Entry {
    std::string value;
    int64_t expiresAtMs = 0;  // 0 = never
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> map;
    int64_t nextSweepMs = 0;
  };

  Shard& shardFor(std::string_view key);
  int64_t now() const;
  static int64_t expiryFor(int64_t now, int64_t ttlMs);
  // Caller holds shard.mutex.
  void maybeSweep(Shard& shard, int64_t now);

  Clock clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace llmp::host::services
