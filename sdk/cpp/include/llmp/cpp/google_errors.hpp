// Google API error bodies ({"error":{code,message,status,details[]}}) and how an upstream HTTP
// error from a Google endpoint (Gemini API, Code Assist) maps to an llmp status. Shared by every
// backend that talks to a Google endpoint so they all report errors the same way.
#pragma once

#include <llmp/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmp {

// What a Google error body says. Fields stay empty / -1 when the body does not say it.
struct GoogleError {
  bool parsed = false;        // the body was a JSON object with an "error" object
  int32_t code = 0;           // error.code (usually the HTTP status)
  std::string status;         // error.status, e.g. "RESOURCE_EXHAUSTED"
  std::string message;        // error.message
  std::string reason;         // the first google.rpc.ErrorInfo reason, e.g. "API_KEY_INVALID"
  int64_t retryDelayMs = -1;  // google.rpc.RetryInfo retryDelay, else "Please retry in Xs"
};

// Parses an error body; never throws. A body that is not a Google error yields parsed=false.
GoogleError parseGoogleError(std::string_view body);

// "34s", "0.539477544s", "500ms", "1.5" (seconds) -> milliseconds rounded up; -1 when unreadable.
int64_t parseGoogleDurationMs(std::string_view text);

// Finds "retry in 34.5s" / "retry in 500ms" (any case) in a message; -1 when absent.
int64_t parseRetryHintMs(std::string_view message);

// An upstream error translated for the proxy: what the error sink should receive.
struct MappedError {
  llmp_status code = LLMP_E_UPSTREAM_HTTP;
  int32_t httpStatus = 502;  // the status the proxy's client should see
  int64_t retryAfterMs = -1;
  std::string message;  // one sentence, no credential
  std::string body;     // the upstream body (secrets redacted), for Gemini-speaking clients
};

// Maps an upstream HTTP error (status + body) of `service` (e.g. "Gemini API"):
//   400 -> LLMP_E_INVALID 400 (LLMP_E_AUTH 400 when the reason is API_KEY_INVALID)
//   401 -> LLMP_E_AUTH 401, 403 -> LLMP_E_AUTH 403, 404 -> LLMP_E_NOT_FOUND 404
//   429 -> LLMP_E_RATE_LIMITED 429 with the retry delay
//   500 -> LLMP_E_UPSTREAM_HTTP 502, 503 -> LLMP_E_UNAVAILABLE 503, 504 -> LLMP_E_TIMEOUT 504,
//   other 5xx -> LLMP_E_UPSTREAM_HTTP 502, other 4xx -> LLMP_E_UPSTREAM_HTTP with the status kept.
// Every string in `secrets` is replaced by "[redacted]" in message and body.
MappedError mapGoogleHttpError(int32_t upstreamStatus, std::string_view body,
                               std::string_view service,
                               const std::vector<std::string>& secrets = {});

// Builds a Google error body, e.g. for a 429 the proxy answers itself. retryDelayMs >= 0 adds a
// google.rpc.RetryInfo detail.
std::string makeGoogleErrorBody(int32_t code, std::string_view status, std::string_view message,
                                int64_t retryDelayMs = -1);

// The canonical Google status string for an HTTP status ("RESOURCE_EXHAUSTED" for 429, ...).
std::string_view googleStatusForHttp(int32_t httpStatus);

// Replaces every occurrence of each non-empty secret by "[redacted]".
std::string redactSecrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace llmp
