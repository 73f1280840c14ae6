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

#include <memory>

namespace llmp::plugins::gemini_api::testing {

// The host the plugin runs in during a test: this file's TestHost, or the real host services
// (llmp::host::HostServices, host_services_host.cpp) in the *_hostsvc_test build.
class HostUnderTest {
 public:
  virtual ~HostUnderTest() = default;
  virtual const llmp_host_api* api() const = 0;
  // Everything the plugin logged so far.
  virtual std::string allLogText() = 0;
  // Moves the wall clock the plugin sees forward; false when this host cannot.
  virtual bool advanceWallMs(int64_t ms) = 0;
  // Reads the host's key-value store the way the plugin does.
  llmp_status kvGet(const std::string& key, std::string* value) const;
};

// The host for this test binary (defined once per binary).
std::unique_ptr<HostUnderTest> makeHostUnderTest();

class TestHost : public HostUnderTest {
 public:
  TestHost();
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  const llmp_host_api* api() const override { return &api_; }

  std::vector<std::string> logLines() const;
  std::string allLogText() override;
  bool advanceWallMs(int64_t ms) override;
  size_t fetchCount() const;

  // Implementation hooks (called through the C table).
  void log(int32_t level, const std::string& message);
  llmp_status kvLookup(const std::string& key, std::string* value);
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
