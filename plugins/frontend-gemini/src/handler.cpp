#include "handler.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>

#include <optional>

#include "google_error.hpp"
#include "json_check.hpp"
#include "model_list.hpp"
#include "route.hpp"
#include "stream_renderer.hpp"

namespace llmp::plugins::frontend_gemini {
namespace {

constexpr std::string_view kJsonType = "application/json; charset=UTF-8";

llmp_header header(std::string_view name, std::string_view value) {
  return llmp_header{toBytes(name), toBytes(value)};
}

// Tracks whether anything went out, so a late failure knows if it can still send an error.
class Reply {
 public:
  explicit Reply(const llmp_responder& responder) : responder_(responder) {}

  bool started() const { return started_; }

  llmp_status sendJson(int32_t status, std::string_view body, std::string_view retryAfter = {}) {
    llmp_header headers[2] = {header("content-type", kJsonType),
                              header("retry-after", retryAfter)};
    started_ = true;
    return responder_.send(responder_.ctx, status, headers, retryAfter.empty() ? 1 : 2,
                           toBytes(body));
  }

  llmp_status sendError(const RenderedError& error) {
    std::string retryAfter =
        error.httpStatus == 429 && error.retryAfterMs >= 0 ? retryAfterSeconds(error.retryAfterMs)
                                                           : std::string();
    return sendJson(error.httpStatus, error.body, retryAfter);
  }

  llmp_status sendError(int32_t status, std::string_view message) {
    return sendJson(status, googleErrorJson(status, message));
  }

  llmp_status begin(const char* contentType) {
    llmp_header headers[2] = {header("content-type", contentType),
                              header("cache-control", "no-cache")};
    started_ = true;
    return responder_.begin(responder_.ctx, 200, headers, 2);
  }

  llmp_status write(std::string_view bytes) {
    return responder_.write(responder_.ctx, toBytes(bytes));
  }

 private:
  const llmp_responder& responder_;
  bool started_ = false;
};

void appendJsonString(std::string& out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else if (c >= 0x80) {
      out.push_back('?');  // header values are ASCII; never hand on broken UTF-8
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

ErrorRecord completeError(ErrorRecord err, llmp_status rc) {
  if (!err.isSet()) {
    err.code = rc;
    err.message = "The request failed.";
  }
  return err;
}

llmp_generate_request generateRequest(const Route& route, std::string_view ir, uint32_t flags,
                                      const llmp_incoming_request& request,
                                      const std::string& metadata) {
  llmp_generate_request req{};
  req.struct_size = sizeof(llmp_generate_request);
  req.model = toBytes(route.model);
  req.ir = toBytes(ir);
  req.flags = flags;
  req.session_id = toBytes(findHeader(request.headers, request.header_count, "x-session-id"));
  req.metadata = toBytes(metadata);
  return req;
}

llmp_status serveGenerate(const Route& route, const llmp_incoming_request& request, Reply& reply,
                          const llmp_router& router) {
  std::string_view body = view(request.body);
  CheckResult check = checkGenerateRequest(body);
  if (!check.ok) {
    return reply.sendError(400, check.message);
  }
  std::string metadata = requestMetadata(request.headers, request.header_count);
  llmp_generate_request req = generateRequest(route, body, 0, request, metadata);

  std::vector<std::string> chunks;
  EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
    if (kind == LLMP_EVENT_CHUNK) {
      chunks.emplace_back(data);
    }
    return LLMP_OK;
  });
  ErrorRecord err;
  llmp_status rc = router.generate(router.ctx, &req, sink.sink(), err.sink());
  if (rc != LLMP_OK) {
    return reply.sendError(renderRouterError(completeError(std::move(err), rc)));
  }
  if (chunks.empty()) {
    return reply.sendError(502, "The backend finished without an answer.");
  }
  if (chunks.size() == 1) {
    return reply.sendJson(200, chunks.front());
  }
  return reply.sendJson(200, mergeResponseChunks(chunks));
}

llmp_status serveStream(const Route& route, const llmp_incoming_request& request, Reply& reply,
                        const llmp_router& router) {
  std::string_view body = view(request.body);
  CheckResult check = checkGenerateRequest(body);
  if (!check.ok) {
    return reply.sendError(400, check.message);
  }
  std::string metadata = requestMetadata(request.headers, request.header_count);
  llmp_generate_request req = generateRequest(route, body, LLMP_GENERATE_STREAM, request, metadata);

  StreamRenderer renderer(wantsSse(view(request.query)) ? StreamRenderer::Mode::Sse
                                                        : StreamRenderer::Mode::JsonArray);
  std::string buffer;
  llmp_status clientStatus = LLMP_OK;
  // Begins the response on the first byte to send (so an error before any output still gets
  // its own HTTP status) and writes the buffer; remembers a client that went away.
  auto flush = [&]() -> llmp_status {
    if (clientStatus == LLMP_OK && !reply.started()) {
      clientStatus = reply.begin(renderer.contentType());
    }
    if (clientStatus == LLMP_OK && !buffer.empty()) {
      clientStatus = reply.write(buffer);
    }
    return clientStatus;
  };
  EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
    if (clientStatus != LLMP_OK) {
      return clientStatus;
    }
    buffer.clear();
    if (kind == LLMP_EVENT_CHUNK) {
      renderer.chunk(data, buffer);
    } else if (kind == LLMP_EVENT_KEEPALIVE) {
      renderer.keepalive(buffer);
    } else {
      return LLMP_OK;
    }
    return flush();
  });
  ErrorRecord err;
  llmp_status rc = router.generate(router.ctx, &req, sink.sink(), err.sink());
  if (clientStatus != LLMP_OK) {
    return LLMP_E_CANCELLED;
  }
  buffer.clear();
  if (rc == LLMP_OK) {
    renderer.finish(buffer);
    flush();
  } else {
    RenderedError error = renderRouterError(completeError(std::move(err), rc));
    if (!reply.started()) {
      return reply.sendError(error);
    }
    renderer.error(error.body, buffer);
    flush();
  }
  return clientStatus == LLMP_OK ? LLMP_OK : LLMP_E_CANCELLED;
}

