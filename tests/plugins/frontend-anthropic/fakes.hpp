// A fake llmp_router that replays scripted IR events and records what it was asked, and a fake
// llmp_responder that records what the front end answered.
#pragma once

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/frontend.h>

#include <string>
#include <utility>
#include <vector>

#include "handler.hpp"

namespace llmp::plugins::anthropic::testing {

struct ScriptedEvent {
  uint32_t kind = LLMP_EVENT_CHUNK;
  std::string data;
};

struct FakeRouter {
  // Script.
  std::vector<ScriptedEvent> events;
  llmp_status status = LLMP_OK;
  int32_t httpStatus = 0;
  int64_t retryAfterMs = -1;
  std::string message;
  std::string errorBody;
  std::string countResult = R"({"totalTokens":42})";
  std::string models = "[]";

  // Recorded.
  int generateCalls = 0;
  int countCalls = 0;
  std::string model;
  Json ir;
  uint32_t flags = 0;
  std::string sessionId;
  Json metadata;
  std::vector<llmp_status> emitResults;

  llmp_router router() {
    llmp_router r{};
    r.struct_size = sizeof(r);
    r.ctx = this;
    r.generate = [](void* ctx, const llmp_generate_request* req, const llmp_event_sink* sink,
                    const llmp_error_sink* err) -> llmp_status {
      auto* self = static_cast<FakeRouter*>(ctx);
      ++self->generateCalls;
      self->record(*req);
      for (const auto& event : self->events) {
        llmp_status s = sink->emit(sink->ctx, event.kind, toBytes(event.data));
        self->emitResults.push_back(s);
        if (s != LLMP_OK) {
          setError(err, s, 0, "cancelled");
          return s;
        }
      }
      if (self->status != LLMP_OK) {
        setError(err, self->status, self->httpStatus, self->message, self->errorBody,
                 self->retryAfterMs);
      }
      return self->status;
    };
    r.count_tokens = [](void* ctx, const llmp_generate_request* req, const llmp_bytes_sink* out,
                        const llmp_error_sink* err) -> llmp_status {
      auto* self = static_cast<FakeRouter*>(ctx);
      ++self->countCalls;
      self->record(*req);
      if (self->status != LLMP_OK) {
        setError(err, self->status, self->httpStatus, self->message, self->errorBody,
                 self->retryAfterMs);
        return self->status;
      }
      return out->write(out->ctx, toBytes(self->countResult));
    };
    r.list_models = [](void* ctx, const llmp_bytes_sink* out,
                       const llmp_error_sink* err) -> llmp_status {
      auto* self = static_cast<FakeRouter*>(ctx);
      if (self->status != LLMP_OK) {
        setError(err, self->status, self->httpStatus, self->message, self->errorBody,
                 self->retryAfterMs);
        return self->status;
      }
      return out->write(out->ctx, toBytes(self->models));
    };
    return r;
  }

  void chunk(const Json& irChunk) { events.push_back({LLMP_EVENT_CHUNK, irChunk.dump()}); }
  void keepAlive() { events.push_back({LLMP_EVENT_KEEPALIVE, ""}); }

 private:
  void record(const llmp_generate_request& req) {
    model = str(req.model);
    ir = Json::parse(view(req.ir));
    flags = req.flags;
    sessionId = str(req.session_id);
    metadata = req.metadata.len ? Json::parse(view(req.metadata)) : Json();
  }
};

struct FakeResponder {
  int sendCalls = 0;
  int beginCalls = 0;
  int32_t status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Fails writes from this many successful ones on, as a client that went away.
  int writesBeforeCancel = -1;
  int writes = 0;

  llmp_responder responder() {
    llmp_responder r{};
    r.struct_size = sizeof(r);
    r.ctx = this;
    r.send = [](void* ctx, int32_t status, const llmp_header* headers, size_t count,
                llmp_bytes body) -> llmp_status {
      auto* self = static_cast<FakeResponder*>(ctx);
      ++self->sendCalls;
      self->status = status;
      self->copyHeaders(headers, count);
      self->body = str(body);
      return LLMP_OK;
    };
    r.begin = [](void* ctx, int32_t status, const llmp_header* headers,
                 size_t count) -> llmp_status {
      auto* self = static_cast<FakeResponder*>(ctx);
      ++self->beginCalls;
      self->status = status;
      self->copyHeaders(headers, count);
      return LLMP_OK;
    };
    r.write = [](void* ctx, llmp_bytes data) -> llmp_status {
      auto* self = static_cast<FakeResponder*>(ctx);
      if (self->writesBeforeCancel >= 0 && self->writes >= self->writesBeforeCancel) {
        return LLMP_E_CANCELLED;
      }
      ++self->writes;
      self->body += str(data);
      return LLMP_OK;
    };
    return r;
  }

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (iequals(k, name)) {
        return v;
      }
    }
    return {};
  }
  Json json() const { return Json::parse(body); }

 private:
  void copyHeaders(const llmp_header* list, size_t count) {
    headers.clear();
    for (size_t i = 0; i < count; ++i) {
      headers.emplace_back(str(list[i].name), str(list[i].value));
    }
  }
};

// An incoming request with owned storage.
struct Request {
  std::string method = "POST";
  std::string path = "/v1/messages";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headerValues = {
      {"anthropic-version", "2023-06-01"}, {"content-type", "application/json"}};
  std::string body;

  llmp_incoming_request view() {
    headers_.clear();
    for (const auto& [k, v] : headerValues) {
      headers_.push_back({toBytes(k), toBytes(v)});
    }
    llmp_incoming_request in{};
    in.struct_size = sizeof(in);
    in.method = toBytes(method);
    in.path = toBytes(path);
    in.query = toBytes(query);
    in.headers = headers_.data();
    in.header_count = headers_.size();
    in.body = toBytes(body);
    in.remote_address = toBytes("127.0.0.1:1");
    return in;
  }

 private:
  std::vector<llmp_header> headers_;
};

// Runs one request through Frontend::handle.
inline void run(Request& request, FakeRouter& router, FakeResponder& responder) {
  Frontend frontend;
  llmp_incoming_request in = request.view();
  llmp_responder r = responder.responder();
  llmp_router rt = router.router();
  frontend.handle(in, r, rt);
}

// Replaces minted ids ("msg_", "toolu_", "req_" + 24 hex) by "<prefix>_<minted>".
std::string normalizeIds(const std::string& text);

// Splits an SSE body into (event name, data JSON) pairs.
std::vector<std::pair<std::string, Json>> parseSse(const std::string& body);

}  // namespace llmp::plugins::anthropic::testing
