// The Anthropic front end's request handling, on top of the C ABI structs (responder, router)
// but without the plugin entry point, so tests drive it with a fake router and responder.
#pragma once

#include <llmp/cpp/host.hpp>
#include <llmp/frontend.h>

#include <string_view>

namespace llmp::plugins::anthropic {

class Frontend {
 public:
  explicit Frontend(llmp::Host host = llmp::Host()) : host_(host) {}

  int32_t match(const llmp_incoming_request& request) const;
  // Serves the request completely; never throws.
  llmp_status handle(const llmp_incoming_request& request, const llmp_responder& responder,
                     const llmp_router& router) const;
  // An error the host raised before handle (401, 404, 413 ...), in Anthropic's shape.
  llmp_status renderError(const llmp_responder& responder, llmp_status code, int32_t httpStatus,
                          std::string_view message) const;

 private:
  llmp::Host host_;
};

}  // namespace llmp::plugins::anthropic
