// One `gemini` backend instance: the Gemini Developer API by API key. Thread-safe: the host calls
// one instance from many request threads at once.
#pragma once

#include <llmp/backend.h>

#include <cstdint>
#include <functional>
#include <llmp/cpp/google_errors.hpp>
#include <llmp/cpp/host.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "config.hpp"
#include "key_pool.hpp"

namespace llmp::plugins::gemini_api {

class GeminiBackend {
 public:
  GeminiBackend(Host host, GeminiConfig config);

  // Each throws llmp::Error on failure (caught at the ABI boundary).
  void generate(std::string_view model, std::string_view ir, bool stream,
                const llmp_event_sink* sink);
  std::string countTokens(std::string_view model, std::string_view ir);
  std::string listModels();
  std::string health() const;

  const GeminiConfig& config() const { return config_; }

 private:
  // One upstream attempt with one key: std::nullopt on success, the mapped error on a 429 or,
  // with several keys, on a rejected key (the caller then rotates to the next key); throws
  // llmp::Error for anything else.
  using Attempt = std::function<std::optional<MappedError>(size_t keyIndex)>;
  void withKeyRotation(const Attempt& attempt);

  std::optional<MappedError> generateOnce(size_t key, const std::string& url, std::string_view body,
                                          const llmp_event_sink* sink);
  std::optional<MappedError> streamOnce(size_t key, const std::string& url, std::string_view body,
                                        const llmp_event_sink* sink);
  // A buffered exchange (countTokens, models): the 2xx body in *out.
  std::optional<MappedError> fetchJson(size_t key, const std::string& method,
                                       const std::string& url, std::string_view body,
                                       std::string* out);

  HttpRequest makeRequest(const std::string& method, const std::string& url, size_t key,
                          std::string_view body) const;
  // baseUrl/apiVersion/path + suffix
  std::string apiUrl(std::string_view path, std::string_view suffix = {}) const;
  // The llmp::Error for a failed fetch (timeout, connect failure, early close).
  Error transportError(llmp_status status, const ErrorRecord& detail, bool headSeen,
                       bool streaming) const;
  // Maps an upstream HTTP error; returns it when it is a 429, throws otherwise.
  MappedError upstreamError(int32_t status, std::string_view body) const;
  void logExchange(const std::string& method, const std::string& url, size_t key,
                   int32_t status) const;
  std::string fetchAllModels();

  Host host_;
  GeminiConfig config_;
  KeyPool keys_;

  std::mutex modelsFetchMu_;  // one models fetch at a time
  mutable std::mutex modelsMu_;
  std::string modelsCache_;      // guarded by modelsMu_
  int64_t modelsExpiresAt_ = 0;  // monotonic ms; guarded by modelsMu_
};

}  // namespace llmp::plugins::gemini_api
