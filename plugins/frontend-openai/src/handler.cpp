#include "handler.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/json_writer.hpp>
#include <llmp/cpp/sinks.hpp>

#include <optional>

#include "completion_accumulator.hpp"
#include "models.hpp"
#include "plain_request.hpp"
#include "request.hpp"
#include "response.hpp"
#include "route.hpp"
#include "stream.hpp"

namespace llmp::plugins::frontend_openai {
namespace {

constexpr std::string_view kJsonType = "application/json";

llmp_header header(std::string_view name, std::string_view value) {
  return llmp_header{toBytes(name), toBytes(value)};
}

// Tracks what went out so a late failure knows whether it can still be an HTTP status.
class Reply {
 public:
  explicit Reply(const llmp_responder& responder) : responder_(responder) {}

  bool begun() const { return begun_; }

  llmp_status sendJson(int32_t status, const Json& body, std::string_view retryAfter = {}) {
    return sendJsonText(status, dumpJson(body), retryAfter);
  }

  llmp_status sendJsonText(int32_t status, std::string_view text, std::string_view retryAfter = {}) {
    llmp_header headers[2] = {header("content-type", kJsonType), header("retry-after", retryAfter)};
    return responder_.send(responder_.ctx, status, headers, retryAfter.empty() ? 1 : 2,
                           toBytes(text));
  }

  llmp_status sendError(const ApiError& error) {
    std::string retryAfter =
        error.httpStatus == 429 ? retryAfterSeconds(error.retryAfterMs) : std::string();
    return sendJson(error.httpStatus, errorJson(error), retryAfter);
  }

  llmp_status write(std::string_view sse) {
    if (!begun_) {
      begun_ = true;
      llmp_header headers[3] = {header("content-type", "text/event-stream"),
                                header("cache-control", "no-cache"),
                                header("x-accel-buffering", "no")};
      llmp_status status = responder_.begin(responder_.ctx, 200, headers, 3);
      if (status != LLMP_OK) {
        return status;
      }
    }
    if (sse.empty()) {
      return LLMP_OK;
    }
    return responder_.write(responder_.ctx, toBytes(sse));
  }

