// Anthropic's error shape: {"type":"error","error":{"type":"<error_type>","message":"..."}}
// and how llmp statuses / HTTP statuses map onto it.
#pragma once

#include <llmp/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace llmp::plugins::anthropic {

// What the client sees: the HTTP status to answer and Anthropic's error.type for it.
struct WireError {
  int32_t httpStatus = 500;
  std::string type = "api_error";
  std::string message;
  int64_t retryAfterMs = -1;
};

// Maps a status the proxy wants to answer (plus the llmp code when there is no status) to what
// an Anthropic client expects: 400 invalid_request_error, 401 authentication_error,
// 402 billing_error, 403 permission_error, 404 not_found_error, 413 request_too_large,
// 429 rate_limit_error, 503 -> 529 overloaded_error, 504 timeout_error, other 5xx api_error.
WireError mapError(llmp_status code, int32_t httpStatus, std::string message,
                   int64_t retryAfterMs = -1);

// {"type":"error","error":{"type":...,"message":...},"request_id":...} (request_id only when
// non-empty).
std::string errorBody(const WireError& error, std::string_view requestId = {});

// A problem with the client's request body; handle() answers 400 invalid_request_error.
class RequestError : public std::runtime_error {
 public:
  explicit RequestError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace llmp::plugins::anthropic
