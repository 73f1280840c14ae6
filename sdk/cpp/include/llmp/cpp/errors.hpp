// Helpers for the llmp_error_sink contract and for turning C++ exceptions into statuses.
#pragma once

#include <llmp/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace llmp {

// Reports an error through `err` (which may be NULL).
void setError(const llmp_error_sink* err, llmp_status code, int32_t httpStatus,
              std::string_view message, std::string_view body = {}, int64_t retryAfterMs = -1);

// The HTTP status a front end should answer for a status code when no upstream status is known.
int32_t defaultHttpStatus(llmp_status code);

// A copy of what an error sink received; hand sink() to a call, read the fields afterwards.
struct ErrorRecord {
  llmp_status code = LLMP_OK;
  int32_t httpStatus = 0;
  int64_t retryAfterMs = -1;
  std::string message;
  std::string body;
  bool isSet() const { return code != LLMP_OK; }
  // The status to answer: the recorded HTTP status, or the default for the code.
  int32_t effectiveHttpStatus() const;
  const llmp_error_sink* sink();

 private:
  llmp_error_sink sink_{};
};

// An exception carrying an llmp status; thrown inside plugins, caught at the ABI boundary.
class Error : public std::runtime_error {
 public:
  Error(llmp_status code, int32_t httpStatus, const std::string& message, std::string body = {},
        int64_t retryAfterMs = -1)
      : std::runtime_error(message), code_(code), httpStatus_(httpStatus), body_(std::move(body)),
        retryAfterMs_(retryAfterMs) {}
  llmp_status code() const { return code_; }
  int32_t httpStatus() const { return httpStatus_; }
  const std::string& body() const { return body_; }
  int64_t retryAfterMs() const { return retryAfterMs_; }

 private:
  llmp_status code_;
  int32_t httpStatus_;
  std::string body_;
  int64_t retryAfterMs_;
};

// Runs fn() and converts any exception into a status reported through err: every exported
// function of a C++ plugin wraps its body in this so no exception crosses the C ABI.
template <class Fn>
llmp_status guarded(const llmp_error_sink* err, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const Error& e) {
    setError(err, e.code(), e.httpStatus(), e.what(), e.body(), e.retryAfterMs());
    return e.code();
  } catch (const std::exception& e) {
    setError(err, LLMP_E_INTERNAL, 500, std::string("internal error: ") + e.what());
    return LLMP_E_INTERNAL;
  } catch (...) {
    setError(err, LLMP_E_INTERNAL, 500, "internal error: unknown exception");
    return LLMP_E_INTERNAL;
  }
}

}  // namespace llmp
