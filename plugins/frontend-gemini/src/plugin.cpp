// The ABI surface of the Gemini front end, built by llmp::glue from the class below (every
// callback runs inside guarded). Everything of substance lives in handler.cpp / route.cpp so
// tests can call it directly.
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/plugin_glue.hpp>

#include <memory>

#include "handler.hpp"
#include "route.hpp"

namespace llmp::plugins::frontend_gemini {
namespace {

// The front end keeps no state: the config subtree is not read.
class GlueFrontend {
 public:
  // May run on a fiber (LLMP_*_COOPERATIVE): handle blocks only inside host calls and holds no lock across one.
  static constexpr bool kCooperative = true;
  static std::unique_ptr<GlueFrontend> create(const llmp_host_api* /*host*/,
                                              std::string_view /*configJson*/) {
    return std::make_unique<GlueFrontend>();
  }

  int32_t match(const llmp_incoming_request& request) const {
    return matchScore(view(request.method), view(request.path), view(request.query),
                      request.headers, request.header_count);
  }

  // handleRequest catches everything itself; the glue's guard is the last line before the ABI.
  llmp_status handle(const llmp_incoming_request& request, const llmp_responder& responder,
                     const llmp_router& router) const {
    return handleRequest(request, responder, router);
  }

  llmp_status renderError(const llmp_responder& responder, llmp_status code, int32_t httpStatus,
                          std::string_view message) const {
    return renderHostError(responder, code, httpStatus, message);
  }
};

}  // namespace
}  // namespace llmp::plugins::frontend_gemini

LLMP_GLUE_PLUGIN("dev.llmp.frontend-gemini", "frontend-gemini", "1.0.0",
                 "Gemini v1beta/v1 API front end: passes Gemini request and response bodies "
                 "through untouched",
                 nullptr,
                 llmp::glue::frontendFactory<llmp::plugins::frontend_gemini::GlueFrontend>(
                     "gemini"))
