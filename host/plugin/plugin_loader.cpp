#include "plugin/plugin_loader.h"

#include <dlfcn.h>

#include <boost/dll/shared_library.hpp>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <system_error>
#include <type_traits>

namespace llmp::host {

struct PluginLoader::Library {
  boost::dll::shared_library library;
};

namespace {

// The three members every descriptor of every ABI version starts with.
constexpr size_t kFrozenHeaderSize =
    offsetof(llmp_plugin_descriptor, struct_size) + sizeof(uint32_t);
static_assert(kFrozenHeaderSize == 12, "the descriptor's frozen header never changes");

std::string version(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

std::string who(const std::string& path) { return "plugin " + path; }

std::string hostSpeaks() { return "this host speaks llmp ABI " + hostAbiVersion(); }

// Copies min(struct_size, sizeof(T)) bytes of a plugin struct into a zeroed T. Every versioned
// struct starts with its own struct_size except the descriptor, whose size is passed in.
template <class T>
T normalized(const void* source, size_t sourceSize) {
  static_assert(std::is_trivially_copyable_v<T>, "ABI structs are plain C");
  T copy{};
  std::memcpy(&copy, source, sourceSize < sizeof(T) ? sourceSize : sizeof(T));
  return copy;
}

template <class T>
T normalizedFactory(const void* factory) {
  uint32_t size = 0;
  std::memcpy(&size, factory, sizeof(size));
  return normalized<T>(factory, size);  // struct_size keeps what the plugin knows
}

std::string describe(const std::string& path, const llmp_plugin_descriptor& d) {
  std::ostringstream out;
  out << who(path) << " (" << (d.id ? d.id : "?");
  if (d.version != nullptr && d.version[0] != '\0') {
    out << " " << d.version;
  }
  out << ", built for llmp ABI " << version(d.abi_major, d.abi_minor) << ")";
  return out.str();
}

bool empty(const char* s) { return s == nullptr || s[0] == '\0'; }

}  // namespace

std::string hostAbiVersion() { return version(LLMP_ABI_MAJOR, LLMP_ABI_MINOR); }

std::string statusName(llmp_status status) {
  switch (status) {
    case LLMP_OK: return "OK";
    case LLMP_E_INVALID: return "INVALID";
    case LLMP_E_UNSUPPORTED: return "UNSUPPORTED";
    case LLMP_E_AUTH: return "AUTH";
    case LLMP_E_RATE_LIMITED: return "RATE_LIMITED";
    case LLMP_E_UPSTREAM_HTTP: return "UPSTREAM_HTTP";
    case LLMP_E_TIMEOUT: return "TIMEOUT";
    case LLMP_E_CANCELLED: return "CANCELLED";
    case LLMP_E_INTERNAL: return "INTERNAL";
    case LLMP_E_NOT_FOUND: return "NOT_FOUND";
    case LLMP_E_UNAVAILABLE: return "UNAVAILABLE";
    case LLMP_E_FORBIDDEN: return "FORBIDDEN";
    default: return "status " + std::to_string(status);
  }
}

PluginLoader::PluginLoader(HostApiFor hostApiFor) : hostApiFor_(std::move(hostApiFor)) {}

PluginLoader::~PluginLoader() {
  shutdownAll();
  plugins_.clear();
  while (!libraries_.empty()) {
    libraries_.pop_back();
  }
}

const LoadedPlugin& PluginLoader::load(const std::string& path) {
  std::error_code fsError;
  if (!std::filesystem::exists(path, fsError)) {
    throw PluginError(who(path) + ": file not found; " + hostSpeaks());
  }

  auto library = std::make_unique<Library>();
  boost::dll::fs::error_code loadError;
  library->library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local,
                        loadError);
  if (loadError || !library->library.is_loaded()) {
    const char* dlText = dlerror();
    throw PluginError(who(path) + " is not a loadable shared library: " +
                      (dlText ? std::string(dlText) : loadError.message()) + "; " + hostSpeaks());
  }
  if (!library->library.has(LLMP_PLUGIN_ENTRY_SYMBOL)) {
    throw PluginError(who(path) +
                      " does not export " LLMP_PLUGIN_ENTRY_SYMBOL "; it is not an llmp plugin (" +
                      hostSpeaks() + ")");
  }
  auto& entry =
      library->library.get<std::remove_pointer_t<llmp_plugin_entry_fn>>(LLMP_PLUGIN_ENTRY_SYMBOL);

  // From here on the plugin's code has run: keep the library mapped whatever happens.
  libraries_.push_back(std::move(library));

