/* llmp SDK: the backend capability ("llmp.backend.v1").
 *
 * A backend turns an IR request (docs/ir.md) into a call to some upstream and reports the answer
 * as IR response chunks through an event sink.
 *
 * Threading: create and destroy are [main-thread] and never concurrent with each other.
 * generate, count_tokens, list_models and get_extension are [any-thread, concurrent]: the host
 * calls one instance from many request threads at once. destroy runs only after every call on
 * the instance has returned. */
#ifndef LLMP_BACKEND_H
#define LLMP_BACKEND_H

#include "host.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LLMP_BACKEND_FACTORY_V1 "llmp.backend.v1"

typedef struct llmp_backend llmp_backend; /* opaque instance, owned by the plugin */

/* Flags for llmp_generate_request.flags. */
#define LLMP_GENERATE_STREAM 1u /* the client wants chunks as they are produced */

/* One generation (or token count) request. All members BORROWED until the call returns.
 * On the router side (llmp_router.generate) `model` is the client's model selector
 * "[backend:]model[?param=value...]"; on the backend side it is the bare upstream model id. */
typedef struct llmp_generate_request {
  uint32_t struct_size;
  llmp_bytes model;
  llmp_bytes ir;         /* IR request JSON object (docs/ir.md) */
  uint32_t flags;        /* LLMP_GENERATE_* */
  llmp_bytes session_id; /* stable id of the client's conversation; may be empty */
  llmp_bytes metadata;   /* JSON object: {"frontend":"openai","headers":{...}}; may be empty */
} llmp_generate_request;

/* Event kinds for llmp_event_sink.emit. */
#define LLMP_EVENT_CHUNK 1     /* data: one IR response chunk (docs/ir.md) */
#define LLMP_EVENT_KEEPALIVE 2 /* data: empty. Keeps a waiting client's connection alive */
#define LLMP_EVENT_PROGRESS 3  /* data: {"text":"..."}: activity a client may show (tool use) */
#define LLMP_EVENT_ROUTED 4    /* data: {"backend":"...","model":"..."}: host-emitted, who answers */

/* Where a backend sends its answer. A non-streaming request gets exactly one CHUNK holding the
 * whole response; a streaming request gets one CHUNK per upstream chunk, as soon as it arrives.
 * emit returns LLMP_OK, or LLMP_E_CANCELLED once the client went away: stop promptly and return.
 * data is BORROWED by the host (copied or written out before emit returns).
 * Calls for one request never overlap; they may come from any thread. */
typedef struct llmp_event_sink {
  uint32_t struct_size;
  void* ctx;
  llmp_status(LLMP_ABI* emit)(void* ctx, uint32_t kind, llmp_bytes data);
} llmp_event_sink;

typedef struct llmp_backend_factory {
  uint32_t struct_size;
  /* Backend types this factory creates ("gemini", "gemini-oauth-plan", ...). Static. */
  const char* const* types;
  size_t type_count;
  /* Types that stay disabled unless the operator started the host with
   * --enable-<type>-backend-debugging-override; the host answers 403 for them otherwise. */
  const char* const* gated_types;
  size_t gated_type_count;

  /* [main-thread] Creates an instance of `type` (NUL-terminated, one of `types`) named
   * `instance_name` from its config subtree as a JSON object. On failure returns non-OK and
   * explains through err (the host prints it and refuses to start). */
  llmp_status(LLMP_ABI* create)(const llmp_host_api* host, const char* type,
                                llmp_bytes instance_name, llmp_bytes config_json,
                                llmp_backend** out, const llmp_error_sink* err);
  /* [main-thread] Frees the instance; stops its timers, watches and processes first. */
  void(LLMP_ABI* destroy)(llmp_backend* backend);

  /* [any-thread, concurrent] Runs one request to completion, blocking the calling thread, and
   * reports chunks through `sink`. Returns LLMP_OK when the answer was complete; otherwise a
   * status with details in err (an upstream HTTP error keeps its status, retry delay and body).
   * An error after some chunks were emitted ends the client's stream with an error event. */
  llmp_status(LLMP_ABI* generate)(llmp_backend* backend, const llmp_generate_request* request,
                                  const llmp_event_sink* sink, const llmp_error_sink* err);
  /* [any-thread, concurrent] Writes {"totalTokens":N,...} (Gemini countTokens response shape).
   * May be NULL: the host answers LLMP_E_UNSUPPORTED. */
  llmp_status(LLMP_ABI* count_tokens)(llmp_backend* backend, const llmp_generate_request* request,
                                      const llmp_bytes_sink* out, const llmp_error_sink* err);
  /* [any-thread, concurrent] Writes a JSON array of IR model objects (docs/ir.md). May be NULL. */
  llmp_status(LLMP_ABI* list_models)(llmp_backend* backend, const llmp_bytes_sink* out,
                                     const llmp_error_sink* err);
  /* [any-thread] Optional per-instance extensions by id, e.g. LLMP_EXT_HEALTH_V1; NULL if none. */
  const void*(LLMP_ABI* get_extension)(llmp_backend* backend, const char* id);

  /* ABI 1.2: LLMP_BACKEND_* flags (0 for plugins built against 1.0 or 1.1). */
  uint32_t flags;
} llmp_backend_factory;

/* Flags for llmp_backend_factory.flags. */
/* ABI 1.2: generate is cooperative, so the host may run it on an event-loop fiber that serves
 * other requests whenever this one waits (docs/sdk.md, "Cooperative plugins"), instead of on a
 * thread of its own. While generate runs, the thread may run other requests' code inside any
 * host call (http_fetch, emit ...). So generate: blocks only inside host calls (no sleep, no
 * waiting on its own locks, condition variables, pipes or sockets); holds no lock across a host
 * call; keeps no thread_local state across one. count_tokens and list_models always get a thread
 * of their own. Without the flag, generate runs on a thread of its own, as in ABI 1.1. */
#define LLMP_BACKEND_COOPERATIVE 1u

/* Extension "llmp.health.v1": a JSON object describing the instance's health for /healthz
 * (accounts valid, resting, needing re-authorization ...). It must hold no secret. */
#define LLMP_EXT_HEALTH_V1 "llmp.health.v1"
typedef struct llmp_health_ext {
  uint32_t struct_size;
  llmp_status(LLMP_ABI* report)(llmp_backend* backend, const llmp_bytes_sink* out);
} llmp_health_ext;

#ifdef __cplusplus
}
#endif

#endif