 private:
  const llmp_responder& responder_;
  bool begun_ = false;
};

ApiError simpleError(int32_t status, std::string message, std::string code = {},
                     std::string param = {}) {
  ApiError error;
  error.httpStatus = status;
  error.message = std::move(message);
  error.code = std::move(code);
  error.param = std::move(param);
  return error;
}

ApiError routerFailure(llmp_status status, const ErrorRecord& err) {
  if (err.isSet()) {
    return fromErrorRecord(err);
  }
  ErrorRecord fallback;
  fallback.code = status;
  fallback.message = "the request failed (status " + std::to_string(status) + ")";
  return fromErrorRecord(fallback);
}

std::optional<Json> listModels(const llmp_router& router, Reply& reply, llmp_status* status) {
  StringSink out;
  ErrorRecord err;
  llmp_status rc = router.list_models(router.ctx, out.sink(), err.sink());
  if (rc != LLMP_OK) {
    *status = reply.sendError(routerFailure(rc, err));
    return std::nullopt;
  }
  std::optional<Json> models = parseJson(out.value());
  if (!models || !models->is_array()) {
    *status = reply.sendError(simpleError(500, "the model list could not be read"));
    return std::nullopt;
  }
  return models;
}

// The request's metadata as JSON text, written directly (keys in sorted order, the bytes a dumped
// DOM would have) where a DOM would cost a heap node per member.
std::string requestMetadata(const llmp_incoming_request& request) {
  JsonWriter out;
  out.beginObject().key("frontend").string("openai").key("headers").beginObject();
  std::string_view agent = findHeader(request.headers, request.header_count, "user-agent");
  if (!agent.empty()) {
    out.key("user-agent").string(agent);
  }
  out.endObject().endObject();
  return out.take();
}

// A chat request's body, translated: what the router call and the reply need.
struct ChatRequest {
  std::string model;
  bool stream = false;
  bool includeUsage = false;
  bool logprobs = false;
  std::string ir;  // IR JSON text
};

// Translates the body, or returns the 400 to answer. A plain body (plain_request.hpp) is written
// straight to IR text; any other goes through a DOM and translateRequest, which also finds every
// client mistake.
std::optional<ApiError> readChatRequest(std::string_view body, Services& services,
                                        ChatRequest& out) {
  if (std::optional<PlainRequest> plain = translatePlainRequest(body)) {
    out.model = std::move(plain->model);
    out.stream = plain->stream;
    out.includeUsage = plain->includeUsage;
    out.ir = std::move(plain->ir);
    return std::nullopt;
  }
  std::string parseError;
  std::optional<Json> parsed = parseJson(body, &parseError);
  if (!parsed) {
    return simpleError(400,
                       "We could not parse the JSON body of your request (" + parseError +
                           "). The OpenAI API expects a JSON payload.",
                       "invalid_json");
  }
  try {
    TranslatedRequest translated = translateRequest(*parsed, services);
    out.model = std::move(translated.model);
    out.stream = translated.stream;
    out.includeUsage = translated.includeUsage;
    out.logprobs = translated.logprobs;
    out.ir = dumpJson(translated.ir);
  } catch (const RequestError& e) {
    return simpleError(400, e.what(), e.code(), e.param());
  }
  return std::nullopt;
}

llmp_status serveChat(const llmp_incoming_request& request, const llmp_router& router,
                      Services& services, Reply& reply) {
  ChatRequest translated;
  if (std::optional<ApiError> error = readChatRequest(view(request.body), services, translated)) {
    return reply.sendError(*error);
  }

  std::string metadata = requestMetadata(request);
  std::string_view session = findHeader(request.headers, request.header_count, "x-session-id");
  llmp_generate_request req{};
  req.struct_size = sizeof(req);
  req.model = toBytes(translated.model);
  req.ir = toBytes(translated.ir);
  req.flags = translated.stream ? LLMP_GENERATE_STREAM : 0;
  req.session_id = toBytes(session);
  req.metadata = toBytes(metadata);

  ResponseMeta meta{mintCompletionId(services), services.nowSeconds(), translated.model};
  ResponseOptions options{translated.logprobs, translated.includeUsage};
  ErrorRecord err;

  if (!translated.stream) {
    CompletionAccumulator accumulated(options);
    EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
      if (kind == LLMP_EVENT_CHUNK) {
        accumulated.add(data);
      }
      return LLMP_OK;
    });
    llmp_status rc = router.generate(router.ctx, &req, sink.sink(), err.sink());
    if (rc != LLMP_OK) {
      return reply.sendError(routerFailure(rc, err));
    }
    if (accumulated.empty()) {
      return reply.sendError(simpleError(502, "The backend returned no response.", "empty_response"));
    }
    CompletionResult result = accumulated.render(meta, options, services);
    if (result.error) {
      return reply.sendError(*result.error);
    }
    return reply.sendJsonText(200, result.body);
  }

