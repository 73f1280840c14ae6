#include "llmp/cpp/host.hpp"

#include "llmp/cpp/sinks.hpp"

#include <chrono>

namespace llmp {

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

void Host::log(int32_t level, std::string_view message) const {
  if (api_ != nullptr && LLMP_HOST_HAS(api_, log)) {
    api_->log(api_, level, toBytes(message));
  }
}

bool Host::logEnabled(int32_t level) const {
  return api_ != nullptr && LLMP_HOST_HAS(api_, log_enabled) && api_->log_enabled(api_, level) != 0;
}

int64_t Host::monotonicMs() const {
  if (api_ != nullptr && LLMP_HOST_HAS(api_, monotonic_ms)) {
    return api_->monotonic_ms(api_);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t Host::wallMs() const {
  if (api_ != nullptr && LLMP_HOST_HAS(api_, wall_ms)) {
    return api_->wall_ms(api_);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
struct FetchCtx {
  const Host::OnHead* onHead;
  const Host::OnBody* onBody;
};
}  // namespace

llmp_status Host::fetch(const HttpRequest& request, const OnHead& onHead, const OnBody& onBody,
                        ErrorRecord* err) const {
  if (api_ == nullptr || !LLMP_HOST_HAS(api_, http_fetch)) {
    setError(err ? err->sink() : nullptr, LLMP_E_UNSUPPORTED, 0, "host has no HTTP client");
    return LLMP_E_UNSUPPORTED;
  }
  std::vector<llmp_header> headers;
  headers.reserve(request.headers.size());
  for (const auto& [k, v] : request.headers) {
    headers.push_back(llmp_header{toBytes(k), toBytes(v)});
  }
  llmp_http_request req{};
  req.struct_size = sizeof(req);
  req.method = toBytes(request.method);
  req.url = toBytes(request.url);
  req.headers = headers.data();
  req.header_count = headers.size();
  req.body = toBytes(request.bodyView.empty() ? std::string_view(request.body) : request.bodyView);
  req.connect_timeout_ms = request.connectTimeoutMs;
  req.first_byte_timeout_ms = request.firstByteTimeoutMs;
  req.idle_timeout_ms = request.idleTimeoutMs;
  req.total_timeout_ms = request.totalTimeoutMs;
  req.flags = request.flags;

  FetchCtx ctx{&onHead, &onBody};
  llmp_http_response_sink sink{};
  sink.struct_size = sizeof(sink);
  sink.ctx = &ctx;
  sink.on_head = [](void* c, int32_t status, const llmp_header* h, size_t n) -> llmp_status {
    try {
      auto* fc = static_cast<FetchCtx*>(c);
      return (*fc->onHead)(status, h, n) ? LLMP_OK : LLMP_E_CANCELLED;
    } catch (...) {
      return LLMP_E_INTERNAL;
    }
  };
  sink.on_body = [](void* c, llmp_bytes chunk) -> llmp_status {
    try {
      auto* fc = static_cast<FetchCtx*>(c);
      return (*fc->onBody)(view(chunk)) ? LLMP_OK : LLMP_E_CANCELLED;
    } catch (...) {
      return LLMP_E_INTERNAL;
    }
  };
  return api_->http_fetch(api_, &req, &sink, err ? err->sink() : nullptr);
}

llmp_status Host::fetch(const HttpRequest& request, HttpResponse* response,
                        ErrorRecord* err) const {
  return fetch(
      request,
      [response](int32_t status, const llmp_header* h, size_t n) {
        response->status = status;
        for (size_t i = 0; i < n; ++i) {
          response->headers.emplace_back(str(h[i].name), str(h[i].value));
        }
        return true;
      },
      [response](std::string_view chunk) {
        response->body.append(chunk);
        return true;
      },
      err);
}

std::optional<std::string> Host::kvGet(std::string_view key) const {
  if (api_ == nullptr || !LLMP_HOST_HAS(api_, kv_get)) {
    return std::nullopt;
  }
  StringSink out;
  if (api_->kv_get(api_, toBytes(key), out.sink()) != LLMP_OK) {
    return std::nullopt;
  }
  return std::move(out.value());
}

llmp_status Host::kvSet(std::string_view key, std::string_view value, int64_t ttlMs) const {
  if (api_ == nullptr || !LLMP_HOST_HAS(api_, kv_set)) {
    return LLMP_E_UNSUPPORTED;
  }
  return api_->kv_set(api_, toBytes(key), toBytes(value), ttlMs);
}

llmp_status Host::kvDelete(std::string_view key) const {
  if (api_ == nullptr || !LLMP_HOST_HAS(api_, kv_delete)) {
    return LLMP_E_UNSUPPORTED;
  }
  return api_->kv_delete(api_, toBytes(key));
}

int64_t Host::kvIncr(std::string_view key, int64_t delta, int64_t ttlMs) const {
  int64_t out = 0;
  if (api_ == nullptr || !LLMP_HOST_HAS(api_, kv_incr)) {
    return out;
  }
  api_->kv_incr(api_, toBytes(key), delta, ttlMs, &out);
  return out;
}

}  // namespace llmp
