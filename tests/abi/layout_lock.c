/* Layout lock: the size and member offsets of every public struct of the llmp C ABI on LP64
 * (Linux x86-64 / aarch64). A failing assertion here means an ABI change: appending a member
 * needs LLMP_ABI_MINOR + 1, anything else LLMP_ABI_MAJOR + 1, and this file is updated in the
 * same commit (docs/sdk.md, "Versioning"). Built as C11 by tests/abi (target abi_layout_lock). */
#include <llmp/llmp.h>

#if defined(__LP64__) || defined(_LP64)

#define LOCK_SIZE(type, size) _Static_assert(sizeof(type) == (size), "sizeof(" #type ") changed")
#define LOCK_AT(type, member, offset) \
  _Static_assert(offsetof(type, member) == (offset), #type "." #member " moved")

LOCK_SIZE(llmp_bytes, 16);
LOCK_AT(llmp_bytes, ptr, 0);
LOCK_AT(llmp_bytes, len, 8);
LOCK_SIZE(llmp_header, 32);
LOCK_AT(llmp_header, name, 0);
LOCK_AT(llmp_header, value, 16);
LOCK_SIZE(llmp_bytes_sink, 24);
LOCK_AT(llmp_bytes_sink, struct_size, 0);
LOCK_AT(llmp_bytes_sink, ctx, 8);
LOCK_AT(llmp_bytes_sink, write, 16);
LOCK_SIZE(llmp_error_sink, 24);
LOCK_AT(llmp_error_sink, struct_size, 0);
LOCK_AT(llmp_error_sink, ctx, 8);
LOCK_AT(llmp_error_sink, set, 16);
LOCK_SIZE(llmp_http_request, 96);
LOCK_AT(llmp_http_request, struct_size, 0);
LOCK_AT(llmp_http_request, method, 8);
LOCK_AT(llmp_http_request, url, 24);
LOCK_AT(llmp_http_request, headers, 40);
LOCK_AT(llmp_http_request, header_count, 48);
LOCK_AT(llmp_http_request, body, 56);
LOCK_AT(llmp_http_request, connect_timeout_ms, 72);
LOCK_AT(llmp_http_request, first_byte_timeout_ms, 76);
LOCK_AT(llmp_http_request, idle_timeout_ms, 80);
LOCK_AT(llmp_http_request, total_timeout_ms, 84);
LOCK_AT(llmp_http_request, flags, 88);
LOCK_SIZE(llmp_http_response_sink, 32);
LOCK_AT(llmp_http_response_sink, struct_size, 0);
LOCK_AT(llmp_http_response_sink, ctx, 8);
LOCK_AT(llmp_http_response_sink, on_head, 16);
LOCK_AT(llmp_http_response_sink, on_body, 24);
LOCK_SIZE(llmp_process_options, 80);
LOCK_AT(llmp_process_options, struct_size, 0);
LOCK_AT(llmp_process_options, argv, 8);
LOCK_AT(llmp_process_options, argc, 16);
LOCK_AT(llmp_process_options, env, 24);
LOCK_AT(llmp_process_options, envc, 32);
LOCK_AT(llmp_process_options, cwd, 40);
LOCK_AT(llmp_process_options, ctx, 48);
LOCK_AT(llmp_process_options, on_stdout, 56);
LOCK_AT(llmp_process_options, on_stderr, 64);
LOCK_AT(llmp_process_options, on_exit, 72);
LOCK_SIZE(llmp_host_api, 200);
LOCK_AT(llmp_host_api, struct_size, 0);
LOCK_AT(llmp_host_api, abi_major, 4);
LOCK_AT(llmp_host_api, abi_minor, 8);
LOCK_AT(llmp_host_api, host_data, 16);
LOCK_AT(llmp_host_api, host_name, 24);
LOCK_AT(llmp_host_api, host_version, 32);
LOCK_AT(llmp_host_api, log, 40);
LOCK_AT(llmp_host_api, log_enabled, 48);
LOCK_AT(llmp_host_api, monotonic_ms, 56);
LOCK_AT(llmp_host_api, wall_ms, 64);
LOCK_AT(llmp_host_api, http_fetch, 72);
LOCK_AT(llmp_host_api, kv_get, 80);
LOCK_AT(llmp_host_api, kv_set, 88);
LOCK_AT(llmp_host_api, kv_delete, 96);
LOCK_AT(llmp_host_api, kv_incr, 104);
LOCK_AT(llmp_host_api, timer_start, 112);
LOCK_AT(llmp_host_api, timer_cancel, 120);
LOCK_AT(llmp_host_api, process_spawn, 128);
LOCK_AT(llmp_host_api, process_write, 136);
LOCK_AT(llmp_host_api, process_close_stdin, 144);
LOCK_AT(llmp_host_api, process_kill, 152);
LOCK_AT(llmp_host_api, process_pid, 160);
LOCK_AT(llmp_host_api, process_release, 168);
LOCK_AT(llmp_host_api, file_watch, 176);
LOCK_AT(llmp_host_api, file_unwatch, 184);
LOCK_AT(llmp_host_api, get_extension, 192);
LOCK_SIZE(llmp_plugin_descriptor, 72);
LOCK_AT(llmp_plugin_descriptor, abi_major, 0);
LOCK_AT(llmp_plugin_descriptor, abi_minor, 4);
LOCK_AT(llmp_plugin_descriptor, struct_size, 8);
LOCK_AT(llmp_plugin_descriptor, id, 16);
LOCK_AT(llmp_plugin_descriptor, name, 24);
LOCK_AT(llmp_plugin_descriptor, version, 32);
LOCK_AT(llmp_plugin_descriptor, description, 40);
LOCK_AT(llmp_plugin_descriptor, init, 48);
LOCK_AT(llmp_plugin_descriptor, shutdown, 56);
LOCK_AT(llmp_plugin_descriptor, get_factory, 64);
LOCK_SIZE(llmp_generate_request, 80);
LOCK_AT(llmp_generate_request, struct_size, 0);
LOCK_AT(llmp_generate_request, model, 8);
LOCK_AT(llmp_generate_request, ir, 24);
LOCK_AT(llmp_generate_request, flags, 40);
LOCK_AT(llmp_generate_request, session_id, 48);
LOCK_AT(llmp_generate_request, metadata, 64);
LOCK_SIZE(llmp_event_sink, 24);
LOCK_AT(llmp_event_sink, struct_size, 0);
LOCK_AT(llmp_event_sink, ctx, 8);
LOCK_AT(llmp_event_sink, emit, 16);
LOCK_SIZE(llmp_backend_factory, 96);
LOCK_AT(llmp_backend_factory, struct_size, 0);
LOCK_AT(llmp_backend_factory, types, 8);
LOCK_AT(llmp_backend_factory, type_count, 16);
LOCK_AT(llmp_backend_factory, gated_types, 24);
LOCK_AT(llmp_backend_factory, gated_type_count, 32);
LOCK_AT(llmp_backend_factory, create, 40);
LOCK_AT(llmp_backend_factory, destroy, 48);
LOCK_AT(llmp_backend_factory, generate, 56);
LOCK_AT(llmp_backend_factory, count_tokens, 64);
LOCK_AT(llmp_backend_factory, list_models, 72);
LOCK_AT(llmp_backend_factory, get_extension, 80);
LOCK_AT(llmp_backend_factory, flags, 88); /* ABI 1.2 */
LOCK_SIZE(llmp_health_ext, 16);
LOCK_AT(llmp_health_ext, struct_size, 0);
LOCK_AT(llmp_health_ext, report, 8);
LOCK_SIZE(llmp_incoming_request, 104);
LOCK_AT(llmp_incoming_request, struct_size, 0);
LOCK_AT(llmp_incoming_request, method, 8);
LOCK_AT(llmp_incoming_request, path, 24);
LOCK_AT(llmp_incoming_request, query, 40);
LOCK_AT(llmp_incoming_request, headers, 56);
LOCK_AT(llmp_incoming_request, header_count, 64);
LOCK_AT(llmp_incoming_request, body, 72);
LOCK_AT(llmp_incoming_request, remote_address, 88);
LOCK_SIZE(llmp_responder, 40);
LOCK_AT(llmp_responder, struct_size, 0);
LOCK_AT(llmp_responder, ctx, 8);
LOCK_AT(llmp_responder, send, 16);
LOCK_AT(llmp_responder, begin, 24);
LOCK_AT(llmp_responder, write, 32);
LOCK_SIZE(llmp_router, 40);
LOCK_AT(llmp_router, struct_size, 0);
LOCK_AT(llmp_router, ctx, 8);
LOCK_AT(llmp_router, generate, 16);
LOCK_AT(llmp_router, count_tokens, 24);
LOCK_AT(llmp_router, list_models, 32);
LOCK_SIZE(llmp_frontend_factory, 72);
LOCK_AT(llmp_frontend_factory, struct_size, 0);
LOCK_AT(llmp_frontend_factory, name, 8);
LOCK_AT(llmp_frontend_factory, create, 16);
LOCK_AT(llmp_frontend_factory, destroy, 24);
LOCK_AT(llmp_frontend_factory, match, 32);
LOCK_AT(llmp_frontend_factory, handle, 40);
LOCK_AT(llmp_frontend_factory, render_error, 48);
LOCK_AT(llmp_frontend_factory, get_extension, 56);
LOCK_AT(llmp_frontend_factory, flags, 64); /* ABI 1.2 */

/* Values of the ABI's constants: they cross the boundary as integers and strings. */
_Static_assert(LLMP_OK == 0 && LLMP_E_INVALID == 1 && LLMP_E_UNSUPPORTED == 2 && LLMP_E_AUTH == 3 &&
                   LLMP_E_RATE_LIMITED == 4 && LLMP_E_UPSTREAM_HTTP == 5 && LLMP_E_TIMEOUT == 6 &&
                   LLMP_E_CANCELLED == 7 && LLMP_E_INTERNAL == 8 && LLMP_E_NOT_FOUND == 9 &&
                   LLMP_E_UNAVAILABLE == 10 && LLMP_E_FORBIDDEN == 11,
               "status codes are stable");
_Static_assert(LLMP_EVENT_CHUNK == 1 && LLMP_EVENT_KEEPALIVE == 2 && LLMP_EVENT_PROGRESS == 3 &&
                   LLMP_EVENT_ROUTED == 4,
               "event kinds are stable");
_Static_assert(LLMP_GENERATE_STREAM == 1u && LLMP_HTTP_NO_REUSE == 1u, "flags are stable");
/* ABI 1.1 added a flag bit and no struct member: every layout above is unchanged. */
_Static_assert(LLMP_HTTP_BODY_ON_IO_THREAD == 2u, "flags are stable");
_Static_assert(LLMP_BACKEND_COOPERATIVE == 1u && LLMP_FRONTEND_COOPERATIVE == 1u, "flags are stable");
_Static_assert(LLMP_LOG_TRACE == 0 && LLMP_LOG_DEBUG == 1 && LLMP_LOG_INFO == 2 &&
                   LLMP_LOG_WARN == 3 && LLMP_LOG_ERROR == 4 && LLMP_LOG_PLUGIN_MISBEHAVING == 5,
               "log levels are stable");
_Static_assert(LLMP_MATCH_NONE == 0 && LLMP_MATCH_FALLBACK == 1 && LLMP_MATCH_YES == 10 &&
                   LLMP_MATCH_STRONG == 20,
               "match strengths are stable");

/* The frozen descriptor header never changes, in any ABI version. */
LOCK_AT(llmp_plugin_descriptor, abi_major, 0);
LOCK_AT(llmp_plugin_descriptor, abi_minor, 4);
LOCK_AT(llmp_plugin_descriptor, struct_size, 8);

/* The version this lock describes: bump it together with the assertions above. */
_Static_assert(LLMP_ABI_MAJOR == 1 && LLMP_ABI_MINOR == 2,
               "the ABI version moved: review this layout lock and update it");

#else
/* Other data models: nothing locked (the project targets LP64 Linux). */
typedef int llmp_layout_lock_not_lp64;
#endif