llmp_status serveCountTokens(const Route& route, const llmp_incoming_request& request,
                             Reply& reply, const llmp_router& router) {
  std::string_view ir;
  CheckResult check = checkCountTokensRequest(view(request.body), &ir);
  if (!check.ok) {
    return reply.sendError(400, check.message);
  }
  if (router.count_tokens == nullptr) {
    return reply.sendError(501, "countTokens is not supported by this proxy.");
  }
  std::string metadata = requestMetadata(request.headers, request.header_count);
  llmp_generate_request req = generateRequest(route, ir, 0, request, metadata);
  StringSink out;
  ErrorRecord err;
  llmp_status rc = router.count_tokens(router.ctx, &req, out.sink(), err.sink());
  if (rc != LLMP_OK) {
    return reply.sendError(renderRouterError(completeError(std::move(err), rc)));
  }
  return reply.sendJson(200, out.value());
}

// The router's models as Gemini Model objects; on failure the error was already answered.
std::optional<std::vector<Json>> loadModels(Reply& reply, const llmp_router& router,
                                            llmp_status* status) {
  StringSink out;
  ErrorRecord err;
  llmp_status rc = router.list_models(router.ctx, out.sink(), err.sink());
  if (rc != LLMP_OK) {
    *status = reply.sendError(renderRouterError(completeError(std::move(err), rc)));
    return std::nullopt;
  }
  std::optional<Json> parsed = parseJson(out.value());
  if (!parsed || !parsed->is_array()) {
    *status = reply.sendError(500, "The model list could not be read.");
    return std::nullopt;
  }
  return geminiModels(*parsed);
}

llmp_status serveList(const llmp_incoming_request& request, Reply& reply,
                      const llmp_router& router) {
  std::string_view query = view(request.query);
  size_t pageSize = kDefaultPageSize;
  if (std::optional<std::string> text = queryParam(query, "pageSize"); text && !text->empty()) {
    long long value = 0;
    bool digits = text->size() <= 18;
    size_t start = (*text)[0] == '-' ? 1 : 0;
    for (size_t i = start; digits && i < text->size(); ++i) {
      digits = (*text)[i] >= '0' && (*text)[i] <= '9';
      value = value * 10 + ((*text)[i] - '0');
    }
    if (!digits || start == text->size()) {
      return reply.sendError(400, "Invalid value at 'page_size' (TYPE_INT32), \"" + *text + "\"");
    }
    if (start == 0 && value > 0) {
      pageSize = value > static_cast<long long>(kMaxPageSize) ? kMaxPageSize
                                                              : static_cast<size_t>(value);
    }
  }
  size_t offset = 0;
  if (std::optional<std::string> token = queryParam(query, "pageToken"); token && !token->empty()) {
    std::optional<size_t> decoded = decodePageToken(*token);
    if (!decoded) {
      return reply.sendError(400, "Invalid page token.");
    }
    offset = *decoded;
  }
  llmp_status status = LLMP_OK;
  std::optional<std::vector<Json>> models = loadModels(reply, router, &status);
  if (!models) {
    return status;
  }
  return reply.sendJson(200, renderModelPage(*models, std::min(offset, models->size()), pageSize));
}

llmp_status serveGet(const Route& route, Reply& reply, const llmp_router& router) {
  llmp_status status = LLMP_OK;
  std::optional<std::vector<Json>> models = loadModels(reply, router, &status);
  if (!models) {
    return status;
  }
  const Json* model = findModel(*models, route.model);
  if (model == nullptr) {
    return reply.sendError(404, "models/" + route.model + " is not found for API version " +
                                    std::string(route.version) +
                                    ". Call ListModels to see the list of available models.");
  }
  return reply.sendJson(200, dumpJson(*model));
}

