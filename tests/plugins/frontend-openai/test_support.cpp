#include "test_support.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>

#include <gtest/gtest.h>

#include <cstdio>

#include "handler.hpp"

namespace llmp::plugins::frontend_openai::testing {

std::optional<std::string> FakeServices::kvGet(std::string_view key) {
  auto it = kv.find(std::string(key));
  if (it == kv.end()) {
    return std::nullopt;
  }
  return it->second;
}

void FakeServices::kvSet(std::string_view key, std::string_view value, int64_t ttlMs) {
  kv[std::string(key)] = std::string(value);
  ttl[std::string(key)] = ttlMs;
}

void FakeServices::log(int32_t level, std::string_view message) {
  logs.emplace_back(level, std::string(message));
}

std::string FakeServices::randomHex(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%x", ++counter);
  std::string digits(buf);
  return std::string(bytes * 2 - digits.size(), '0') + digits;
}

const llmp_router* FakeRouter::router() {
  router_.struct_size = sizeof(router_);
  router_.ctx = this;
  router_.generate = [](void* ctx, const llmp_generate_request* req, const llmp_event_sink* sink,
                        const llmp_error_sink* err) -> llmp_status {
    auto* self = static_cast<FakeRouter*>(ctx);
    self->calls++;
    self->model = str(req->model);
    self->ir = str(req->ir);
    self->flags = req->flags;
    self->sessionId = str(req->session_id);
    self->metadata = str(req->metadata);
    for (const Event& e : self->events) {
      llmp_status st = sink->emit(sink->ctx, e.kind, toBytes(e.data));
      self->lastEmitStatus = st;
      if (st != LLMP_OK) {
        setError(err, LLMP_E_CANCELLED, 499, "cancelled");
        return LLMP_E_CANCELLED;
      }
    }
    if (self->result != LLMP_OK) {
      setError(err, self->result, self->errorHttpStatus, self->errorMessage, {},
               self->retryAfterMs);
    }
    return self->result;
  };
  router_.count_tokens = [](void*, const llmp_generate_request*, const llmp_bytes_sink*,
                            const llmp_error_sink* err) -> llmp_status {
    setError(err, LLMP_E_UNSUPPORTED, 501, "not in this fake");
    return LLMP_E_UNSUPPORTED;
  };
  router_.list_models = [](void* ctx, const llmp_bytes_sink* out,
                           const llmp_error_sink* err) -> llmp_status {
    auto* self = static_cast<FakeRouter*>(ctx);
    if (self->result != LLMP_OK) {
      setError(err, self->result, self->errorHttpStatus, self->errorMessage);
      return self->result;
    }
    return out->write(out->ctx, toBytes(self->modelsJson));
  };
  return &router_;
}

std::string FakeResponder::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

const llmp_responder* FakeResponder::responder() {
  responder_.struct_size = sizeof(responder_);
  responder_.ctx = this;
  responder_.send = [](void* ctx, int32_t status, const llmp_header* h, size_t n,
                       llmp_bytes body) -> llmp_status {
    auto* self = static_cast<FakeResponder*>(ctx);
    EXPECT_FALSE(self->sent || self->begun) << "send after send/begin";
    self->sent = true;
    self->status = status;
    for (size_t i = 0; i < n; ++i) {
      self->headers.emplace_back(str(h[i].name), str(h[i].value));
    }
    self->body = str(body);
    return LLMP_OK;
  };
  responder_.begin = [](void* ctx, int32_t status, const llmp_header* h,
                        size_t n) -> llmp_status {
    auto* self = static_cast<FakeResponder*>(ctx);
    EXPECT_FALSE(self->sent || self->begun) << "begin after send/begin";
    self->begun = true;
    self->status = status;
    for (size_t i = 0; i < n; ++i) {
      self->headers.emplace_back(str(h[i].name), str(h[i].value));
    }
    return LLMP_OK;
  };
  responder_.write = [](void* ctx, llmp_bytes data) -> llmp_status {
    auto* self = static_cast<FakeResponder*>(ctx);
    EXPECT_TRUE(self->begun) << "write before begin";
    if (self->cancelAfterWrites >= 0 && self->writes >= self->cancelAfterWrites) {
      return LLMP_E_CANCELLED;
    }
    self->writes++;
    self->body += str(data);
    return LLMP_OK;
  };
  return &responder_;
}

void run(FakeRouter& router, FakeResponder& responder, FakeServices& services,
         std::string method, std::string path, std::string body,
         std::vector<std::pair<std::string, std::string>> headers) {
  std::vector<llmp_header> list;
  for (const auto& [k, v] : headers) {
    list.push_back(llmp_header{toBytes(k), toBytes(v)});
  }
  llmp_incoming_request req{};
  req.struct_size = sizeof(req);
  req.method = toBytes(method);
  req.path = toBytes(path);
  req.headers = list.data();
  req.header_count = list.size();
  req.body = toBytes(body);
  handleRequest(req, *responder.responder(), *router.router(), services);
}

std::vector<std::string> sseEvents(const std::string& text) {
  std::vector<std::string> events;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "event not terminated by a blank line: "
                                      << text.substr(pos);
    if (end == std::string::npos) {
      break;
    }
    std::string block = text.substr(pos, end - pos);
    if (block.rfind("data: ", 0) == 0) {
      events.push_back(block.substr(6));
    } else {
      events.push_back(block);
    }
    pos = end + 2;
  }
  return events;
}

}  // namespace llmp::plugins::frontend_openai::testing
