#include "handler.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>

#include <string>

#include "errors.hpp"
#include "ids.hpp"
#include "message_renderer.hpp"
#include "models.hpp"
#include "request_translator.hpp"
#include "route.hpp"
#include "stream_renderer.hpp"

namespace llmp::plugins::anthropic {
namespace {

// One request's context: where to answer and the request id every answer carries.
class Exchange {
 public:
  Exchange(const llmp_incoming_request& request, const llmp_responder& responder)
      : request_(request), responder_(responder), requestId_(mintId("req")) {}

  const llmp_incoming_request& request() const { return request_; }
  std::string_view header(std::string_view name) const {
    return llmp::findHeader(request_.headers, request_.header_count, name);
  }

  llmp_status sendJson(int32_t status, const Json& body) {
    return send(status, llmp::dumpJson(body), {});
  }

  llmp_status sendError(const WireError& error) {
    llmp::HeaderList extra;
    // Anthropic's SDKs honour retry-after when they retry a 429 or an overload.
    if (error.retryAfterMs >= 0 && (error.httpStatus == 429 || error.httpStatus == 529)) {
      extra.add("retry-after", std::to_string((error.retryAfterMs + 999) / 1000));
    }
    return send(error.httpStatus, errorBody(error, requestId_), extra);
  }

  llmp_status beginStream() {
    llmp::HeaderList headers{{"content-type", "text/event-stream"},
                             {"cache-control", "no-cache"},
                             {"request-id", requestId_}};
    begun_ = true;
    return responder_.begin(responder_.ctx, 200, headers.data(), headers.size());
  }

  llmp_status write(const std::string& text) {
    return responder_.write(responder_.ctx, llmp::toBytes(text));
  }

  bool begun() const { return begun_; }

 private:
  llmp_status send(int32_t status, const std::string& body, llmp::HeaderList extra) {
    llmp::HeaderList headers{{"content-type", "application/json"}, {"request-id", requestId_}};
    for (const auto& [name, value] : extra.entries()) {
      headers.add(name, value);
    }
    return responder_.send(responder_.ctx, status, headers.data(), headers.size(),
                           llmp::toBytes(body));
  }

  const llmp_incoming_request& request_;
  const llmp_responder& responder_;
  std::string requestId_;
  bool begun_ = false;
};

// What the router reported, as the client should see it.
WireError routerError(const llmp::ErrorRecord& err) {
  std::string message = err.message;
  if (message.empty() && !err.body.empty()) {
    llmp::GoogleError google = llmp::parseGoogleError(err.body);
    message = google.message;
  }
  return mapError(err.code, err.effectiveHttpStatus(), message, err.retryAfterMs);
}

Json parseBody(const llmp_incoming_request& request) {
  std::string_view body = llmp::view(request.body);
  if (body.empty()) {
    throw RequestError("request body is empty; expected a JSON object");
  }
  std::string problem;
  auto parsed = llmp::parseJson(body, &problem);
  if (!parsed) {
    throw RequestError("request body is not valid JSON: " + problem);
  }
  return std::move(*parsed);
}

// The pieces of an llmp_generate_request that must outlive the call.
struct GenerateCall {
  std::string model;
  std::string ir;
  std::string sessionId;
  std::string metadata;
  llmp_generate_request request{};

