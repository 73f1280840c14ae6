// Client authentication with proxy keys. A key is accepted from `Authorization: Bearer`,
// `x-api-key`, `x-goog-api-key` or the `key` query parameter, compared in constant time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <llmp/types.h>

namespace llmp::host {

class ProxyAuth {
 public:
  explicit ProxyAuth(std::vector<std::string> keys) : keys_(std::move(keys)) {}
  bool enabled() const { return !keys_.empty(); }
  // True when no keys are configured or the request carries one of them.
  bool allows(const llmp_header* headers, size_t count, std::string_view query) const;

  // Extracts the key a client presented, if any (exposed for tests).
  static std::string presentedKey(const llmp_header* headers, size_t count, std::string_view query);

 private:
  std::vector<std::string> keys_;
};

// Constant-time comparison: the time taken does not depend on where the strings differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace llmp::host
