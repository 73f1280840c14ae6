#include "services/host_services.h"

#include <llmp/version.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>

#include "log/log.h"
#include "services/clock.h"
#include "services/file_watcher.h"
#include "services/http_client.h"
#include "services/kv_store.h"
#include "services/process_service.h"
#include "services/timer_service.h"

#ifndef LLMP_HOST_VERSION
#define LLMP_HOST_VERSION "0.0.0"
#endif

namespace llmp::host {
namespace {

struct PluginTable {
  llmp_host_api api{};  // host_data points back at this struct
  std::string pluginId;
  HostServices::Impl* impl = nullptr;
};

// Copies a caller's struct into a zeroed current-size one, so a smaller (older) struct reads as
// "the members it lacks are 0/NULL".
template <class T>
T normalized(const T* in) {
  T out{};
  size_t size = std::min<size_t>(in->struct_size, sizeof(T));
  std::memcpy(&out, in, size);
  out.struct_size = sizeof(T);
  return out;
}

}  // namespace

struct HostServices::Impl {
  explicit Impl(const ServicesOptions& o)
      : options(o),
        http(services::HttpClientOptions{o.connectTimeoutMs, o.firstByteTimeoutMs, o.idleTimeoutMs,
                                         o.maxIdleConnectionsPerEndpoint, 55000, o.caFile,
                                         o.streamIoThreads}) {}

  ServicesOptions options;
  services::HttpClient http;
  services::KvStore kv;
  services::TimerService timers;
  services::ProcessService processes;
  services::FileWatcher files;

  std::mutex mutex;
  std::map<std::string, std::unique_ptr<PluginTable>> tables;
  std::map<std::string, const void*, std::less<>> extensions;
  std::atomic<bool> shutDown{false};
};

namespace {

using Impl = HostServices::Impl;

PluginTable* tableOf(const llmp_host_api* host) {
  return host == nullptr ? nullptr : static_cast<PluginTable*>(host->host_data);
}

Impl* implOf(const llmp_host_api* host) {
  PluginTable* t = tableOf(host);
  return t == nullptr ? nullptr : t->impl;
}

void misbehaving(const llmp_host_api* host, std::string_view what) {
  PluginTable* t = tableOf(host);
  log::write(log::kMisbehaving, t != nullptr ? t->pluginId : "plugin", what);
}

// ---- logging and clocks ----

void LLMP_ABI apiLog(const llmp_host_api* host, int32_t level, llmp_bytes message) {
  try {
    PluginTable* t = tableOf(host);
    level = std::clamp<int32_t>(level, LLMP_LOG_TRACE, LLMP_LOG_PLUGIN_MISBEHAVING);
    log::write(level, t != nullptr ? std::string_view(t->pluginId) : "plugin", view(message));
  } catch (...) {
  }
}

int32_t LLMP_ABI apiLogEnabled(const llmp_host_api*, int32_t level) {
  return log::enabled(level) ? 1 : 0;
}

int64_t LLMP_ABI apiMonotonicMs(const llmp_host_api*) { return services::monotonicMs(); }
int64_t LLMP_ABI apiWallMs(const llmp_host_api*) { return services::wallMs(); }

// ---- HTTP ----

llmp_status LLMP_ABI apiHttpFetch(const llmp_host_api* host, const llmp_http_request* request,
                                  const llmp_http_response_sink* sink, const llmp_error_sink* err) {
  Impl* impl = implOf(host);
  if (impl == nullptr || request == nullptr || sink == nullptr) {
    setError(err, LLMP_E_INVALID, 0, "http_fetch needs a host, a request and a sink");
    return LLMP_E_INVALID;
  }
  if (request->struct_size < offsetof(llmp_http_request, headers)) {
    setError(err, LLMP_E_INVALID, 0, "http_fetch: request struct_size too small");
    return LLMP_E_INVALID;
  }
  return impl->http.fetch(normalized(request), normalized(sink), err);
}

// ---- key-value state ----

llmp_status LLMP_ABI apiKvGet(const llmp_host_api* host, llmp_bytes key, const llmp_bytes_sink* out) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || out == nullptr || out->write == nullptr) {
      return LLMP_E_INVALID;
    }
    thread_local std::string value;
    if (!impl->kv.get(view(key), &value)) {
      return LLMP_E_NOT_FOUND;
    }
    std::string copy;  // the sink may re-enter kv_get on this thread
    copy.swap(value);
    llmp_status rc = out->write(out->ctx, toBytes(copy));
    copy.swap(value);
    return rc;
  } catch (...) {
    return LLMP_E_INTERNAL;
  }
}