  GenerateCall(const Exchange& exchange, const TranslatedRequest& translated, bool stream)
      : model(translated.model), ir(llmp::dumpJson(translated.ir)) {
    sessionId = std::string(exchange.header("x-session-id"));
    if (sessionId.empty()) {
      sessionId = translated.userId;
    }
    Json meta = {{"frontend", "anthropic"}, {"headers", Json::object()}};
    std::string_view userAgent = exchange.header("user-agent");
    if (!userAgent.empty()) {
      meta["headers"]["user-agent"] = std::string(userAgent);
    }
    metadata = llmp::dumpJson(meta);
    request.struct_size = sizeof(request);
    request.model = llmp::toBytes(model);
    request.ir = llmp::toBytes(ir);
    request.flags = stream ? LLMP_GENERATE_STREAM : 0u;
    request.session_id = llmp::toBytes(sessionId);
    request.metadata = llmp::toBytes(metadata);
  }
};

llmp_status serveStream(Exchange& exchange, const GenerateCall& call, const llmp_router& router,
                        const std::string& model) {
  StreamRenderer renderer(mintId("msg"), model);
  llmp_status writeStatus = LLMP_OK;
  auto out = [&](const std::string& text) {
    if (text.empty() || writeStatus != LLMP_OK) {
      return writeStatus;
    }
    if (!exchange.begun()) {
      writeStatus = exchange.beginStream();
    }
    if (writeStatus == LLMP_OK) {
      writeStatus = exchange.write(text);
    }
    return writeStatus;
  };
  llmp::EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
    if (kind == LLMP_EVENT_CHUNK) {
      return out(renderer.onChunkText(data));
    } else if (kind == LLMP_EVENT_KEEPALIVE) {
      return out(renderer.onKeepAlive());
    }
    return writeStatus;
  });
  llmp::ErrorRecord err;
  llmp_status status = router.generate(router.ctx, &call.request, sink.sink(), err.sink());
  if (writeStatus != LLMP_OK) {
    return LLMP_OK;  // the client went away; nothing more to say
  }
  if (status != LLMP_OK) {
    if (!err.isSet()) {
      err.code = status;
    }
    WireError error = routerError(err);
    if (!exchange.begun()) {
      exchange.sendError(error);
    } else {
      out(sseError(error));
    }
    return LLMP_OK;
  }
  Outcome outcome;
  std::string closing = renderer.finish(&outcome);
  if (!outcome.ok) {
    if (!exchange.begun()) {
      exchange.sendError(outcome.error);
    } else {
      out(sseError(outcome.error));
    }
    return LLMP_OK;
  }
  out(closing);
  return LLMP_OK;
}

llmp_status serveMessage(Exchange& exchange, const GenerateCall& call, const llmp_router& router,
                         const std::string& model) {
  // Chunks are assembled as they arrive (the events only build the content array), so a
  // scanned chunk need not be kept.
  MessageBuilder builder;
  llmp::EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
    if (kind == LLMP_EVENT_CHUNK) {
      builder.addChunkText(data);
    }
    return LLMP_OK;
  });
  llmp::ErrorRecord err;
  llmp_status status = router.generate(router.ctx, &call.request, sink.sink(), err.sink());
  if (status != LLMP_OK) {
    if (!err.isSet()) {
      err.code = status;
    }
    return exchange.sendError(routerError(err));
  }
  RenderedMessage rendered = builder.finish(mintId("msg"), model);
  if (!rendered.outcome.ok) {
    return exchange.sendError(rendered.outcome.error);
  }
  return exchange.sendJson(200, rendered.message);
}

llmp_status serveCountTokens(Exchange& exchange, const TranslatedRequest& translated,
                             const llmp_router& router) {
  GenerateCall call(exchange, translated, false);
  llmp::StringSink out;
  llmp::ErrorRecord err;
  llmp_status status = router.count_tokens(router.ctx, &call.request, out.sink(), err.sink());
  if (status != LLMP_OK) {
    if (!err.isSet()) {
      err.code = status;
    }
    return exchange.sendError(routerError(err));
  }
  auto counted = llmp::parseJson(out.value());
  if (!counted || !counted->is_object() || !(*counted)["totalTokens"].is_number_integer()) {
    return exchange.sendError(
        mapError(LLMP_E_UPSTREAM_HTTP, 502, "the backend returned no token count"));
  }
  return exchange.sendJson(200, {{"input_tokens", (*counted)["totalTokens"]}});
}

