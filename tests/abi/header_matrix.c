/* Header matrix: this one file includes the SDK's umbrella header and touches its macros, and
 * tests/abi builds it as C11, C17, C++17 and C++20 with -Wall -Wextra -pedantic -Werror (the
 * C++ builds compile a copy named .cpp). It has no test body: compiling is the test. */
#include <llmp/llmp.h>
#include <stddef.h>

typedef struct header_matrix_probe {
  llmp_bytes bytes;
  llmp_plugin_descriptor descriptor;
  llmp_backend_factory backend;
  llmp_frontend_factory frontend;
  llmp_host_api host;
} header_matrix_probe;

int header_matrix_host_has_log(const llmp_host_api* host);
int header_matrix_host_has_log(const llmp_host_api* host) {
  return LLMP_HOST_HAS(host, log) && LLMP_HOST_HAS(host, get_extension) ? 1 : 0;
}

size_t header_matrix_sizes(void);
size_t header_matrix_sizes(void) {
  return sizeof(header_matrix_probe) + LLMP_ABI_MAJOR + LLMP_ABI_MINOR +
         sizeof(LLMP_BACKEND_FACTORY_V1) + sizeof(LLMP_FRONTEND_FACTORY_V1) +
         sizeof(LLMP_PLUGIN_ENTRY_SYMBOL) + sizeof(LLMP_EXT_HEALTH_V1) + LLMP_IR_SCHEMA_VERSION;
}
