/* One test plugin, built into several libraries with -D switches (tests/abi/CMakeLists.txt), so
 * the loader's version negotiation is checked against every pairing (Vulkan loader style):
 *   TP_CURRENT      the host's own ABI version, backend factory of type "test"
 *   TP_OLDER_MINOR  a descriptor that ends before `shutdown` (what an older minor would hand
 *                   over); its static struct has a get_factory the host must NOT read
 *   TP_NEWER_MINOR  minor + 1, descriptor and backend factory with an appended member
 *   TP_OTHER_MAJOR  major + 1
 *   TP_NO_ENTRY     exports no llmp_plugin_entry
 *   TP_ENTRY_NULL   the entry refuses (returns NULL)
 *   TP_INIT_FAILS   init returns LLMP_E_UNAVAILABLE
 *   TP_TINY_HEADER  struct_size smaller than the frozen header
 * TP_ID is the plugin id. init and shutdown log "init <id>" / "shutdown <id>" through the host
 * so the test can check the pairing and order. */
#include <llmp/llmp.h>
#include <string.h>

#ifndef TP_ID
#error "TP_ID must be defined"
#endif

static const llmp_host_api* tp_host = NULL;

static void tp_log(const char* what) {
  char line[128];
  size_t n = strlen(what);
  size_t id = strlen(TP_ID);
  llmp_bytes message;
  if (!LLMP_HOST_HAS(tp_host, log) || n + 1 + id >= sizeof line) {
    return;
  }
  memcpy(line, what, n);
  line[n] = ' ';
  memcpy(line + n + 1, TP_ID, id);
  message.ptr = line;
  message.len = n + 1 + id;
  tp_host->log(tp_host, LLMP_LOG_INFO, message);
}

static llmp_status LLMP_ABI tp_init(const llmp_host_api* host) {
  tp_host = host;
  tp_log("init");
#ifdef TP_INIT_FAILS
  return LLMP_E_UNAVAILABLE;
#else
  return LLMP_OK;
#endif
}

static void LLMP_ABI tp_shutdown(void) {
  tp_log("shutdown");
  tp_host = NULL;
}

/* ---- a minimal backend: one chunk "test:<model>" ------------------------------------------ */

struct llmp_backend {
  int unused;
};

static llmp_backend tp_instance;
static const char* const tp_types[] = {"test"};

static llmp_status LLMP_ABI tp_create(const llmp_host_api* host, const char* type,
                                      llmp_bytes instance_name, llmp_bytes config_json,
                                      llmp_backend** out, const llmp_error_sink* err) {
  (void)host;
  (void)type;
  (void)instance_name;
  (void)config_json;
  (void)err;
  *out = &tp_instance;
  return LLMP_OK;
}

static void LLMP_ABI tp_destroy(llmp_backend* backend) { (void)backend; }

static llmp_status LLMP_ABI tp_generate(llmp_backend* backend, const llmp_generate_request* request,
                                        const llmp_event_sink* sink, const llmp_error_sink* err) {
  static const char chunk[] =
      "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"" TP_ID
      "\"}]},\"finishReason\":\"STOP\",\"index\":0}]}";
  llmp_bytes data;
  (void)backend;
  (void)request;
  (void)err;
  data.ptr = chunk;
  data.len = sizeof chunk - 1;
  return sink->emit(sink->ctx, LLMP_EVENT_CHUNK, data);
}

#ifdef TP_NEWER_MINOR
/* A factory from a future minor: one member appended after flags. */
typedef struct tp_backend_factory_next {
  llmp_backend_factory base;
  void* appended;
} tp_backend_factory_next;
static const tp_backend_factory_next tp_factory_next = {
    {sizeof(tp_backend_factory_next), tp_types, 1, NULL, 0, tp_create, tp_destroy, tp_generate,
     NULL, NULL, NULL, 0},
    NULL};
#define TP_FACTORY (&tp_factory_next.base)
#else
static const llmp_backend_factory tp_factory = {sizeof(llmp_backend_factory),
                                                tp_types,
                                                1,
                                                NULL,
                                                0,
                                                tp_create,
                                                tp_destroy,
                                                tp_generate,
                                                NULL,
                                                NULL,
                                                NULL,
                                                0};
#define TP_FACTORY (&tp_factory)
#endif

static const void* LLMP_ABI tp_get_factory(const char* factory_id) {
  if (factory_id != NULL && strcmp(factory_id, LLMP_BACKEND_FACTORY_V1) == 0) {
    return TP_FACTORY;
  }
  return NULL;
}

/* ---- descriptor ------------------------------------------------------------------------------ */

#if defined(TP_OTHER_MAJOR)
#define TP_MAJOR (LLMP_ABI_MAJOR + 1)
#define TP_MINOR 0
#elif defined(TP_NEWER_MINOR)
#define TP_MAJOR LLMP_ABI_MAJOR
#define TP_MINOR (LLMP_ABI_MINOR + 1)
#else
#define TP_MAJOR LLMP_ABI_MAJOR
#define TP_MINOR LLMP_ABI_MINOR
#endif

#if defined(TP_OLDER_MINOR)
#define TP_SIZE offsetof(llmp_plugin_descriptor, shutdown)
#elif defined(TP_TINY_HEADER)
#define TP_SIZE 8
#elif defined(TP_NEWER_MINOR)
#define TP_SIZE sizeof(tp_descriptor_next)
#else
#define TP_SIZE sizeof(llmp_plugin_descriptor)
#endif

/* A descriptor from a future minor: one member appended. */
typedef struct tp_descriptor_next {
  llmp_plugin_descriptor base;
  const void* appended;
} tp_descriptor_next;

static const tp_descriptor_next tp_descriptor = {
    {TP_MAJOR, TP_MINOR, (uint32_t)TP_SIZE, TP_ID, "test", "0.0.1",
     "Test plugin for the ABI negotiation matrix.", tp_init, tp_shutdown, tp_get_factory},
    NULL};

#ifndef TP_NO_ENTRY
LLMP_PLUGIN_ENTRY(host_major, host_minor) {
  (void)host_major;
  (void)host_minor;
#ifdef TP_ENTRY_NULL
  (void)&tp_descriptor;
  return NULL;
#else
  return &tp_descriptor.base;
#endif
}
#else
/* Not exported (hidden visibility): the library has code but no entry point. */
const llmp_plugin_descriptor* tp_not_an_entry(void);
const llmp_plugin_descriptor* tp_not_an_entry(void) { return &tp_descriptor.base; }
#endif
