// Loads plugin libraries through the llmp C ABI (sdk/include/llmp/plugin.h): opens each with
// Boost.DLL (RTLD_NOW | RTLD_LOCAL), negotiates the ABI version, calls init and collects the
// backend and front-end factories. Every refusal is a PluginError whose message names the file
// and both ABI versions.
#pragma once

#include <llmp/backend.h>
#include <llmp/frontend.h>
#include <llmp/plugin.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace llmp::host {

struct LoadedPlugin {
  std::string path;
  // Normalized copies: min(plugin's struct_size, sizeof) bytes copied into a zeroed struct, so
  // members an older plugin does not know read as 0 / NULL.
  llmp_plugin_descriptor descriptor{};
  bool hasBackend = false;
  llmp_backend_factory backend{};
  bool hasFrontend = false;
  llmp_frontend_factory frontend{};
};

class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// [main-thread] Not thread-safe; load and shut down from one thread.
class PluginLoader {
 public:
  // Returns the host table handed to the plugin with this id; it must stay valid until
  // shutdownAll() has returned.
  using HostApiFor = std::function<const llmp_host_api*(const std::string& pluginId)>;

  explicit PluginLoader(HostApiFor hostApiFor);
  ~PluginLoader();  // shutdownAll(), then unmaps the libraries in reverse order
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;

  // Opens, negotiates and initializes one plugin. Throws PluginError on any refusal; a refused
  // plugin leaves no trace in plugins().
  const LoadedPlugin& load(const std::string& path);

  const std::vector<std::unique_ptr<LoadedPlugin>>& plugins() const { return plugins_; }

  // Calls shutdown() of each initialized plugin once, in reverse load order. Every instance must
  // have been destroyed before. Libraries stay mapped until the loader is destroyed.
  void shutdownAll();

 private:
  struct Library;

  HostApiFor hostApiFor_;
  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
  std::vector<bool> shutDown_;  // parallel to plugins_
  // Every library whose code ran (entry called), loaded or refused, kept mapped until
  // destruction: a refused plugin may have left threads or atexit handlers behind.
  std::vector<std::unique_ptr<Library>> libraries_;
};

// "1.0": the ABI version this host speaks.
std::string hostAbiVersion();

// "INTERNAL" for LLMP_E_INTERNAL, ...; "status <n>" for unknown values.
std::string statusName(llmp_status status);

}  // namespace llmp::host
