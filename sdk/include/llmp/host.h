/* llmp SDK: services the host offers to plugins.
 *
 * The host hands every plugin its own llmp_host_api (log lines are tagged with the plugin's id).
 * The struct is APPEND-ONLY: new members go at the end, nothing is reordered or removed; a retired
 * member keeps its slot and answers LLMP_E_UNSUPPORTED. Before calling a member a plugin checks
 * LLMP_HOST_HAS(host, member): the member lies inside struct_size and is not NULL.
 *
 * Every service is [thread-safe]: it may be called from any thread, concurrently.
 * OWNERSHIP: the llmp_host_api pointer is valid from init() until shutdown() returns. */
#ifndef LLMP_HOST_H
#define LLMP_HOST_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True when the host implements `member` (inside struct_size and not NULL). */
#define LLMP_HOST_HAS(host, member)                                                     \
  ((host) != NULL && offsetof(llmp_host_api, member) + sizeof((host)->member) <=        \
                         (size_t)(host)->struct_size &&                                  \
   (host)->member != NULL)

/* Log levels. */
#define LLMP_LOG_TRACE 0
#define LLMP_LOG_DEBUG 1
#define LLMP_LOG_INFO 2
#define LLMP_LOG_WARN 3
#define LLMP_LOG_ERROR 4
#define LLMP_LOG_PLUGIN_MISBEHAVING 5 /* the plugin broke the contract (host-side use) */

/* ---- HTTP client --------------------------------------------------------------------------- */

/* Flags for llmp_http_request.flags. */
#define LLMP_HTTP_NO_REUSE 1u /* open a fresh connection and close it afterwards */
/* ABI 1.1: the sink's on_body may run on a host I/O thread instead of the calling thread (still
 * one call at a time, all before http_fetch returns, which still blocks). A streamed body then
 * costs no thread wake-up per piece. Set it only when on_body touches nothing tied to the calling
 * thread and never blocks for long (a client write through llmp_responder is fine: the host
 * keeps it from blocking). Hosts of ABI 1.0 ignore it and call on_body on the calling thread. */
#define LLMP_HTTP_BODY_ON_IO_THREAD 2u

/* An outgoing request. All members BORROWED for the duration of http_fetch.
 * Timeouts are in milliseconds; 0 means the host default (connect 10 s, first byte 120 s,
 * idle 120 s, total none). */
typedef struct llmp_http_request {
  uint32_t struct_size;
  llmp_bytes method;              /* "GET", "POST", ... */
  llmp_bytes url;                 /* absolute http:// or https:// URL (query included) */
  const llmp_header* headers;     /* may be NULL when header_count is 0 */
  size_t header_count;
  llmp_bytes body;                /* sent with Content-Length when non-empty */
  uint32_t connect_timeout_ms;
  uint32_t first_byte_timeout_ms; /* from the end of sending until the status line arrives */
  uint32_t idle_timeout_ms;       /* longest silence between two body reads */
  uint32_t total_timeout_ms;      /* whole exchange; 0 = unbounded */
  uint32_t flags;                 /* LLMP_HTTP_* */
} llmp_http_request;

/* Receives a response as it arrives, on the thread that called http_fetch (on_body: see
 * LLMP_HTTP_BODY_ON_IO_THREAD).
 * on_head is called once, before any body byte. on_body receives the (de-chunked) body in pieces
 * as the network delivers them, never buffered to the end. Either callback may return a non-OK
 * status to cancel: the host closes the connection (it is not reused) and http_fetch returns
 * LLMP_E_CANCELLED. All arguments are BORROWED until the callback returns. */
typedef struct llmp_http_response_sink {
  uint32_t struct_size;
  void* ctx;
  llmp_status(LLMP_ABI* on_head)(void* ctx, int32_t http_status, const llmp_header* headers,
                                 size_t header_count);
  llmp_status(LLMP_ABI* on_body)(void* ctx, llmp_bytes chunk);
} llmp_http_response_sink;

/* ---- Processes ----------------------------------------------------------------------------- */

typedef struct llmp_process llmp_process; /* opaque, owned by the host */

/* How to start a child process. argv and env entries are NUL-terminated UTF-8 strings (exec needs
 * them so). All members BORROWED for the duration of process_spawn.
 * Callbacks run on host reader threads: on_stdout and on_stderr each from their own thread, in
 * order, never overlapping themselves; on_exit exactly once, after all output was delivered. */
typedef struct llmp_process_options {
  uint32_t struct_size;
  const char* const* argv; /* argv[0] is the program; searched on PATH when it has no '/' */
  size_t argc;
  const char* const* env;  /* "NAME=value" entries set on top of the host's environment */
  size_t envc;
  const char* cwd;         /* working directory, or NULL for the host's */
  void* ctx;
  void(LLMP_ABI* on_stdout)(void* ctx, llmp_bytes data); /* may be NULL: output discarded */
  void(LLMP_ABI* on_stderr)(void* ctx, llmp_bytes data); /* may be NULL: output discarded */
  void(LLMP_ABI* on_exit)(void* ctx, int32_t exit_code, int32_t signal); /* may be NULL */
} llmp_process_options;

/* ---- Timers and file watches --------------------------------------------------------------- */

typedef struct llmp_timer llmp_timer;           /* opaque, owned by the host */
typedef struct llmp_file_watch llmp_file_watch; /* opaque, owned by the host */

typedef void(LLMP_ABI* llmp_timer_fn)(void* ctx);
typedef void(LLMP_ABI* llmp_file_change_fn)(void* ctx, llmp_bytes path);

