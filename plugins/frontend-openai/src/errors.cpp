#include "errors.hpp"

namespace llmp::plugins::frontend_openai {

std::string errorTypeForStatus(int32_t httpStatus) {
  switch (httpStatus) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    default: break;
  }
  return httpStatus >= 500 || httpStatus < 400 ? "api_error" : "invalid_request_error";
}

Json errorJson(const ApiError& error) {
  Json body = {{"message", error.message},
               {"type", errorTypeForStatus(error.httpStatus)},
               {"param", error.param.empty() ? Json() : Json(error.param)},
               {"code", error.code.empty() ? Json() : Json(error.code)}};
  return Json{{"error", std::move(body)}};
}

ApiError fromErrorRecord(const ErrorRecord& record) {
  ApiError error;
  error.httpStatus = record.effectiveHttpStatus();
  if (error.httpStatus < 400 || error.httpStatus > 599) {
    error.httpStatus = 500;
  }
  error.message = record.message.empty() ? "the backend failed without saying why"
                                         : record.message;
  error.retryAfterMs = record.retryAfterMs;
  switch (error.httpStatus) {
    case 401: error.code = "invalid_api_key"; break;
    case 404: error.code = record.code == LLMP_E_NOT_FOUND ? "model_not_found" : ""; break;
    case 429: error.code = "rate_limit_exceeded"; break;
    default: break;
  }
  return error;
}

std::string retryAfterSeconds(int64_t retryAfterMs) {
  if (retryAfterMs < 0) {
    return {};
  }
  return std::to_string((retryAfterMs + 999) / 1000);
}

}  // namespace llmp::plugins::frontend_openai
