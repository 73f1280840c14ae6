// The ABI surface of the OpenAI front end, built by llmp::glue from the class below (every
// callback runs inside guarded). Everything of substance lives in handler.cpp and the
// translators so tests can call it directly.
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/plugin_glue.hpp>

#include <memory>

#include "handler.hpp"
#include "route.hpp"
#include "services.hpp"

namespace llmp::plugins::frontend_openai {
namespace {

class GlueFrontend {
 public:
  // May run on a fiber (LLMP_*_COOPERATIVE): handle blocks only inside host calls and holds no lock across one.
  static constexpr bool kCooperative = true;
  explicit GlueFrontend(const llmp_host_api* host) : services_(host) {}

  static std::unique_ptr<GlueFrontend> create(const llmp_host_api* host,
                                              std::string_view /*configJson*/) {
    return std::make_unique<GlueFrontend>(host);
  }

  int32_t match(const llmp_incoming_request& request) const {
    return matchScore(view(request.method), view(request.path), request.headers,
                      request.header_count);
  }

  // handleRequest catches everything itself; the glue's guard is the last line before the ABI.
  llmp_status handle(const llmp_incoming_request& request, const llmp_responder& responder,
                     const llmp_router& router) {
    return handleRequest(request, responder, router, services_);
  }

  llmp_status renderError(const llmp_responder& responder, llmp_status code, int32_t httpStatus,
                          std::string_view message) const {
    return renderHostError(responder, code, httpStatus, message);
  }

 private:
  HostServices services_;
};

}  // namespace
}  // namespace llmp::plugins::frontend_openai

LLMP_GLUE_PLUGIN("dev.llmp.frontend-openai", "frontend-openai", "1.0.0",
                 "OpenAI Chat Completions front end: /v1/chat/completions and /v1/models over the "
                 "IR",
                 nullptr,
                 llmp::glue::frontendFactory<llmp::plugins::frontend_openai::GlueFrontend>(
                     "openai"))
