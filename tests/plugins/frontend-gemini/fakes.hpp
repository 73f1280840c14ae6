// A scripted router and a recording responder for driving the front end's handler in-process.
#pragma once

#include <llmp/frontend.h>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace gemini_test {

inline std::string readGolden(const std::string& name) {
  std::ifstream in(std::string(GOLDEN_DIR) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Records what the front end answered.
struct FakeResponder {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // send() body, or the concatenation of write()s
  std::vector<std::string> writes;
  int sendCalls = 0;
  int beginCalls = 0;
  int cancelFromWrite = -1;  // 0-based write index from which write() reports the client gone

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (llmp::iequals(k, name)) {
        return v;
      }
    }
    return {};
  }
  bool hasHeader(const std::string& name) const {
    for (const auto& h : headers) {
      if (llmp::iequals(h.first, name)) {
        return true;
      }
    }
    return false;
  }

  llmp_responder responder() {
    llmp_responder r{};
    r.struct_size = sizeof(r);
    r.ctx = this;
    r.send = [](void* ctx, int32_t status, const llmp_header* h, size_t n, llmp_bytes body) {
      auto* self = static_cast<FakeResponder*>(ctx);
      ++self->sendCalls;
      self->status = status;
      self->record(h, n);
      self->body = llmp::str(body);
      return LLMP_OK;
    };
    r.begin = [](void* ctx, int32_t status, const llmp_header* h, size_t n) {
      auto* self = static_cast<FakeResponder*>(ctx);
      ++self->beginCalls;
      self->status = status;
      self->record(h, n);
      return LLMP_OK;
    };
    r.write = [](void* ctx, llmp_bytes data) -> llmp_status {
      auto* self = static_cast<FakeResponder*>(ctx);
      if (self->cancelFromWrite >= 0 &&
          static_cast<int>(self->writes.size()) >= self->cancelFromWrite) {
        return LLMP_E_CANCELLED;
      }
      self->writes.push_back(llmp::str(data));
      self->body += llmp::str(data);
      return LLMP_OK;
    };
    return r;
  }

 private:
  void record(const llmp_header* h, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      headers.emplace_back(llmp::str(h[i].name), llmp::str(h[i].value));
    }
  }
};

// Replays scripted events and a final status; records what it was asked.
struct FakeRouter {
  struct Event {
    uint32_t kind;
    std::string data;
  };
  std::vector<Event> events;
  llmp_status result = LLMP_OK;
  llmp_status errCode = LLMP_OK;
  int32_t errHttp = 0;
  int64_t errRetryMs = -1;
  std::string errMessage;
  std::string errBody;
  std::string countResult = R"({"totalTokens":31,"cachedContentTokenCount":0})";
  std::string modelsJson = "[]";

  // Recorded.
  int generateCalls = 0;
  int countCalls = 0;
  std::string model;
  std::string ir;
  uint32_t flags = 99;
  std::string sessionId;
  std::string metadata;
  std::vector<llmp_status> emitResults;

  void failWith(llmp_status code, int32_t http, std::string message, std::string body = {},
                int64_t retryMs = -1) {
    result = code;
    errCode = code;
    errHttp = http;
    errMessage = std::move(message);
    errBody = std::move(body);
    errRetryMs = retryMs;
  }

  llmp_router router() {
    llmp_router r{};
    r.struct_size = sizeof(r);
    r.ctx = this;
    r.generate = [](void* ctx, const llmp_generate_request* req, const llmp_event_sink* sink,
                    const llmp_error_sink* err) -> llmp_status {
      auto* self = static_cast<FakeRouter*>(ctx);
      ++self->generateCalls;
      self->recordRequest(req);
      for (const Event& e : self->events) {
        llmp_status s = sink->emit(sink->ctx, e.kind, llmp::toBytes(e.data));
        self->emitResults.push_back(s);
        if (s != LLMP_OK) {
          llmp::setError(err, LLMP_E_CANCELLED, 499, "client went away");
          return LLMP_E_CANCELLED;
        }
      }
      return self->finish(err);
    };
    r.count_tokens = [](void* ctx, const llmp_generate_request* req, const llmp_bytes_sink* out,
                        const llmp_error_sink* err) -> llmp_status {
      auto* self = static_cast<FakeRouter*>(ctx);
      ++self->countCalls;
      self->recordRequest(req);
      if (self->result != LLMP_OK) {
        return self->finish(err);
      }
      out->write(out->ctx, llmp::toBytes(self->countResult));
      return LLMP_OK;
    };
    r.list_models = [](void* ctx, const llmp_bytes_sink* out,
                       const llmp_error_sink* err) -> llmp_status {
      auto* self = static_cast<FakeRouter*>(ctx);
      if (self->result != LLMP_OK) {
        return self->finish(err);
      }
      out->write(out->ctx, llmp::toBytes(self->modelsJson));
      return LLMP_OK;
    };
    return r;
  }

 private:
  void recordRequest(const llmp_generate_request* req) {
    model = llmp::str(req->model);
    ir = llmp::str(req->ir);
    flags = req->flags;
    sessionId = llmp::str(req->session_id);
    metadata = llmp::str(req->metadata);
  }
  llmp_status finish(const llmp_error_sink* err) {
    if (result != LLMP_OK) {
      llmp::setError(err, errCode, errHttp, errMessage, errBody, errRetryMs);
    }
    return result;
  }
};

// An incoming request whose strings live in the struct.
struct Request {
  std::string method = "POST";
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<llmp_header> headerView;

  Request(std::string m, std::string p, std::string b = {}, std::string q = {})
      : method(std::move(m)), path(std::move(p)), query(std::move(q)), body(std::move(b)) {}

  const llmp_incoming_request& get() {
    headerView.clear();
    for (const auto& [k, v] : headers) {
      headerView.push_back(llmp_header{llmp::toBytes(k), llmp::toBytes(v)});
    }
    req_ = llmp_incoming_request{};
    req_.struct_size = sizeof(req_);
    req_.method = llmp::toBytes(method);
    req_.path = llmp::toBytes(path);
    req_.query = llmp::toBytes(query);
    req_.headers = headerView.data();
    req_.header_count = headerView.size();
    req_.body = llmp::toBytes(body);
    req_.remote_address = llmp::toBytes("127.0.0.1:5000");
    return req_;
  }

 private:
  llmp_incoming_request req_{};
};

}  // namespace gemini_test
