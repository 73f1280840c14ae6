// The ABI entry point of the Anthropic Messages front end (factory "anthropic").
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/frontend.h>
#include <llmp/plugin.h>

#include "handler.hpp"

namespace llmp::plugins::anthropic {
namespace {

Frontend* self(llmp_frontend* frontend) { return reinterpret_cast<Frontend*>(frontend); }

llmp_status LLMP_ABI create(const llmp_host_api* host, llmp_bytes config, llmp_frontend** out,
                            const llmp_error_sink* err) {
  return llmp::guarded(err, [&] {
    std::string_view text = llmp::view(config);
    if (!text.empty()) {
      auto parsed = llmp::parseJson(text);
      if (!parsed || !(parsed->is_object() || parsed->is_null())) {
        throw llmp::Error(LLMP_E_INVALID, 0, "anthropic front end: config must be a JSON object");
      }
    }
    *out = reinterpret_cast<llmp_frontend*>(new Frontend(llmp::Host(host)));
    return LLMP_OK;
  });
}

void LLMP_ABI destroy(llmp_frontend* frontend) { delete self(frontend); }

int32_t LLMP_ABI match(llmp_frontend* frontend, const llmp_incoming_request* request) {
  try {
    return self(frontend)->match(*request);
  } catch (...) {
    return LLMP_MATCH_NONE;
  }
}

llmp_status LLMP_ABI handle(llmp_frontend* frontend, const llmp_incoming_request* request,
                            const llmp_responder* responder, const llmp_router* router) {
  return llmp::guarded(nullptr, [&] { return self(frontend)->handle(*request, *responder, *router); });
}

llmp_status LLMP_ABI renderError(llmp_frontend* frontend, const llmp_incoming_request* /*request*/,
                                 const llmp_responder* responder, llmp_status code,
                                 int32_t httpStatus, llmp_bytes message) {
  return llmp::guarded(nullptr, [&] {
    return self(frontend)->renderError(*responder, code, httpStatus, llmp::view(message));
  });
}

const void* LLMP_ABI getExtension(llmp_frontend* /*frontend*/, const char* /*id*/) {
  return nullptr;
}

const llmp_frontend_factory kFactory = {
    sizeof(llmp_frontend_factory), "anthropic", create, destroy, match, handle, renderError,
    getExtension};

const void* LLMP_ABI getFactory(const char* id) {
  return id != nullptr && std::string_view(id) == LLMP_FRONTEND_FACTORY_V1 ? &kFactory : nullptr;
}

const llmp_plugin_descriptor kDescriptor = {
    LLMP_ABI_MAJOR,
    LLMP_ABI_MINOR,
    sizeof(llmp_plugin_descriptor),
    "dev.llmp.frontend-anthropic",
    "frontend-anthropic",
    "1.0.0",
    "Serves the Anthropic Messages API (/v1/messages, count_tokens, models) on top of the IR.",
    nullptr,
    nullptr,
    getFactory};

}  // namespace
}  // namespace llmp::plugins::anthropic

extern "C" LLMP_PLUGIN_ENTRY(major, minor) {
  (void)minor;
  return major == LLMP_ABI_MAJOR ? &llmp::plugins::anthropic::kDescriptor : nullptr;
}