llmp_status LLMP_ABI apiKvSet(const llmp_host_api* host, llmp_bytes key, llmp_bytes value, int64_t ttlMs) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr) {
      return LLMP_E_INVALID;
    }
    impl->kv.set(view(key), view(value), ttlMs);
    return LLMP_OK;
  } catch (...) {
    return LLMP_E_INTERNAL;
  }
}

llmp_status LLMP_ABI apiKvDelete(const llmp_host_api* host, llmp_bytes key) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr) {
      return LLMP_E_INVALID;
    }
    return impl->kv.erase(view(key)) ? LLMP_OK : LLMP_E_NOT_FOUND;
  } catch (...) {
    return LLMP_E_INTERNAL;
  }
}

llmp_status LLMP_ABI apiKvIncr(const llmp_host_api* host, llmp_bytes key, int64_t delta, int64_t ttlMs,
                               int64_t* outValue) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr) {
      return LLMP_E_INVALID;
    }
    return impl->kv.incr(view(key), delta, ttlMs, outValue);
  } catch (...) {
    return LLMP_E_INTERNAL;
  }
}

// ---- timers ----

llmp_status LLMP_ABI apiTimerStart(const llmp_host_api* host, uint64_t delayMs, uint64_t periodMs,
                                   llmp_timer_fn fn, void* ctx, llmp_timer** out) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || fn == nullptr || out == nullptr) {
      return LLMP_E_INVALID;
    }
    auto* timer = impl->timers.start(delayMs, periodMs, fn, ctx);
    if (timer == nullptr) {
      return LLMP_E_UNAVAILABLE;
    }
    *out = reinterpret_cast<llmp_timer*>(timer);
    return LLMP_OK;
  } catch (...) {
    return LLMP_E_INTERNAL;
  }
}

void LLMP_ABI apiTimerCancel(const llmp_host_api* host, llmp_timer* timer) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || timer == nullptr) {
      return;
    }
    if (!impl->timers.cancel(reinterpret_cast<services::TimerService::Timer*>(timer))) {
      misbehaving(host, "timer_cancel on an unknown or already cancelled timer");
    }
  } catch (...) {
  }
}

// ---- processes ----

using ProcessHandle = services::ProcessService::Process;

llmp_status LLMP_ABI apiProcessSpawn(const llmp_host_api* host, const llmp_process_options* options,
                                     llmp_process** out, const llmp_error_sink* err) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || options == nullptr || out == nullptr) {
      setError(err, LLMP_E_INVALID, 0, "process_spawn needs a host, options and an out pointer");
      return LLMP_E_INVALID;
    }
    std::string error;
    ProcessHandle* p = nullptr;
    llmp_status rc = impl->processes.spawn(normalized(options), &p, &error);
    if (rc != LLMP_OK) {
      setError(err, rc, 0, error);
      return rc;
    }
    *out = reinterpret_cast<llmp_process*>(p);
    return LLMP_OK;
  } catch (const std::exception& e) {
    setError(err, LLMP_E_INTERNAL, 0, std::string("process_spawn failed: ") + e.what());
    return LLMP_E_INTERNAL;
  } catch (...) {
    setError(err, LLMP_E_INTERNAL, 0, "process_spawn failed");
    return LLMP_E_INTERNAL;
  }
}

llmp_status LLMP_ABI apiProcessWrite(const llmp_host_api* host, llmp_process* process, llmp_bytes data) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || process == nullptr) {
      return LLMP_E_INVALID;
    }
    return impl->processes.write(reinterpret_cast<ProcessHandle*>(process), data.ptr, data.ptr ? data.len : 0);
  } catch (...) {
    return LLMP_E_INTERNAL;
  }
}

llmp_status LLMP_ABI apiProcessCloseStdin(const llmp_host_api* host, llmp_process* process) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || process == nullptr) {
      return LLMP_E_INVALID;
    }
    return impl->processes.closeStdin(reinterpret_cast<ProcessHandle*>(process));
  } catch (...) {
    return LLMP_E_INTERNAL;
  }
}

llmp_status LLMP_ABI apiProcessKill(const llmp_host_api* host, llmp_process* process, int32_t signal) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || process == nullptr) {
      return LLMP_E_INVALID;
    }
    return impl->processes.kill(reinterpret_cast<ProcessHandle*>(process), signal);
  } catch (...) {
    return LLMP_E_INTERNAL;
  }
}

