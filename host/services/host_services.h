// The services table (llmp_host_api, sdk/include/llmp/host.h) the host hands to its plugins:
// logging, clocks, HTTP client, key-value state, timers, child processes, file watches and
// extensions. One table per plugin id so log lines carry the plugin's name; all tables share the
// same services. docs/host-services.md describes each service.
#pragma once

#include <llmp/host.h>

#include <cstdint>
#include <memory>
#include <string>

namespace llmp::host {

struct ServicesOptions {
  uint32_t connectTimeoutMs = 10000, firstByteTimeoutMs = 120000, idleTimeoutMs = 120000;
  size_t maxIdleConnectionsPerEndpoint = 64;
  std::string caFile;  // empty = system store (/etc/ssl/certs/ca-certificates.crt)
  int streamIoThreads = 0;  // I/O threads for opted-in streamed bodies: 0 = per CPU, -1 = none
};

class HostServices {
 public:
  explicit HostServices(ServicesOptions options = {});
  ~HostServices();  // calls shutdown()
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  // One llmp_host_api per plugin id, stable pointer for the life of HostServices; its log lines
  // are tagged with pluginId.
  const llmp_host_api* apiFor(const std::string& pluginId);
  // Registers an extension returned by get_extension(id) (the pointer stays owned by the caller).
  void setExtension(const std::string& id, const void* extension);
  // Stops timers and file watches, kills child processes. Idempotent.
  void shutdown();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace llmp::host
