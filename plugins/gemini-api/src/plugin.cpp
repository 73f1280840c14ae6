// The C ABI of the gemini-api plugin: descriptor, backend factory ("gemini") and the health
// extension. Every exported callback runs inside llmp::guarded so no exception crosses the ABI.
#include <llmp/backend.h>
#include <llmp/plugin.h>

#include <cstdlib>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/host.hpp>
#include <memory>

#include "config.hpp"
#include "gemini_backend.hpp"

namespace llmp::plugins::gemini_api {
namespace {

GeminiBackend* self(llmp_backend* backend) { return reinterpret_cast<GeminiBackend*>(backend); }

llmp_status writeTo(const llmp_bytes_sink* out, const std::string& text) {
  if (out == nullptr || out->write == nullptr) {
    throw Error(LLMP_E_INVALID, 0, "no output sink");
  }
  return out->write(out->ctx, toBytes(text));
}

llmp_status LLMP_ABI create(const llmp_host_api* host, const char* type, llmp_bytes instanceName,
                            llmp_bytes configJson, llmp_backend** out, const llmp_error_sink* err) {
  return guarded(err, [&] {
    if (out == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "create: no output pointer");
    }
    *out = nullptr;
    if (type == nullptr || std::string_view(type) != "gemini") {
      throw Error(
          LLMP_E_INVALID, 0,
          std::string("the gemini-api plugin has no backend type '") + (type ? type : "") + "'");
    }
    GeminiConfig cfg =
        parseConfig(view(instanceName), view(configJson), std::getenv("GEMINI_API_KEY"));
    for (const auto& name : cfg.unknownSettings) {
      Host(host).log(LLMP_LOG_WARN, "backend '" + cfg.instance +
                                        "' (type gemini): unknown setting '" + name +
                                        "' ignored (see docs/backends/gemini.md)");
    }
    auto backend = std::make_unique<GeminiBackend>(Host(host), std::move(cfg));
    *out = reinterpret_cast<llmp_backend*>(backend.release());
    return LLMP_OK;
  });
}

void LLMP_ABI destroy(llmp_backend* backend) { delete self(backend); }

llmp_status LLMP_ABI generate(llmp_backend* backend, const llmp_generate_request* request,
                              const llmp_event_sink* sink, const llmp_error_sink* err) {
  return guarded(err, [&] {
    if (backend == nullptr || request == nullptr || sink == nullptr || sink->emit == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "generate: missing backend, request or sink");
    }
    self(backend)->generate(view(request->model), view(request->ir),
                            (request->flags & LLMP_GENERATE_STREAM) != 0, sink);
    return LLMP_OK;
  });
}

llmp_status LLMP_ABI countTokens(llmp_backend* backend, const llmp_generate_request* request,
                                 const llmp_bytes_sink* out, const llmp_error_sink* err) {
  return guarded(err, [&] {
    if (backend == nullptr || request == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "count_tokens: missing backend or request");
    }
    return writeTo(out, self(backend)->countTokens(view(request->model), view(request->ir)));
  });
}

llmp_status LLMP_ABI listModels(llmp_backend* backend, const llmp_bytes_sink* out,
                                const llmp_error_sink* err) {
  return guarded(err, [&] {
    if (backend == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "list_models: missing backend");
    }
    return writeTo(out, self(backend)->listModels());
  });
}

llmp_status LLMP_ABI reportHealth(llmp_backend* backend, const llmp_bytes_sink* out) {
  return guarded(nullptr, [&] {
    if (backend == nullptr) {
      return LLMP_E_INVALID;
    }
    return writeTo(out, self(backend)->health());
  });
}

const llmp_health_ext kHealth = {sizeof(llmp_health_ext), reportHealth};

const void* LLMP_ABI getExtension(llmp_backend*, const char* id) {
  if (id != nullptr && std::string_view(id) == LLMP_EXT_HEALTH_V1) {
    return &kHealth;
  }
  return nullptr;
}

const char* const kTypes[] = {"gemini"};

const llmp_backend_factory kFactory = {
    sizeof(llmp_backend_factory),
    kTypes,
    1,
    nullptr,
    0,
    create,
    destroy,
    generate,
    countTokens,
    listModels,
    getExtension,
};

const void* LLMP_ABI getFactory(const char* id) {
  if (id != nullptr && std::string_view(id) == LLMP_BACKEND_FACTORY_V1) {
    return &kFactory;
  }
  return nullptr;
}

const llmp_plugin_descriptor kDescriptor = {
    LLMP_ABI_MAJOR,
    LLMP_ABI_MINOR,
    sizeof(llmp_plugin_descriptor),
    "dev.llmp.gemini-api",
    "gemini-api",
    "1.0.0",
    "Gemini Developer API (generativelanguage.googleapis.com) by API key, with key rotation",
    nullptr,
    nullptr,
    getFactory,
};

}  // namespace
}  // namespace llmp::plugins::gemini_api

extern "C" LLMP_PLUGIN_ENTRY(major, minor) {
  (void)minor;
  if (major != LLMP_ABI_MAJOR) {
    return nullptr;
  }
  return &llmp::plugins::gemini_api::kDescriptor;
}
