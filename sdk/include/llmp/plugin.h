/* llmp SDK: the plugin entry point and descriptor.
 *
 * Every plugin exports exactly one symbol, llmp_plugin_entry (use LLMP_PLUGIN_ENTRY to define it).
 * Load sequence (docs/sdk.md):
 *   1. the host opens the library (RTLD_NOW | RTLD_LOCAL);
 *   2. calls llmp_plugin_entry(host_major, host_minor) and reads the frozen header of the result;
 *   3. refuses the plugin when abi_major differs (naming the file and both versions);
 *   4. calls init(host) once; a non-OK status refuses the plugin;
 *   5. asks get_factory("llmp.backend.v1") / get_factory("llmp.frontend.v1");
 *   6. creates one instance per configured backend or front end;
 *   7. at exit: destroys every instance, calls shutdown(), and unloads. */
#ifndef LLMP_PLUGIN_H
#define LLMP_PLUGIN_H

#include "host.h"
#include "types.h"
#include "version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct llmp_plugin_descriptor {
  /* Frozen header: these three members never move, in any ABI version. */
  uint32_t abi_major;   /* LLMP_ABI_MAJOR the plugin was built against */
  uint32_t abi_minor;   /* LLMP_ABI_MINOR the plugin was built against */
  uint32_t struct_size; /* sizeof(llmp_plugin_descriptor) as the plugin knows it */

  /* Static NUL-terminated UTF-8, valid until the library is unloaded. */
  const char* id;          /* reverse-DNS, unique: "dev.llmp.mock" */
  const char* name;        /* short human name: "mock" */
  const char* version;     /* the plugin's own version: "1.0.0" */
  const char* description; /* one sentence */

  /* [main-thread] Called once after the version check, before any other call. `host` stays
   * valid until shutdown returns. Return non-OK to refuse loading. May be NULL. */
  llmp_status(LLMP_ABI* init)(const llmp_host_api* host);
  /* [main-thread] Called once after every instance was destroyed. May be NULL. */
  void(LLMP_ABI* shutdown)(void);
  /* [thread-safe] The factory for a capability id (LLMP_BACKEND_FACTORY_V1,
   * LLMP_FRONTEND_FACTORY_V1, ...), or NULL when the plugin has none. The returned struct is
   * owned by the plugin and valid until unload. */
  const void*(LLMP_ABI* get_factory)(const char* factory_id);
} llmp_plugin_descriptor;

/* The entry point's type and name. Return NULL to refuse (e.g. a host too old for the plugin).
 * OWNERSHIP: the returned descriptor is owned by the plugin, valid until unload. [main-thread] */
typedef const llmp_plugin_descriptor*(LLMP_ABI* llmp_plugin_entry_fn)(uint32_t host_abi_major,
                                                                      uint32_t host_abi_minor);
#define LLMP_PLUGIN_ENTRY_SYMBOL "llmp_plugin_entry"

/* Defines the entry point: LLMP_PLUGIN_ENTRY(major, minor) { return &my_descriptor; } */
#define LLMP_PLUGIN_ENTRY(major_param, minor_param)                                       \
  LLMP_EXPORT const llmp_plugin_descriptor* LLMP_ABI llmp_plugin_entry(uint32_t major_param, \
                                                                        uint32_t minor_param)

#ifdef __cplusplus
}
#endif

#endif