/* ---- The table ----------------------------------------------------------------------------- */

typedef struct llmp_host_api llmp_host_api;

struct llmp_host_api {
  uint32_t struct_size; /* sizeof(llmp_host_api) as the host knows it */
  uint32_t abi_major;
  uint32_t abi_minor;
  void* host_data;          /* opaque; pass the table itself to every function */
  const char* host_name;    /* static, NUL-terminated: "llm-proxy" */
  const char* host_version; /* static, NUL-terminated */

  /* Logging. The host adds time, level and the plugin id. A message must never hold a secret. */
  void(LLMP_ABI* log)(const llmp_host_api* host, int32_t level, llmp_bytes message);
  /* Non-zero when a message at `level` would be written: skip building expensive messages. */
  int32_t(LLMP_ABI* log_enabled)(const llmp_host_api* host, int32_t level);

  /* Clocks: monotonic (for durations) and wall-clock (Unix epoch), both in milliseconds. */
  int64_t(LLMP_ABI* monotonic_ms)(const llmp_host_api* host);
  int64_t(LLMP_ABI* wall_ms)(const llmp_host_api* host);

  /* HTTP client (HTTP/1.1, HTTPS through OpenSSL with the system CA store and verification on,
   * keep-alive connection pool per scheme/host/port). Blocks the calling thread until the
   * response is complete, failed or cancelled. Returns LLMP_OK when a whole response (any HTTP
   * status) was received; LLMP_E_UNAVAILABLE when the connection failed or closed early;
   * LLMP_E_TIMEOUT on any timeout; LLMP_E_CANCELLED when a sink callback stopped it;
   * LLMP_E_INVALID for a malformed request. Details go to `err` (may be NULL). */
  llmp_status(LLMP_ABI* http_fetch)(const llmp_host_api* host, const llmp_http_request* request,
                                    const llmp_http_response_sink* sink,
                                    const llmp_error_sink* err);

  /* Key-value state with optional time-to-live, shared by every plugin of this host (and, when
   * configured, between proxy instances). Prefix keys with your plugin id. ttl_ms <= 0: no expiry.
   * kv_get writes the value to `out` or returns LLMP_E_NOT_FOUND. */
  llmp_status(LLMP_ABI* kv_get)(const llmp_host_api* host, llmp_bytes key,
                                const llmp_bytes_sink* out);
  llmp_status(LLMP_ABI* kv_set)(const llmp_host_api* host, llmp_bytes key, llmp_bytes value,
                                int64_t ttl_ms);
  llmp_status(LLMP_ABI* kv_delete)(const llmp_host_api* host, llmp_bytes key);
  /* Atomically adds delta to an integer value (absent counts as 0) and stores the result in
   * *out_value; ttl_ms applies when the key is created. */
  llmp_status(LLMP_ABI* kv_incr)(const llmp_host_api* host, llmp_bytes key, int64_t delta,
                                 int64_t ttl_ms, int64_t* out_value);

  /* Timers for background work (token refresh, idle reaping). fn runs on a host timer thread;
   * period_ms 0 fires once. *out receives a handle to pass to timer_cancel exactly once, which
   * waits for a running callback to finish (unless called from that callback) and frees it. */
  llmp_status(LLMP_ABI* timer_start)(const llmp_host_api* host, uint64_t delay_ms,
                                     uint64_t period_ms, llmp_timer_fn fn, void* ctx,
                                     llmp_timer** out);
  void(LLMP_ABI* timer_cancel)(const llmp_host_api* host, llmp_timer* timer);

  /* Child processes with pipes on stdin, stdout and stderr. */
  llmp_status(LLMP_ABI* process_spawn)(const llmp_host_api* host,
                                       const llmp_process_options* options, llmp_process** out,
                                       const llmp_error_sink* err);
  /* Writes all bytes to the child's stdin (blocking). LLMP_E_UNAVAILABLE once the child exited. */
  llmp_status(LLMP_ABI* process_write)(const llmp_host_api* host, llmp_process* process,
                                       llmp_bytes data);
  llmp_status(LLMP_ABI* process_close_stdin)(const llmp_host_api* host, llmp_process* process);
  /* Sends a signal (POSIX number; 15 = TERM, 9 = KILL). */
  llmp_status(LLMP_ABI* process_kill)(const llmp_host_api* host, llmp_process* process,
                                      int32_t signal);
  /* Process id, or -1 once released. */
  int64_t(LLMP_ABI* process_pid)(const llmp_host_api* host, llmp_process* process);
  /* Kills the child if it still runs, reaps it, joins the reader threads and frees the handle.
   * No callback runs after it returns. Must not be called from one of the process's callbacks. */
  void(LLMP_ABI* process_release)(const llmp_host_api* host, llmp_process* process);

  /* File watching: fn runs on a host thread after the file at `path` was created, modified,
   * replaced (rename over it) or removed. file_unwatch waits for a running callback and frees. */
  llmp_status(LLMP_ABI* file_watch)(const llmp_host_api* host, llmp_bytes path,
                                    llmp_file_change_fn fn, void* ctx, llmp_file_watch** out,
                                    const llmp_error_sink* err);
  void(LLMP_ABI* file_unwatch)(const llmp_host_api* host, llmp_file_watch* watch);

  /* Optional services by string id ("llmp.<name>.v<N>"); NULL when the host lacks it. The
   * returned struct is owned by the host and valid until shutdown. */
  const void*(LLMP_ABI* get_extension)(const llmp_host_api* host, const char* id);

  /* Appended in later minors go below this line. */
};

#ifdef __cplusplus
}
#endif

#endif
