// Serves one HTTP request: /healthz, front-end matching, proxy-key auth, the request body, then
// the front end. Every answer, errors included, goes out through `responder`.
#pragma once

#include "server/client_connection.h"
#include "server/proxy_server.h"
#include "server/responder.h"

namespace llmp::host {

void serveRequest(ServerContext& context, ClientConnection& connection,
                  ClientResponder& responder);

}  // namespace llmp::host
