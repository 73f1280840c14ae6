// The C ABI of the gemini-cloud plugin: backend type `gemini-cli-cloud-project`.
#include <llmp/llmp.h>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/sinks.hpp>

#include <cstdlib>

#include "backend.hpp"
#include "config.hpp"

namespace {

using llmp::plugins::gemini_cloud::CloudBackend;

CloudBackend* self(llmp_backend* b) { return reinterpret_cast<CloudBackend*>(b); }

const char* const kTypes[] = {llmp::plugins::gemini_cloud::kBackendType};

llmp_status LLMP_ABI create(const llmp_host_api* host, const char* type, llmp_bytes instance,
                            llmp_bytes configJson, llmp_backend** out,
                            const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    if (type == nullptr || std::string_view(type) != kTypes[0] || out == nullptr) {
      throw llmp::Error(LLMP_E_INVALID, 0, "gemini-cloud: unknown backend type");
    }
    llmp::plugins::gemini_cloud::EnvFn env = [](const char* name) { return std::getenv(name); };
    auto cfg = llmp::plugins::gemini_cloud::parseConfig(llmp::view(instance),
                                                        llmp::view(configJson), env);
    std::string name = cfg.instance;
    try {
      auto* backend = new CloudBackend(llmp::Host(host), std::move(cfg), env);
      *out = reinterpret_cast<llmp_backend*>(backend);
    } catch (const llmp::Error& e) {
      // Credential problems: name the instance so the operator knows which backend to fix.
      throw llmp::Error(e.code(), e.httpStatus(),
                        "backend '" + name + "' (type " +
                            llmp::plugins::gemini_cloud::kBackendType + "): " + e.what());
    }
    return LLMP_OK;
  });
}

void LLMP_ABI destroy(llmp_backend* backend) { delete self(backend); }

llmp_status LLMP_ABI generate(llmp_backend* backend, const llmp_generate_request* request,
                              const llmp_event_sink* sink, const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    llmp_status st = self(backend)->generate(*request, sink);
    if (st == LLMP_E_CANCELLED) {
      llmp::setError(err, LLMP_E_CANCELLED, 499, "the client went away");
    }
    return st;
  });
}

llmp_status LLMP_ABI countTokens(llmp_backend* backend, const llmp_generate_request* request,
                                 const llmp_bytes_sink* out, const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    std::string json = self(backend)->countTokens(*request);
    return out->write(out->ctx, llmp::toBytes(json));
  });
}

llmp_status LLMP_ABI listModels(llmp_backend* backend, const llmp_bytes_sink* out,
                                const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    std::string json = self(backend)->listModels();
    return out->write(out->ctx, llmp::toBytes(json));
  });
}

llmp_status LLMP_ABI healthReport(llmp_backend* backend, const llmp_bytes_sink* out) {
  return llmp::guarded(nullptr, [&]() -> llmp_status {
    std::string json = self(backend)->health();
    return out->write(out->ctx, llmp::toBytes(json));
  });
}

const llmp_health_ext kHealth = {sizeof(llmp_health_ext), healthReport};

const void* LLMP_ABI getExtension(llmp_backend*, const char* id) {
  if (id != nullptr && std::string_view(id) == LLMP_EXT_HEALTH_V1) {
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
    "dev.llmp.gemini-cloud",
    "gemini-cloud",
    "0.1.0",
    "Gemini through Google Code Assist, billed to your GCP project (ADC / service account)",
    nullptr,
    nullptr,
    getFactory,
};

}  // namespace

extern "C" {
LLMP_PLUGIN_ENTRY(major, minor) {
  (void)minor;
  return major == LLMP_ABI_MAJOR ? &kDescriptor : nullptr;
}
}
