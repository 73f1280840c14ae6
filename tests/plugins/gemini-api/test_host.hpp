// A small but real llmp_host_api for the gemini-api plugin tests: an HTTP client on Poco that
// honours the connect / first-byte / idle timeouts and streams the body as it arrives, an
// in-memory key-value store with TTL, clocks, and a log that the tests can read back.
// (The host's own services replace this once tests run against llmp_host_core.)
#pragma once

#include <llmp/host.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace llmp::plugins::gemini_api::testing {

class TestHost {
 public:
  TestHost();
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  const llmp_host_api* api() const { return &api_; }

  std::vector<std::string> logLines() const;
  std::string allLogText() const;
  // Advances the wall clock seen by the plugin (rest periods), in milliseconds.
  void advanceWallMs(int64_t ms);
  size_t fetchCount() const;

  // Implementation hooks (called through the C table).
  void log(int32_t level, const std::string& message);
  llmp_status kvGet(const std::string& key, std::string* value);
  void kvSet(const std::string& key, const std::string& value, int64_t ttlMs);
  void kvDelete(const std::string& key);
  int64_t wallMs() const;
  llmp_status fetch(const llmp_http_request* request, const llmp_http_response_sink* sink,
                    const llmp_error_sink* err);

 private:
  struct Entry {
    std::string value;
    int64_t expiresAt = 0;  // wall ms; 0 = never
  };

  llmp_host_api api_{};
  mutable std::mutex mu_;
  std::vector<std::string> logs_;
  std::map<std::string, Entry> kv_;
  int64_t wallOffsetMs_ = 0;
  size_t fetches_ = 0;
};

}  // namespace llmp::plugins::gemini_api::testing
