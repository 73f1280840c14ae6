// Serves one request end to end: routing, body translation, the router call and the reply.
#pragma once

#include <llmp/frontend.h>

#include "errors.hpp"
#include "services.hpp"

namespace llmp::plugins::frontend_openai {

// Serves `request` completely through `responder`. Never throws; returns the responder's last
// status (LLMP_E_CANCELLED when the client went away).
llmp_status handleRequest(const llmp_incoming_request& request, const llmp_responder& responder,
                          const llmp_router& router, Services& services);

// Renders an error the host raised before handle (bad proxy key, body too large...).
llmp_status renderHostError(const llmp_responder& responder, llmp_status code,
                            int32_t httpStatus, std::string_view message);

}  // namespace llmp::plugins::frontend_openai
