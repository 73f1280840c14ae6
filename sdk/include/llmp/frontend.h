/* llmp SDK: the front-end capability ("llmp.frontend.v1").
 *
 * A front end speaks one client API (Gemini, OpenAI, Anthropic ...). The host owns the HTTP
 * server; for each request it asks every front end whether it serves it (match), authenticates
 * the client, then hands the request to the winner (handle). The front end parses the wire body
 * into the IR, calls the host's router, and renders the IR events it gets back in its own wire
 * format through the responder.
 *
 * Threading: create and destroy are [main-thread]; match, handle and render_error are
 * [any-thread, concurrent]. */
#ifndef LLMP_FRONTEND_H
#define LLMP_FRONTEND_H

#include "backend.h"
#include "host.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LLMP_FRONTEND_FACTORY_V1 "llmp.frontend.v1"

typedef struct llmp_frontend llmp_frontend; /* opaque instance, owned by the plugin */

/* The client's request. All members BORROWED until the call returns. */
typedef struct llmp_incoming_request {
  uint32_t struct_size;
  llmp_bytes method;
  llmp_bytes path;  /* percent-decoding NOT applied; no query */
  llmp_bytes query; /* raw query string without '?', may be empty */
  const llmp_header* headers;
  size_t header_count;
  llmp_bytes body;
  llmp_bytes remote_address; /* "127.0.0.1:53122" */
} llmp_incoming_request;

/* How a front end answers. Use either send (one whole response) or begin + write (a stream).
 * Each returns LLMP_E_CANCELLED once the client went away. Arguments are BORROWED.
 * [not concurrent: one request's responder is used by one thread at a time] */
typedef struct llmp_responder {
  uint32_t struct_size;
  void* ctx;
  /* A complete response with Content-Length. At most once, and not after begin. */
  llmp_status(LLMP_ABI* send)(void* ctx, int32_t http_status, const llmp_header* headers,
                              size_t header_count, llmp_bytes body);
  /* Starts a streamed (chunked) response: status and headers go out at once. */
  llmp_status(LLMP_ABI* begin)(void* ctx, int32_t http_status, const llmp_header* headers,
                               size_t header_count);
  /* Writes body bytes after begin and flushes them to the client at once (no buffering). */
  llmp_status(LLMP_ABI* write)(void* ctx, llmp_bytes data);
} llmp_responder;

/* The host's routing, offered to a front end for the duration of one handle call.
 * The request's `model` is the client's model selector; the host resolves it (backend prefix,
 * aliases, ?params, failover chains) and runs the chosen backend. */
typedef struct llmp_router {
  uint32_t struct_size;
  void* ctx;
  /* Runs a generation; events (CHUNK, KEEPALIVE, PROGRESS, ROUTED) reach `sink` as they come.
   * Same completion contract as llmp_backend_factory.generate. */
  llmp_status(LLMP_ABI* generate)(void* ctx, const llmp_generate_request* request,
                                  const llmp_event_sink* sink, const llmp_error_sink* err);
  /* Writes the backend's count ({"totalTokens":N,...}). */
  llmp_status(LLMP_ABI* count_tokens)(void* ctx, const llmp_generate_request* request,
                                      const llmp_bytes_sink* out, const llmp_error_sink* err);
  /* Writes a JSON array of IR model objects of every configured backend, each with "id" set to
   * "<backend>:<model>" and "backend" to the instance name (docs/ir.md). */
  llmp_status(LLMP_ABI* list_models)(void* ctx, const llmp_bytes_sink* out,
                                     const llmp_error_sink* err);
} llmp_router;

/* match() results: 0 = not mine. Higher values win; ties go to the front end listed first. */
#define LLMP_MATCH_NONE 0
#define LLMP_MATCH_FALLBACK 1 /* only this API's error shape fits (e.g. an unknown /v1beta path) */
#define LLMP_MATCH_YES 10
#define LLMP_MATCH_STRONG 20 /* matched by a protocol-specific header too */

typedef struct llmp_frontend_factory {
  uint32_t struct_size;
  const char* name; /* static: "gemini", "openai", "anthropic" */

  /* [main-thread] config_json is the front end's config subtree as a JSON object (may be {}). */
  llmp_status(LLMP_ABI* create)(const llmp_host_api* host, llmp_bytes config_json,
                                llmp_frontend** out, const llmp_error_sink* err);
  void(LLMP_ABI* destroy)(llmp_frontend* frontend);

  /* [any-thread, concurrent] How strongly this front end claims the request (LLMP_MATCH_*).
   * Only method, path, query and headers are filled in; the body is empty. Must be cheap. */
  int32_t(LLMP_ABI* match)(llmp_frontend* frontend, const llmp_incoming_request* request);

  /* [any-thread, concurrent] Serves the request completely through `responder`, blocking the
   * calling thread. Return non-OK only for a failure the front end could not render itself; the
   * host then closes the connection. */
  llmp_status(LLMP_ABI* handle)(llmp_frontend* frontend, const llmp_incoming_request* request,
                                const llmp_responder* responder, const llmp_router* router);

  /* [any-thread, concurrent] Renders an error the host raised before handle (401 bad key,
   * 404 unknown path, 413 body too large ...) in this API's error shape through responder->send. */
  llmp_status(LLMP_ABI* render_error)(llmp_frontend* frontend,
                                      const llmp_incoming_request* request,
                                      const llmp_responder* responder, llmp_status code,
                                      int32_t http_status, llmp_bytes message);

  const void*(LLMP_ABI* get_extension)(llmp_frontend* frontend, const char* id);

  /* ABI 1.2: LLMP_FRONTEND_* flags (0 for plugins built against 1.0 or 1.1). */
  uint32_t flags;
} llmp_frontend_factory;

/* Flags for llmp_frontend_factory.flags. */
/* ABI 1.2: handle is cooperative (same rules as LLMP_BACKEND_COOPERATIVE, docs/sdk.md): the host
 * may run it on an event-loop fiber; the responder's and router's calls may then run other
 * requests' code on the same thread while they wait. match and render_error must never block. */
#define LLMP_FRONTEND_COOPERATIVE 1u

#ifdef __cplusplus
}
#endif

#endif
