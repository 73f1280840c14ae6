// What the translators need from the host, behind an interface so tests can fake it: the
// key-value store (thought signatures by tool-call id), log lines, ids and the clock.
#pragma once

#include <llmp/cpp/host.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmp::plugins::frontend_openai {

// Key of a tool call's thoughtSignature in the host kv store.
std::string signatureKey(std::string_view toolCallId);
// Signatures live a day: long enough for a conversation, short enough not to pile up.
constexpr int64_t kSignatureTtlMs = 24LL * 3600 * 1000;

class Services {
 public:
  virtual ~Services() = default;
  virtual std::optional<std::string> kvGet(std::string_view key) = 0;
  virtual void kvSet(std::string_view key, std::string_view value, int64_t ttlMs) = 0;
  virtual void log(int32_t level, std::string_view message) = 0;
  // Unix seconds for `created`.
  virtual int64_t nowSeconds() = 0;
  // `bytes` random bytes as lower-case hex.
  virtual std::string randomHex(size_t bytes) = 0;
};

// The real thing: the host's services where offered, harmless no-ops where not.
class HostServices : public Services {
 public:
  explicit HostServices(const llmp_host_api* api) : host_(api), api_(api) {}
  std::optional<std::string> kvGet(std::string_view key) override;
  void kvSet(std::string_view key, std::string_view value, int64_t ttlMs) override;
  void log(int32_t level, std::string_view message) override;
  int64_t nowSeconds() override;
  std::string randomHex(size_t bytes) override;

 private:
  Host host_;
  const llmp_host_api* api_;
};

}  // namespace llmp::plugins::frontend_openai
