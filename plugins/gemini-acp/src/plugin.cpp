// The ABI surface of the gemini-cli-acp backend: descriptor, factory and exported callbacks.
// Everything of substance lives in acp_backend.cpp so tests can drive it directly.
#include <llmp/llmp.h>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <cstring>
#include <memory>

#include "acp_backend.hpp"
#include "config.hpp"

struct llmp_backend {
  std::unique_ptr<llmp::plugins::gemini_acp::AcpBackend> impl;
};

namespace llmp::plugins::gemini_acp {
namespace {

const char* const kTypes[] = {"gemini-cli-acp"};

llmp_status writeAll(const llmp_bytes_sink* out, const std::string& text) {
  return out->write(out->ctx, toBytes(text));
}

llmp_status LLMP_ABI create(const llmp_host_api* host, const char* /*type*/,
                            llmp_bytes instance_name, llmp_bytes config_json, llmp_backend** out,
                            const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    Json config = Json::object();
    if (config_json.len > 0) {
      std::string parseError;
      auto parsed = parseJson(view(config_json), &parseError);
      if (!parsed) {
        throw Error(LLMP_E_INVALID, 400, "gemini-cli-acp config is not valid JSON: " + parseError);
      }
      config = std::move(*parsed);
    }
    auto backend = std::make_unique<llmp_backend>();
    backend->impl = std::make_unique<AcpBackend>(host, str(instance_name), parseConfig(config));
    for (const std::string& key : unknownConfigKeys(config)) {
      if (LLMP_HOST_HAS(host, log)) {
        std::string message = "gemini-cli-acp backend '" + str(instance_name) +
                              "': unknown setting '" + key + "' ignored";
        host->log(host, LLMP_LOG_WARN, toBytes(message));
      }
    }
    *out = backend.release();
    return LLMP_OK;
  });
}

void LLMP_ABI destroy(llmp_backend* backend) {
  try {
    delete backend;
  } catch (...) {
  }
}

llmp_status LLMP_ABI generate(llmp_backend* backend, const llmp_generate_request* request,
                              const llmp_event_sink* sink, const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    backend->impl->generate(*request, sink);
    return LLMP_OK;
  });
}

llmp_status LLMP_ABI listModels(llmp_backend* backend, const llmp_bytes_sink* out,
                                const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    return writeAll(out, dumpJson(backend->impl->listModels()));
  });
}

llmp_status LLMP_ABI reportHealth(llmp_backend* backend, const llmp_bytes_sink* out) {
  return guarded(nullptr, [&]() -> llmp_status {
    return writeAll(out, dumpJson(backend->impl->health()));
  });
}

const llmp_health_ext kHealth = {sizeof(llmp_health_ext), reportHealth};

const void* LLMP_ABI getExtension(llmp_backend* /*backend*/, const char* id) {
  if (id != nullptr && std::strcmp(id, LLMP_EXT_HEALTH_V1) == 0) {
    return &kHealth;
  }
  return nullptr;
}

const llmp_backend_factory kFactory = {
    sizeof(llmp_backend_factory),
    kTypes,
    1,
    nullptr,
    0,
    create,
    destroy,
    generate,
    nullptr,  // count_tokens: the CLI has no token counting over ACP
    listModels,
    getExtension,
};

const void* LLMP_ABI getFactory(const char* id) {
  if (id != nullptr && std::strcmp(id, LLMP_BACKEND_FACTORY_V1) == 0) {
    return &kFactory;
  }
  return nullptr;
}

const llmp_plugin_descriptor kDescriptor = {
    LLMP_ABI_MAJOR,
    LLMP_ABI_MINOR,
    sizeof(llmp_plugin_descriptor),
    "dev.llmp.gemini-acp",
    "gemini-acp",
    "0.1.0",
    "Runs the local Gemini CLI as an agent over the Agent Client Protocol",
    nullptr,
    nullptr,
    getFactory,
};

}  // namespace
}  // namespace llmp::plugins::gemini_acp

extern "C" LLMP_PLUGIN_ENTRY(host_major, host_minor) {
  (void)host_minor;
  if (host_major != LLMP_ABI_MAJOR) {
    return nullptr;
  }
  return &llmp::plugins::gemini_acp::kDescriptor;
}
