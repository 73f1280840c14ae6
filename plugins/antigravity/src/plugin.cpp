// The C ABI of the antigravity plugin: backend type `antigravity-oauth`, debug-gated (the host
// refuses it unless started with --enable-antigravity-oauth-backend-debugging-override).
#include <llmp/llmp.h>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/sinks.hpp>

#include <cstdlib>

#include "backend.hpp"
#include "config.hpp"

namespace {

using llmp::plugins::antigravity::AntigravityBackend;

AntigravityBackend* self(llmp_backend* b) { return reinterpret_cast<AntigravityBackend*>(b); }

const char* const kTypes[] = {llmp::plugins::antigravity::kBackendType};

llmp_status LLMP_ABI create(const llmp_host_api* host, const char* type, llmp_bytes instance,
                            llmp_bytes configJson, llmp_backend** out,
                            const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    if (type == nullptr || std::string_view(type) != kTypes[0] || out == nullptr) {
      throw llmp::Error(LLMP_E_INVALID, 0, "antigravity: unknown backend type");
    }
    llmp::plugins::antigravity::EnvFn env = [](const char* name) { return std::getenv(name); };
    auto cfg = llmp::plugins::antigravity::parseConfig(llmp::view(instance),
                                                       llmp::view(configJson), env);
    *out = reinterpret_cast<llmp_backend*>(new AntigravityBackend(llmp::Host(host), std::move(cfg)));
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
    kTypes,  // every type of this plugin is debug-gated
    1,
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
    "dev.llmp.antigravity",
    "antigravity",
    "0.1.0",
    "Gemini and Claude through Antigravity's endpoints (internal development and compatibility "
    "testing only; debug-gated)",
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
