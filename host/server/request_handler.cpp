#include "server/request_handler.h"

#include <string>
#include <string_view>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <nlohmann/json.hpp>

#include "fiber/blocking_pool.h"
#include "log/log.h"
#include "server/responder.h"

namespace llmp::host {
namespace {

// What the host knows about the client's request that every backend may use, whatever front
// end translated it: the workspace (x-llmp-workspace) and the conversation (x-session-id).
struct RequestRouting {
  Router* router;
  std::string workspace;
  std::string sessionId;

  // Adds the host-level facts to a front end's request where the front end left them out.
  llmp_status generate(const llmp_generate_request* in, const llmp_event_sink* sink,
                       const llmp_error_sink* err) {
    llmp_generate_request req = *in;
    std::string metadata;
    if (!workspace.empty()) {
      nlohmann::json meta = nlohmann::json::parse(view(in->metadata), nullptr, false);
      if (!meta.is_object()) {
        meta = nlohmann::json::object();
      }
      if (!meta.contains("workspace")) {
        meta["workspace"] = workspace;
      }
      metadata = meta.dump();
      req.metadata = toBytes(metadata);
    }
    if (req.session_id.len == 0 && !sessionId.empty()) {
      req.session_id = toBytes(sessionId);
    }
    return router->generate(req, sink, err);
  }
};

llmp_router makeRouter(RequestRouting* routing) {
  llmp_router r{};
  r.struct_size = sizeof(r);
  r.ctx = routing;
  r.generate = [](void* ctx, const llmp_generate_request* req, const llmp_event_sink* sink,
                  const llmp_error_sink* err) -> llmp_status {
    return guarded(err, [&] { return static_cast<RequestRouting*>(ctx)->generate(req, sink, err); });
  };
  r.count_tokens = [](void* ctx, const llmp_generate_request* req, const llmp_bytes_sink* out,
                      const llmp_error_sink* err) -> llmp_status {
    return guarded(err, [&] {
      return static_cast<RequestRouting*>(ctx)->router->countTokens(*req, out, err);
    });
  };
  r.list_models = [](void* ctx, const llmp_bytes_sink* out,
                     const llmp_error_sink* err) -> llmp_status {
    return guarded(err, [&] { return static_cast<RequestRouting*>(ctx)->router->listModels(out, err); });
  };
  return r;
}

std::string genericError(int status, const std::string& message) {
  // Shaped so that each API's clients find a message: Google's {code,message,status} plus
  // OpenAI's {message,type}.
  const char* type = status == 404 ? "not_found_error"
                     : status == 401 ? "authentication_error"
                     : status == 413 ? "request_too_large"
                                     : "invalid_request_error";
  const char* gstatus = status == 404 ? "NOT_FOUND"
                        : status == 401 ? "UNAUTHENTICATED"
                                        : "INVALID_ARGUMENT";
  return nlohmann::json{{"error",
                         {{"code", status}, {"message", message}, {"status", gstatus},
                          {"type", type}}}}
      .dump();
}

void renderHostError(const FrontendInstance* frontend, const llmp_incoming_request& request,
                     ClientResponder& responder, llmp_status code, int status,
                     const std::string& message) {
  if (frontend != nullptr && frontend->factory->render_error != nullptr) {
    frontend->factory->render_error(frontend->instance, &request, responder.responder(), code,
                                    status, toBytes(message));
  }
  responder.sendFallback(status, genericError(status, message));
}

struct InFlightGuard {
  std::atomic<int64_t>& counter;
  explicit InFlightGuard(std::atomic<int64_t>& c) : counter(c) { counter.fetch_add(1); }
  ~InFlightGuard() { counter.fetch_sub(1); }
};

}  // namespace

void serveRequest(ServerContext& context, ClientConnection& connection,
                  ClientResponder& responder) {
  InFlightGuard guard(context.inFlight);
  const RequestHead& head = connection.head();
  try {
    const std::string_view target = head.target;
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query =
        q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

    llmp_incoming_request in{};
    in.struct_size = sizeof(in);
    in.method = toBytes(head.method);
    in.path = toBytes(path);
    in.query = toBytes(query);
    in.headers = head.headers.data();
    in.header_count = head.headers.size();
    in.remote_address = toBytes(connection.remoteAddress());

    // An answer sent before the body was read leaves that body on the connection, where it
    // would be parsed as the next request: such answers close the connection instead.
    auto closeIfBodyUnread = [&] {
      if (connection.bodyPending()) {
        responder.closeAfterResponse();
      }
    };
    if (path == "/healthz" || path == "/health") {
      closeIfBodyUnread();
      // Health reports are plugin code that need not be cooperative.
      std::string body = context.healthJson ? fiber::runBlocking(context.healthJson)
                                            : "{\"status\":\"ok\"}";
      llmp_header h{toBytes("content-type"), toBytes("application/json")};
      responder.responder()->send(&responder, 200, &h, 1, toBytes(body));
      return;
    }

    const FrontendInstance* frontend = context.frontends->match(in);
    if (!context.auth->allows(in.headers, in.header_count, query)) {
      closeIfBodyUnread();
      renderHostError(frontend, in, responder, LLMP_E_AUTH, 401,
                      "missing or invalid proxy API key: send it as 'Authorization: Bearer <key>', "
                      "'x-api-key', 'x-goog-api-key' or '?key='");
      return;
    }
    if (frontend == nullptr) {
      closeIfBodyUnread();
      responder.sendFallback(404, genericError(404, "no API is served at " +
                                                        std::string(head.method) + " " +
                                                        std::string(path)));
      return;
    }

    std::string& body = connection.bodyBuffer();
    const size_t maxBody = context.config->maxBodyBytes;
    switch (connection.readBody(maxBody, &body)) {
      case ClientConnection::ReadBody::Ok:
        break;
      case ClientConnection::ReadBody::TooLarge:
        closeIfBodyUnread();
        renderHostError(frontend, in, responder, LLMP_E_INVALID, 413,
                        "request body larger than " + std::to_string(maxBody) + " bytes");
        return;
      case ClientConnection::ReadBody::Failed:
        closeIfBodyUnread();
        renderHostError(frontend, in, responder, LLMP_E_INVALID, 400,
                        "the request body ended early or its chunked framing is broken");
        return;
    }
    in.body = toBytes(body);

    RequestRouting routing{context.router,
                           std::string(findHeader(in.headers, in.header_count, "x-llmp-workspace")),
                           std::string(findHeader(in.headers, in.header_count, "x-session-id"))};
    llmp_router router = makeRouter(&routing);
    llmp_status status = LLMP_E_INTERNAL;
    try {
      auto handle = [&] {
        return frontend->factory->handle(frontend->instance, &in, responder.responder(), &router);
      };
      // A front end that is not cooperative gets a thread of its own while this fiber waits.
      status = frontend->cooperative ? handle() : fiber::runBlocking(handle);
    } catch (...) {
      log::write(log::kMisbehaving, frontend->name, "handle threw an exception across the C ABI");
    }
    if (!responder.started()) {
      if (status == LLMP_OK) {
        log::write(log::kMisbehaving, frontend->name, "handle returned without answering");
      }
      renderHostError(frontend, in, responder, LLMP_E_INTERNAL, 500,
                      "the " + frontend->name + " front end could not answer this request");
    }
  } catch (const std::exception& e) {
    log::error("server", std::string("request failed: ") + e.what());
    responder.sendFallback(500, genericError(500, "internal error"));
  } catch (...) {
    responder.sendFallback(500, genericError(500, "internal error"));
  }
}

}  // namespace llmp::host
