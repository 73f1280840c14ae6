#include "errors.hpp"

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

namespace llmp::plugins::anthropic {

WireError mapError(llmp_status code, int32_t httpStatus, std::string message,
                   int64_t retryAfterMs) {
  WireError out;
  out.retryAfterMs = retryAfterMs;
  out.message = std::move(message);
  int32_t status = httpStatus > 0 ? httpStatus : llmp::defaultHttpStatus(code);
  switch (status) {
    case 400: out.type = "invalid_request_error"; break;
    case 401: out.type = "authentication_error"; break;
    case 402: out.type = "billing_error"; break;
    case 403: out.type = "permission_error"; break;
    case 404: out.type = "not_found_error"; break;
    case 413: out.type = "request_too_large"; break;
    case 429: out.type = "rate_limit_error"; break;
    // Anthropic clients know an overloaded upstream as 529; their SDKs retry it.
    case 503:
    case 529:
      status = 529;
      out.type = "overloaded_error";
      break;
    case 504: out.type = "timeout_error"; break;
    default:
      out.type = status >= 500 ? "api_error" : "invalid_request_error";
      break;
  }
  if (status < 400 || status > 599) {
    status = 500;
    out.type = "api_error";
  }
  out.httpStatus = status;
  if (out.message.empty()) {
    out.message = "request failed with status " + std::to_string(status);
  }
  return out;
}

std::string errorBody(const WireError& error, std::string_view requestId) {
  Json body = {{"type", "error"},
               {"error", {{"type", error.type}, {"message", error.message}}}};
  if (!requestId.empty()) {
    body["request_id"] = std::string(requestId);
  }
  return llmp::dumpJson(body);
}

}  // namespace llmp::plugins::anthropic
