/* llmp SDK: command-line commands contributed by a plugin ("llmp.cli.v1").
 *
 * `llm-proxy <command> [args...]` runs the command of the plugin whose factory names it instead
 * of starting the server, e.g. `llm-proxy accounts list --json` for the gemini-oauth-auto
 * backend. Found through llmp_plugin_descriptor.get_factory(LLMP_CLI_FACTORY_V1). */
#ifndef LLMP_EXT_CLI_H
#define LLMP_EXT_CLI_H

#include "../host.h"
#include "../types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LLMP_CLI_FACTORY_V1 "llmp.cli.v1"

typedef struct llmp_cli_factory {
  uint32_t struct_size;
  const char* command; /* static, NUL-terminated: "accounts" */
  const char* summary; /* static one-line description for --help */
  /* [main-thread] Runs the command. argv holds the arguments after the command name
   * (NUL-terminated strings, BORROWED). config_json is the proxy's configuration as JSON:
   * {"backends": {"<name>": {<settings>}, ...}, "debugging_overrides": [...]}. Text for the
   * user goes to out and err (the host writes it to stdout and stderr). Returns the process
   * exit status (0 success, 2 usage error, 1 other failure). */
  int32_t(LLMP_ABI* run)(const llmp_host_api* host, const char* const* argv, size_t argc,
                         llmp_bytes config_json, const llmp_bytes_sink* out,
                         const llmp_bytes_sink* err);
} llmp_cli_factory;

#ifdef __cplusplus
}
#endif

#endif
