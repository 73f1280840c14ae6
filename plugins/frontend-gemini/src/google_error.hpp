// Errors in Google's API shape: {"error":{"code":N,"message":"...","status":"..."}}.
#pragma once

#include <llmp/cpp/errors.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace llmp::plugins::frontend_gemini {

// The google.rpc.Code name Google pairs with an HTTP status (RESOURCE_EXHAUSTED for 429 ...).
const char* googleStatusName(int32_t httpStatus);

// "2s", "1.5s", "0.25s": a google.rpc.RetryInfo retryDelay.
std::string retryDelayText(int64_t retryAfterMs);

// Whole seconds, rounded up, for a Retry-After header.
std::string retryAfterSeconds(int64_t retryAfterMs);

// A Google error body. A 429 with retryAfterMs >= 0 carries a RetryInfo detail.
std::string googleErrorJson(int32_t httpStatus, std::string_view message,
                            int64_t retryAfterMs = -1);

// What to answer for an error the router reported.
struct RenderedError {
  int32_t httpStatus = 500;
  std::string body;          // a Google error JSON object (compact when synthesized)
  int64_t retryAfterMs = -1; // >= 0: add a Retry-After header
  bool passedThrough = false;
};

// The upstream's own body when it already is a Google error (kept byte for byte); otherwise a
// Google error built from the status, message and retry delay.
RenderedError renderRouterError(const ErrorRecord& err);

}  // namespace llmp::plugins::frontend_gemini
