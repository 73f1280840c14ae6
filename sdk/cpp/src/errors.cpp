#include "llmp/cpp/errors.hpp"

#include "llmp/cpp/bytes.hpp"

namespace llmp {

void setError(const llmp_error_sink* err, llmp_status code, int32_t httpStatus,
              std::string_view message, std::string_view body, int64_t retryAfterMs) {
  if (err == nullptr || err->set == nullptr) {
    return;
  }
  err->set(err->ctx, code, httpStatus, retryAfterMs, toBytes(message), toBytes(body));
}

int32_t defaultHttpStatus(llmp_status code) {
  switch (code) {
    case LLMP_OK: return 200;
    case LLMP_E_INVALID: return 400;
    case LLMP_E_UNSUPPORTED: return 501;
    case LLMP_E_AUTH: return 401;
    case LLMP_E_RATE_LIMITED: return 429;
    case LLMP_E_UPSTREAM_HTTP: return 502;
    case LLMP_E_TIMEOUT: return 504;
    case LLMP_E_CANCELLED: return 499;
    case LLMP_E_NOT_FOUND: return 404;
    case LLMP_E_UNAVAILABLE: return 503;
    case LLMP_E_FORBIDDEN: return 403;
    default: return 500;
  }
}

int32_t ErrorRecord::effectiveHttpStatus() const {
  return httpStatus > 0 ? httpStatus : defaultHttpStatus(code);
}

const llmp_error_sink* ErrorRecord::sink() {
  sink_.struct_size = sizeof(llmp_error_sink);
  sink_.ctx = this;
  sink_.set = [](void* ctx, llmp_status code, int32_t http, int64_t retry, llmp_bytes message,
                 llmp_bytes body) {
    auto* self = static_cast<ErrorRecord*>(ctx);
    self->code = code == LLMP_OK ? LLMP_E_INTERNAL : code;
    self->httpStatus = http;
    self->retryAfterMs = retry;
    self->message = str(message);
    self->body = str(body);
  };
  return &sink_;
}

}  // namespace llmp
