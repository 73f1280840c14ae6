// The ABI surface of the OpenAI front end: descriptor, factory and the exported callbacks.
// Everything of substance lives in handler.cpp and the translators so tests can call it directly.
#include <llmp/llmp.h>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>

#include <cstring>

#include "handler.hpp"
#include "route.hpp"
#include "services.hpp"

struct llmp_frontend {
  explicit llmp_frontend(const llmp_host_api* host) : services(host) {}
  llmp::plugins::frontend_openai::HostServices services;
};

namespace llmp::plugins::frontend_openai {
namespace {

llmp_status LLMP_ABI createFrontend(const llmp_host_api* host, llmp_bytes /*config_json*/,
                                    llmp_frontend** out, const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    *out = new llmp_frontend(host);
    return LLMP_OK;
  });
}

void LLMP_ABI destroyFrontend(llmp_frontend* frontend) { delete frontend; }

int32_t LLMP_ABI matchRequest(llmp_frontend* /*frontend*/, const llmp_incoming_request* request) {
  try {
    return matchScore(view(request->method), view(request->path), request->headers,
                      request->header_count);
  } catch (...) {
    return LLMP_MATCH_NONE;
  }
}

llmp_status LLMP_ABI handle(llmp_frontend* frontend, const llmp_incoming_request* request,
                            const llmp_responder* responder, const llmp_router* router) {
  // handleRequest catches everything itself; this guard is the last line before the C ABI.
  return guarded(nullptr, [&] {
    return handleRequest(*request, *responder, *router, frontend->services);
  });
}

llmp_status LLMP_ABI renderError(llmp_frontend* /*frontend*/,
                                 const llmp_incoming_request* /*request*/,
                                 const llmp_responder* responder, llmp_status code,
                                 int32_t http_status, llmp_bytes message) {
  return guarded(nullptr, [&] {
    return renderHostError(*responder, code, http_status, view(message));
  });
}

const void* LLMP_ABI getExtension(llmp_frontend* /*frontend*/, const char* /*id*/) {
  return nullptr;
}

const llmp_frontend_factory kFactory = {
    sizeof(llmp_frontend_factory),
    "openai",
    createFrontend,
    destroyFrontend,
    matchRequest,
    handle,
    renderError,
    getExtension,
};

const void* LLMP_ABI getFactory(const char* id) {
  if (id != nullptr && std::strcmp(id, LLMP_FRONTEND_FACTORY_V1) == 0) {
    return &kFactory;
  }
  return nullptr;
}

const llmp_plugin_descriptor kDescriptor = {
    LLMP_ABI_MAJOR,
    LLMP_ABI_MINOR,
    sizeof(llmp_plugin_descriptor),
    "dev.llmp.frontend-openai",
    "frontend-openai",
    "1.0.0",
    "OpenAI Chat Completions front end: /v1/chat/completions and /v1/models over the IR",
    nullptr,
    nullptr,
    getFactory,
};

}  // namespace
}  // namespace llmp::plugins::frontend_openai

extern "C" LLMP_PLUGIN_ENTRY(major, minor) {
  (void)minor;
  if (major != LLMP_ABI_MAJOR) {
    return nullptr;
  }
  return &llmp::plugins::frontend_openai::kDescriptor;
}