llmp_status dispatch(const llmp_incoming_request& request, Reply& reply,
                     const llmp_router& router) {
  std::string_view method = view(request.method);
  std::string_view path = view(request.path);
  Route route = parseRoute(method, path);
  switch (route.action) {
    case Action::Generate:
      return serveGenerate(route, request, reply, router);
    case Action::StreamGenerate:
      return serveStream(route, request, reply, router);
    case Action::CountTokens:
      return serveCountTokens(route, request, reply, router);
    case Action::List:
      return serveList(request, reply, router);
    case Action::Get:
      return serveGet(route, reply, router);
    case Action::Unsupported:
      return reply.sendError(501, route.method + " is not supported by this proxy.");
    case Action::UnknownMethod:
      return reply.sendError(404, "Method '" + route.method +
                                      "' not found. Use generateContent, streamGenerateContent "
                                      "or countTokens.");
    case Action::WrongHttpMethod:
      return reply.sendError(404, "Method " + std::string(method) + " is not allowed on " +
                                      std::string(path) + ".");
    case Action::BadEscape:
      return reply.sendError(400, "Invalid percent-encoding in the model name of " +
                                      std::string(path) + ".");
    case Action::NotFound:
      break;
  }
  return reply.sendError(404, "The requested URL " + std::string(path) +
                                  " was not found on this server.");
}

}  // namespace

llmp_status handleRequest(const llmp_incoming_request& request, const llmp_responder& responder,
                          const llmp_router& router) {
  Reply reply(responder);
  try {
    llmp_status status = dispatch(request, reply, router);
    return status == LLMP_OK ? LLMP_OK : LLMP_E_CANCELLED;
  } catch (const std::exception& e) {
    if (!reply.started()) {
      reply.sendError(500, std::string("Internal error: ") + e.what());
      return LLMP_OK;
    }
    return LLMP_E_INTERNAL;
  } catch (...) {
    if (!reply.started()) {
      reply.sendError(500, "Internal error.");
      return LLMP_OK;
    }
    return LLMP_E_INTERNAL;
  }
}

llmp_status renderHostError(const llmp_responder& responder, llmp_status code,
                            int32_t httpStatus, std::string_view message) {
  if (httpStatus <= 0) {
    httpStatus = defaultHttpStatus(code);
  }
  if (httpStatus < 400 || httpStatus > 599) {
    httpStatus = 500;
  }
  Reply reply(responder);
  return reply.sendError(httpStatus, message.empty() ? "The request failed." : message);
}

std::string requestMetadata(const llmp_header* headers, size_t headerCount) {
  std::string out = R"({"frontend":"gemini","headers":{)";
  bool first = true;
  for (std::string_view name : {std::string_view("user-agent"), std::string_view("x-goog-api-client")}) {
    std::string_view value = findHeader(headers, headerCount, name);
    if (value.empty()) {
      continue;
    }
    if (!first) {
      out.push_back(',');
    }
    first = false;
    appendJsonString(out, name);
    out.push_back(':');
    appendJsonString(out, value);
  }
  out.append("}}");
  return out;
}

std::string mergeResponseChunks(const std::vector<std::string>& chunks) {
  Json merged = Json::object();
  for (const std::string& text : chunks) {
    std::optional<Json> chunk = parseJson(text);
    if (!chunk || !chunk->is_object()) {
      continue;
    }
    for (auto& [key, value] : chunk->items()) {
      if (key != "candidates" || !value.is_array()) {
        merged[key] = value;
        continue;
      }
      Json& candidates = merged["candidates"];
      if (!candidates.is_array()) {
        candidates = Json::array();
      }
      for (const Json& candidate : value) {
        if (!candidate.is_object()) {
          continue;
        }
        int64_t index = candidate.value("index", int64_t{0});
        Json* target = nullptr;
        for (Json& existing : candidates) {
          if (existing.value("index", int64_t{0}) == index) {
            target = &existing;
          }
        }
        if (target == nullptr) {
          candidates.push_back(candidate);
          continue;
        }
        for (auto& [field, fieldValue] : candidate.items()) {
          if (field != "content" || !fieldValue.is_object()) {
            (*target)[field] = fieldValue;
            continue;
          }
          Json& content = (*target)["content"];
          for (auto& [contentKey, contentValue] : fieldValue.items()) {
            if (contentKey == "parts" && contentValue.is_array() && content.contains("parts") &&
                content["parts"].is_array()) {
              for (const Json& part : contentValue) {
                content["parts"].push_back(part);
              }
            } else {
              content[contentKey] = contentValue;
            }
          }
        }
      }
    }
  }
  return dumpJson(merged);
}

}  // namespace llmp::plugins::frontend_gemini
