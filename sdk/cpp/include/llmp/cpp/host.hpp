// A C++ view of the llmp_host_api table for plugin code: typed calls, std::string results,
// std::function callbacks. It holds only the table pointer; copy it freely.
#pragma once

#include <llmp/host.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bytes.hpp"
#include "errors.hpp"

namespace llmp {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When not empty, sent instead of body without a copy (large prompts are sent as they came);
  // the bytes must stay valid until fetch() returns.
  std::string_view bodyView;
  uint32_t connectTimeoutMs = 0;
  uint32_t firstByteTimeoutMs = 0;
  uint32_t idleTimeoutMs = 0;
  uint32_t totalTimeoutMs = 0;
  uint32_t flags = 0;
};

struct HttpResponse {
  int32_t status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;
};

class Host {
 public:
  Host() = default;
  explicit Host(const llmp_host_api* api) : api_(api) {}
  const llmp_host_api* api() const { return api_; }
  explicit operator bool() const { return api_ != nullptr; }

  void log(int32_t level, std::string_view message) const;
  bool logEnabled(int32_t level) const;
  int64_t monotonicMs() const;
  int64_t wallMs() const;

  // Streams a response: onHead once, then onBody per piece. Return false from a callback to
  // cancel. Returns the transport status; err receives details.
  using OnHead = std::function<bool(int32_t status, const llmp_header* headers, size_t count)>;
  using OnBody = std::function<bool(std::string_view chunk)>;
  llmp_status fetch(const HttpRequest& request, const OnHead& onHead, const OnBody& onBody,
                    ErrorRecord* err = nullptr) const;
  // Buffers the whole response.
  llmp_status fetch(const HttpRequest& request, HttpResponse* response,
                    ErrorRecord* err = nullptr) const;

  std::optional<std::string> kvGet(std::string_view key) const;
  llmp_status kvSet(std::string_view key, std::string_view value, int64_t ttlMs = 0) const;
  llmp_status kvDelete(std::string_view key) const;
  int64_t kvIncr(std::string_view key, int64_t delta, int64_t ttlMs = 0) const;

 private:
  const llmp_host_api* api_ = nullptr;
};

}  // namespace llmp