  StreamRenderer renderer(meta, options, services);
  std::optional<ApiError> pendingError;  // failed before anything was written: an HTTP error
  bool stoppedByUs = false;
  llmp_status clientStatus = LLMP_OK;
  auto deliver = [&](StreamRenderer::Output out) -> llmp_status {
    if (out.error && !reply.begun()) {
      pendingError = std::move(out.error);
      stoppedByUs = true;
      return LLMP_E_CANCELLED;
    }
    llmp_status st = LLMP_OK;
    if (!out.sse.empty()) {
      st = reply.write(out.sse);
    }
    if (st == LLMP_OK && out.error) {
      st = reply.write(StreamRenderer::errorEvent(*out.error));
      stoppedByUs = true;
      return st == LLMP_OK ? LLMP_E_CANCELLED : st;
    }
    return st;
  };
  EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
    if (renderer.done()) {
      return LLMP_E_CANCELLED;
    }
    llmp_status st = LLMP_OK;
    if (kind == LLMP_EVENT_CHUNK) {
      st = deliver(renderer.onChunkText(data));
    } else if (kind == LLMP_EVENT_KEEPALIVE) {
      st = reply.write(StreamRenderer::keepAlive());
    }
    if (st != LLMP_OK && !stoppedByUs) {
      clientStatus = st;
    }
    return st;
  });
  llmp_status rc = router.generate(router.ctx, &req, sink.sink(), err.sink());
  if (pendingError) {
    return reply.sendError(*pendingError);
  }
  if (clientStatus != LLMP_OK || stoppedByUs) {
    return clientStatus;  // the client left, or the stream already ended with an error event
  }
  if (rc != LLMP_OK) {
    ApiError failure = routerFailure(rc, err);
    if (!reply.begun()) {
      return reply.sendError(failure);
    }
    return reply.write(StreamRenderer::errorEvent(failure));
  }
  llmp_status st = deliver(renderer.finish());
  if (pendingError) {
    return reply.sendError(*pendingError);
  }
  return st == LLMP_E_CANCELLED && stoppedByUs ? LLMP_OK : st;
}

llmp_status serve(const llmp_incoming_request& request, const llmp_router& router,
                  Services& services, Reply& reply) {
  std::string_view method = view(request.method);
  std::string_view path = view(request.path);
  Route route = parseRoute(method, path);
  switch (route.action) {
    case Action::ChatCompletions:
      return serveChat(request, router, services, reply);
    case Action::ListModels: {
      llmp_status status = LLMP_OK;
      std::optional<Json> models = listModels(router, reply, &status);
      if (!models) {
        return status;
      }
      return reply.sendJson(200, renderModelList(*models, services.nowSeconds()));
    }
    case Action::GetModel: {
      llmp_status status = LLMP_OK;
      std::optional<Json> models = listModels(router, reply, &status);
      if (!models) {
        return status;
      }
      std::optional<Json> model = findModel(*models, route.modelId, services.nowSeconds());
      if (!model) {
        return reply.sendError(simpleError(
            404, "The model '" + route.modelId + "' does not exist.", "model_not_found", "model"));
      }
      return reply.sendJson(200, *model);
    }
    case Action::WrongMethod:
      return reply.sendError(simpleError(
          405, "Method " + std::string(method) + " is not allowed on " + std::string(path) + ".",
          "method_not_allowed"));
    case Action::NotFound:
      break;
  }
  return reply.sendError(simpleError(
      404, "Unknown request URL: " + std::string(method) + " " + std::string(path) +
               ". Please check the URL for typos.",
      "unknown_url"));
}

}  // namespace

llmp_status handleRequest(const llmp_incoming_request& request, const llmp_responder& responder,
                          const llmp_router& router, Services& services) {
  Reply reply(responder);
  try {
    return serve(request, router, services, reply);
  } catch (const std::exception& e) {
    services.log(LLMP_LOG_ERROR, std::string("frontend-openai: internal error: ") + e.what());
    ApiError error = simpleError(500, std::string("internal error: ") + e.what());
    if (!reply.begun()) {
      return reply.sendError(error);
    }
    return reply.write(StreamRenderer::errorEvent(error));
  }
}

llmp_status renderHostError(const llmp_responder& responder, llmp_status code,
                            int32_t httpStatus, std::string_view message) {
  ApiError error;
  error.httpStatus = httpStatus > 0 ? httpStatus : defaultHttpStatus(code);
  error.message = message.empty() ? "request refused" : std::string(message);
  if (error.httpStatus == 401) {
    error.code = "invalid_api_key";
  } else if (error.httpStatus == 404) {
    error.code = "unknown_url";
  }
  Reply reply(responder);
  return reply.sendError(error);
}

}  // namespace llmp::plugins::frontend_openai
