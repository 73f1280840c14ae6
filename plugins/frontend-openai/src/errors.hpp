// OpenAI-shaped errors: {"error":{"message","type","param","code"}}.
#pragma once

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace llmp::plugins::frontend_openai {

// A client mistake found while translating a request: always a 400 naming the parameter.
class RequestError : public std::runtime_error {
 public:
  RequestError(std::string param, const std::string& message, std::string code = {})
      : std::runtime_error(message), param_(std::move(param)), code_(std::move(code)) {}
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }

 private:
  std::string param_;
  std::string code_;
};

// An error to answer: HTTP status plus the OpenAI error object's fields.
struct ApiError {
  int32_t httpStatus = 500;
  std::string message;
  std::string param;         // empty -> null
  std::string code;          // empty -> null
  int64_t retryAfterMs = -1; // 429 only: becomes Retry-After
};

// invalid_request_error (400 and other 4xx), authentication_error (401), permission_error (403),
// not_found_error (404), rate_limit_error (429), api_error (5xx).
std::string errorTypeForStatus(int32_t httpStatus);

// The {"error":{...}} object.
Json errorJson(const ApiError& error);

// The router's failure as an ApiError (status from the record, code for well-known cases).
ApiError fromErrorRecord(const ErrorRecord& record);

// "Retry-After" value: whole seconds, rounded up.
std::string retryAfterSeconds(int64_t retryAfterMs);

}  // namespace llmp::plugins::frontend_openai