  const llmp_plugin_descriptor* raw = entry(LLMP_ABI_MAJOR, LLMP_ABI_MINOR);
  if (raw == nullptr) {
    throw PluginError(who(path) +
                      " refused to load: " LLMP_PLUGIN_ENTRY_SYMBOL
                      " returned NULL for a host speaking llmp ABI " +
                      hostAbiVersion());
  }
  // Only the frozen header may be read before the version check.
  uint32_t header[3] = {0, 0, 0};
  std::memcpy(header, raw, sizeof(header));
  const uint32_t major = header[0];
  const uint32_t minor = header[1];
  const uint32_t size = header[2];
  if (major != LLMP_ABI_MAJOR) {
    throw PluginError(who(path) + " was built for llmp ABI " + version(major, minor) +
                      " but this host speaks " + hostAbiVersion());
  }
  if (size < kFrozenHeaderSize) {
    throw PluginError(who(path) + " (built for llmp ABI " + version(major, minor) +
                      ") declares a descriptor of " + std::to_string(size) +
                      " bytes, smaller than the " + std::to_string(kFrozenHeaderSize) +
                      "-byte frozen header; " + hostSpeaks());
  }

  auto plugin = std::make_unique<LoadedPlugin>();
  plugin->path = path;
  plugin->descriptor = normalized<llmp_plugin_descriptor>(raw, size);
  llmp_plugin_descriptor& d = plugin->descriptor;
  if (empty(d.id)) {
    throw PluginError(describe(path, d) + " has no id; " + hostSpeaks());
  }
  for (const auto& other : plugins_) {
    if (std::strcmp(other->descriptor.id, d.id) == 0) {
      throw PluginError(describe(path, d) + " has the id " + d.id + ", already loaded from " +
                        other->path + "; " + hostSpeaks());
    }
  }

  const llmp_host_api* hostApi = nullptr;
  try {
    hostApi = hostApiFor_(d.id);
  } catch (const std::exception& e) {
    throw PluginError(describe(path, d) + ": no host services: " + e.what());
  }
  if (hostApi == nullptr) {
    throw PluginError(describe(path, d) + ": the host has no services table for it");
  }
  if (d.init != nullptr) {
    llmp_status status = d.init(hostApi);
    if (status != LLMP_OK) {
      throw PluginError(describe(path, d) + " failed to initialize: init returned " +
                        statusName(status) + "; " + hostSpeaks());
    }
  }

  // Initialized: a refusal from here on owes the plugin its shutdown.
  auto refuse = [&](const std::string& why) {
    if (d.shutdown != nullptr) {
      d.shutdown();
    }
    throw PluginError(describe(path, d) + " " + why + "; " + hostSpeaks());
  };
  if (d.get_factory != nullptr) {
    if (const void* backend = d.get_factory(LLMP_BACKEND_FACTORY_V1)) {
      plugin->backend = normalizedFactory<llmp_backend_factory>(backend);
      const llmp_backend_factory& f = plugin->backend;
      if (f.create == nullptr || f.destroy == nullptr || f.generate == nullptr) {
        refuse("offers a backend factory without create, destroy or generate");
      }
      if ((f.type_count > 0 && f.types == nullptr) ||
          (f.gated_type_count > 0 && f.gated_types == nullptr)) {
        refuse("offers a backend factory whose type list is NULL");
      }
      for (size_t i = 0; i < f.type_count; ++i) {
        if (empty(f.types[i])) {
          refuse("offers a backend factory with an empty type name");
        }
      }
      plugin->hasBackend = true;
    }
    if (const void* frontend = d.get_factory(LLMP_FRONTEND_FACTORY_V1)) {
      plugin->frontend = normalizedFactory<llmp_frontend_factory>(frontend);
      const llmp_frontend_factory& f = plugin->frontend;
      if (empty(f.name) || f.create == nullptr || f.destroy == nullptr || f.match == nullptr ||
          f.handle == nullptr) {
        refuse("offers a front-end factory without name, create, destroy, match or handle");
      }
      plugin->hasFrontend = true;
    }
  }

  plugins_.push_back(std::move(plugin));
  shutDown_.push_back(false);
  return *plugins_.back();
}

void PluginLoader::shutdownAll() {
  for (size_t i = plugins_.size(); i-- > 0;) {
    if (shutDown_[i]) {
      continue;
    }
    shutDown_[i] = true;
    if (plugins_[i]->descriptor.shutdown != nullptr) {
      plugins_[i]->descriptor.shutdown();
    }
  }
}

}  // namespace llmp::host