int64_t LLMP_ABI apiProcessPid(const llmp_host_api* host, llmp_process* process) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || process == nullptr) {
      return -1;
    }
    return impl->processes.pid(reinterpret_cast<ProcessHandle*>(process));
  } catch (...) {
    return -1;
  }
}

void LLMP_ABI apiProcessRelease(const llmp_host_api* host, llmp_process* process) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || process == nullptr) {
      return;
    }
    impl->processes.release(reinterpret_cast<ProcessHandle*>(process));
  } catch (...) {
  }
}

// ---- file watches ----

llmp_status LLMP_ABI apiFileWatch(const llmp_host_api* host, llmp_bytes path, llmp_file_change_fn fn,
                                  void* ctx, llmp_file_watch** out, const llmp_error_sink* err) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || out == nullptr) {
      setError(err, LLMP_E_INVALID, 0, "file_watch needs a host and an out pointer");
      return LLMP_E_INVALID;
    }
    std::string error;
    int32_t status = LLMP_OK;
    auto* watch = impl->files.watch(str(path), fn, ctx, &error, &status);
    if (watch == nullptr) {
      setError(err, status, 0, error);
      return status;
    }
    *out = reinterpret_cast<llmp_file_watch*>(watch);
    return LLMP_OK;
  } catch (const std::exception& e) {
    setError(err, LLMP_E_INTERNAL, 0, std::string("file_watch failed: ") + e.what());
    return LLMP_E_INTERNAL;
  } catch (...) {
    setError(err, LLMP_E_INTERNAL, 0, "file_watch failed");
    return LLMP_E_INTERNAL;
  }
}

void LLMP_ABI apiFileUnwatch(const llmp_host_api* host, llmp_file_watch* watch) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || watch == nullptr) {
      return;
    }
    if (!impl->files.unwatch(reinterpret_cast<services::FileWatcher::Watch*>(watch))) {
      misbehaving(host, "file_unwatch on an unknown or already removed watch");
    }
  } catch (...) {
  }
}

// ---- extensions ----

const void* LLMP_ABI apiGetExtension(const llmp_host_api* host, const char* id) {
  try {
    Impl* impl = implOf(host);
    if (impl == nullptr || id == nullptr) {
      return nullptr;
    }
    std::lock_guard<std::mutex> lock(impl->mutex);
    auto it = impl->extensions.find(std::string_view(id));
    return it == impl->extensions.end() ? nullptr : it->second;
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

HostServices::HostServices(ServicesOptions options) : impl_(std::make_unique<Impl>(options)) {}

HostServices::~HostServices() { shutdown(); }

const llmp_host_api* HostServices::apiFor(const std::string& pluginId) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& slot = impl_->tables[pluginId];
  if (slot) {
    return &slot->api;
  }
  slot = std::make_unique<PluginTable>();
  slot->pluginId = pluginId;
  slot->impl = impl_.get();
  llmp_host_api& api = slot->api;
  api.struct_size = sizeof(llmp_host_api);
  api.abi_major = LLMP_ABI_MAJOR;
  api.abi_minor = LLMP_ABI_MINOR;
  api.host_data = slot.get();
  api.host_name = "llm-proxy";
  api.host_version = LLMP_HOST_VERSION;
  api.log = apiLog;
  api.log_enabled = apiLogEnabled;
  api.monotonic_ms = apiMonotonicMs;
  api.wall_ms = apiWallMs;
  api.http_fetch = apiHttpFetch;
  api.kv_get = apiKvGet;
  api.kv_set = apiKvSet;
  api.kv_delete = apiKvDelete;
  api.kv_incr = apiKvIncr;
  api.timer_start = apiTimerStart;
  api.timer_cancel = apiTimerCancel;
  api.process_spawn = apiProcessSpawn;
  api.process_write = apiProcessWrite;
  api.process_close_stdin = apiProcessCloseStdin;
  api.process_kill = apiProcessKill;
  api.process_pid = apiProcessPid;
  api.process_release = apiProcessRelease;
  api.file_watch = apiFileWatch;
  api.file_unwatch = apiFileUnwatch;
  api.get_extension = apiGetExtension;
  return &api;
}

void HostServices::setExtension(const std::string& id, const void* extension) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (extension == nullptr) {
    impl_->extensions.erase(id);
  } else {
    impl_->extensions[id] = extension;
  }
}

void HostServices::shutdown() {
  if (impl_->shutDown.exchange(true)) {
    return;
  }
  impl_->timers.stop();
  impl_->files.stop();
  impl_->processes.stop();
  impl_->http.closeIdleConnections();
}

}  // namespace llmp::host
