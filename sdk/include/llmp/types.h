/* llmp SDK: basic types shared by every header.
 *
 * Conventions (docs/sdk.md):
 *  - Text is UTF-8 with an explicit length (llmp_bytes); it is not NUL-terminated unless a comment
 *    says so. Only static descriptor strings are NUL-terminated.
 *  - Every pointer handed into a call is BORROWED until that call returns. A receiver that needs
 *    the data later copies it first.
 *  - Variable-size results travel through sinks (llmp_bytes_sink, llmp_error_sink); the receiver
 *    copies. No memory allocated by one side is ever freed by the other.
 *  - Every fallible function returns llmp_status; 0 is success. */
#ifndef LLMP_TYPES_H
#define LLMP_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define LLMP_EXPORT __declspec(dllexport)
#define LLMP_ABI __cdecl
#else
#define LLMP_EXPORT __attribute__((visibility("default")))
#define LLMP_ABI
#endif

/* Status codes. Values are stable and never reused; an unknown value reads as LLMP_E_INTERNAL. */
typedef int32_t llmp_status;
#define LLMP_OK 0
#define LLMP_E_INVALID 1        /* the caller's input is wrong (HTTP 400) */
#define LLMP_E_UNSUPPORTED 2    /* not implemented by this side (HTTP 501) */
#define LLMP_E_AUTH 3           /* credentials missing or refused (HTTP 401/403) */
#define LLMP_E_RATE_LIMITED 4   /* quota or rate limit (HTTP 429), see retry_after_ms */
#define LLMP_E_UPSTREAM_HTTP 5  /* the upstream answered with an HTTP error, see http_status */
#define LLMP_E_TIMEOUT 6        /* connect, first-byte or idle timeout (HTTP 504) */
#define LLMP_E_CANCELLED 7      /* the client went away or the call was cancelled */
#define LLMP_E_INTERNAL 8       /* a bug or an unexpected condition (HTTP 500) */
#define LLMP_E_NOT_FOUND 9      /* unknown model, backend, key or resource (HTTP 404) */
#define LLMP_E_UNAVAILABLE 10   /* upstream unreachable or overloaded (HTTP 502/503) */
#define LLMP_E_FORBIDDEN 11     /* refused by policy, e.g. a debug-gated backend (HTTP 403) */

/* A borrowed byte range. OWNERSHIP: never owned by the receiver; valid until the call that
 * carries it returns. ptr may be NULL when len is 0. */
typedef struct llmp_bytes {
  const char* ptr;
  size_t len;
} llmp_bytes;

/* One HTTP header, both sides borrowed. */
typedef struct llmp_header {
  llmp_bytes name;
  llmp_bytes value;
} llmp_header;

/* A sink that receives bytes. The receiver copies what it needs before write returns.
 * write may be called several times; the pieces concatenate. [any-thread, not concurrent] */
typedef struct llmp_bytes_sink {
  uint32_t struct_size;
  void* ctx;
  llmp_status(LLMP_ABI* write)(void* ctx, llmp_bytes data);
} llmp_bytes_sink;

/* Error details, provided by the caller of a fallible function and filled by the callee.
 * The receiver copies message and body at once; the last call to set wins.
 *  code            one of the LLMP_E_* values
 *  http_status     the HTTP status to report (the upstream's own when it answered), or 0
 *  retry_after_ms  how long to wait before retrying, or -1 when unknown
 *  message         a human-readable sentence; it must never contain a credential
 *  body            the upstream's error body when there was one (passed to clients that speak
 *                  the upstream's protocol), or empty */
typedef struct llmp_error_sink {
  uint32_t struct_size;
  void* ctx;
  void(LLMP_ABI* set)(void* ctx, llmp_status code, int32_t http_status, int64_t retry_after_ms,
                      llmp_bytes message, llmp_bytes body);
} llmp_error_sink;

#ifdef __cplusplus
}
#endif

#endif
