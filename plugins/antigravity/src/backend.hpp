// One `antigravity-oauth` backend instance: Gemini and Claude models through the endpoints the
// Antigravity app uses (the Code Assist host family, v1internal), authenticated with the app's
// own token (its state database) or an account from the project's OAuth flow. Thread-safe: the
// host calls one instance from many request threads at once.
#pragma once

#include <llmp/backend.h>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_oauth.hpp>
#include <llmp/cpp/host.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "credentials.hpp"
#include "models.hpp"

namespace llmp::plugins::antigravity {

class AntigravityBackend {
 public:
  // No network call and no database read happen here.
  AntigravityBackend(Host host, AntigravityConfig config);

  // Runs one generation; emits IR chunks through sink. Throws llmp::Error on failure.
  // Returns LLMP_E_CANCELLED (without throwing) when the client went away.
  llmp_status generate(const llmp_generate_request& request, const llmp_event_sink* sink);
  std::string countTokens(const llmp_generate_request& request);
  // JSON array of Gemini Model objects: fetchAvailableModels, else the static list.
  std::string listModels();
  std::string health() const;

  const AntigravityConfig& config() const { return config_; }

 private:
  // What one POST over the host family produced.
  struct Reply {
    int32_t status = 0;
    std::string body;  // the whole body (error bodies, unary answers)
    std::string host;
  };
  using ChunkFn = std::function<bool(std::string_view data)>;  // SSE event data; false = stop

  // POSTs `method` (e.g. "generateContent", "streamGenerateContent?alt=sse") to each host in
  // turn until one answers something other than 429 or a transport error; one retry with a
  // fresh token on 401. With onEvent, a 200 answer is parsed as SSE and not buffered.
  Reply post(const std::string& method, const std::string& body, const ChunkFn& onEvent,
             int* emitted, bool* cancelled);
  std::string ensureProject();
  std::vector<std::string> knownModels() const;
  [[noreturn]] void throwUpstream(int32_t status, const std::string& body,
                                  const std::string& host) const;
  std::vector<std::string> secrets() const;
  void log(int32_t level, const std::string& message) const;
  std::optional<std::string> recallThinking(const std::string& signature) const;
  void rememberThinking(const std::string& signature, const std::string& text) const;

  Host host_;
  AntigravityConfig config_;
  std::shared_ptr<StoreTokenSource> source_;
  std::unique_ptr<google::TokenCache> tokens_;

  std::mutex setupMutex_;  // one project discovery at a time
  mutable std::mutex mutex_;
  std::string project_;
  std::vector<ModelInfo> fetchedModels_;
  int64_t modelsFetchedAtMs_ = -1;
  std::string lastHost_;
};

}  // namespace llmp::plugins::antigravity
