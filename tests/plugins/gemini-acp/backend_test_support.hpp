// Drives the gemini-cli-acp backend through its ABI factory with the host's real services.
#pragma once

#include <llmp/llmp.h>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/host_services.h"

namespace llmp::plugins::gemini_acp::testing {

// A fresh temporary directory, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct Event {
  uint32_t kind;
  Json data;  // null for keepalives
};

struct GenerateResult {
  llmp_status status = LLMP_OK;
  ErrorRecord error;
  std::vector<Event> events;
  // Concatenated non-thought text of every chunk.
  std::string text() const;
  std::string thoughts() const;
  std::vector<std::string> progress() const;
  size_t chunkCount() const;
  Json lastChunk() const;
};

struct GenerateOptions {
  std::string model = "fake-pro";
  std::string sessionId;
  bool stream = false;
  Json metadata = Json::object();
  // Called per emitted event; return LLMP_E_CANCELLED to play a client that went away.
  std::function<llmp_status(const Event&)> onEvent;
};

class BackendHarness {
 public:
  explicit BackendHarness(Json config);
  ~BackendHarness();
  llmp_backend* backend() const { return backend_; }
  llmp_status createStatus() const { return createStatus_; }
  const ErrorRecord& createError() const { return createError_; }

  GenerateResult generate(const std::vector<Json>& contents, const GenerateOptions& options = {});
  Json listModels();
  Json health();

 private:
  std::unique_ptr<llmp::host::HostServices> services_;
  const llmp_backend_factory* factory_ = nullptr;
  llmp_backend* backend_ = nullptr;
  llmp_status createStatus_ = LLMP_OK;
  ErrorRecord createError_;
};

// The fake agent's record file: one JSON object per received message, plus {"started": argv}.
std::vector<Json> readAgentLog(const std::string& path);
size_t countMethod(const std::vector<Json>& log, const std::string& method);
std::vector<Json> starts(const std::vector<Json>& log);

Json userTurn(const std::string& text);
Json modelTurn(const std::string& text);

bool nodeAvailable();

}  // namespace llmp::plugins::gemini_acp::testing