std::optional<Json> fetchModels(Exchange& exchange, const llmp_router& router) {
  llmp::StringSink out;
  llmp::ErrorRecord err;
  llmp_status status = router.list_models(router.ctx, out.sink(), err.sink());
  if (status != LLMP_OK) {
    if (!err.isSet()) {
      err.code = status;
    }
    exchange.sendError(routerError(err));
    return std::nullopt;
  }
  auto models = llmp::parseJson(out.value());
  if (!models || !models->is_array()) {
    exchange.sendError(mapError(LLMP_E_INTERNAL, 500, "the model list is not a JSON array"));
    return std::nullopt;
  }
  return models;
}

llmp_status serve(Exchange& exchange, const llmp_router& router) {
  const llmp_incoming_request& request = exchange.request();
  Route route = resolveRoute(llmp::view(request.path));
  std::string method = llmp::str(request.method);
  if (route.endpoint == Endpoint::Unknown) {
    return exchange.sendError(
        mapError(LLMP_E_NOT_FOUND, 404,
                 "no Anthropic API endpoint at " + method + " " + llmp::str(request.path)));
  }
  if (method != route.method) {
    return exchange.sendError(mapError(LLMP_E_INVALID, 405,
                                       method + " is not allowed on " + llmp::str(request.path) +
                                           "; use " + route.method));
  }
  switch (route.endpoint) {
    case Endpoint::Messages: {
      TranslatedRequest translated = translateRequest(parseBody(request), RequestKind::Messages);
      GenerateCall call(exchange, translated, translated.stream);
      return translated.stream ? serveStream(exchange, call, router, translated.model)
                               : serveMessage(exchange, call, router, translated.model);
    }
    case Endpoint::CountTokens: {
      TranslatedRequest translated =
          translateRequest(parseBody(request), RequestKind::CountTokens);
      return serveCountTokens(exchange, translated, router);
    }
    case Endpoint::ListModels: {
      auto models = fetchModels(exchange, router);
      if (!models) {
        return LLMP_OK;
      }
      return exchange.sendJson(200, listModelsPage(*models, llmp::view(request.query)));
    }
    case Endpoint::GetModel: {
      auto models = fetchModels(exchange, router);
      if (!models) {
        return LLMP_OK;
      }
      auto model = findModel(*models, route.modelId);
      if (!model) {
        return exchange.sendError(
            mapError(LLMP_E_NOT_FOUND, 404, "model '" + route.modelId + "' not found"));
      }
      return exchange.sendJson(200, *model);
    }
    case Endpoint::Unknown:
      break;
  }
  return LLMP_OK;
}

}  // namespace

int32_t Frontend::match(const llmp_incoming_request& request) const {
  bool hasVersion =
      !llmp::findHeader(request.headers, request.header_count, "anthropic-version").empty();
  return matchScore(llmp::view(request.path), hasVersion);
}

llmp_status Frontend::handle(const llmp_incoming_request& request,
                             const llmp_responder& responder, const llmp_router& router) const {
  Exchange exchange(request, responder);
  try {
    serve(exchange, router);
  } catch (const RequestError& e) {
    exchange.sendError(mapError(LLMP_E_INVALID, 400, e.what()));
  } catch (const std::exception& e) {
    host_.log(LLMP_LOG_ERROR, std::string("anthropic front end failed: ") + e.what());
    WireError error = mapError(LLMP_E_INTERNAL, 500, "internal error in the Anthropic front end");
    if (exchange.begun()) {
      exchange.write(sseError(error));
    } else {
      exchange.sendError(error);
    }
  }
  return LLMP_OK;
}

llmp_status Frontend::renderError(const llmp_responder& responder, llmp_status code,
                                  int32_t httpStatus, std::string_view message) const {
  llmp_incoming_request none{};
  Exchange exchange(none, responder);
  return exchange.sendError(mapError(code, httpStatus, std::string(message)));
}

}  // namespace llmp::plugins::anthropic
