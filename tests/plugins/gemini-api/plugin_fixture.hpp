// Loads the built plugin (lib llmp_gemini_api.so) the way the host does and drives one backend
// instance through the C ABI.
#pragma once

#include <llmp/backend.h>
#include <llmp/plugin.h>

#include <llmp/cpp/errors.hpp>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_host.hpp"

namespace llmp::plugins::gemini_api::testing {

const llmp_plugin_descriptor* pluginDescriptor();
const llmp_backend_factory* backendFactory();

struct CallResult {
  llmp_status status = LLMP_OK;
  llmp::ErrorRecord error;
  std::vector<std::string> chunks;  // CHUNK events (or the one output of count/list)
  std::string output() const { return chunks.empty() ? std::string() : chunks.front(); }
};

class Backend {
 public:
  // Creates instance `name` from `config`; check created() / createError().
  Backend(const llmp_host_api* host, std::string name, const nlohmann::json& config);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  bool created() const { return backend_ != nullptr; }
  const llmp::ErrorRecord& createError() const { return createError_; }
  llmp_status createStatus() const { return createStatus_; }

  // onChunk (optional) sees each CHUNK as it is emitted; its return value goes back to the
  // plugin (LLMP_E_CANCELLED = the client went away).
  CallResult generate(const std::string& model, const std::string& ir, bool stream,
                      std::function<llmp_status(const std::string&)> onChunk = {});
  CallResult countTokens(const std::string& model, const std::string& ir);
  CallResult listModels();
  std::string health();

 private:
  llmp_backend* backend_ = nullptr;
  llmp_status createStatus_ = LLMP_OK;
  llmp::ErrorRecord createError_;
};

}  // namespace llmp::plugins::gemini_api::testing
