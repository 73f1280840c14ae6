#include "testing/fake_host.hpp"

#include <llmp/version.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "llmp/cpp/bytes.hpp"
#include "llmp/cpp/errors.hpp"

namespace llmp::testing {

std::string FakeHttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

FakeHttpResponse FakeHttpResponse::transportError(llmp_status status, std::string message) {
  FakeHttpResponse r;
  r.status = 0;
  r.transportStatus = status;
  r.transportMessage = std::move(message);
  return r;
}

// ---- FakeProcess ----------------------------------------------------------------------------

void FakeProcess::emitStdout(std::string_view data) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (exited_ || released_ || options_.on_stdout == nullptr) {
      return;
    }
  }
  options_.on_stdout(options_.ctx, toBytes(data));
}

void FakeProcess::emitStderr(std::string_view data) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (exited_ || released_ || options_.on_stderr == nullptr) {
      return;
    }
  }
  options_.on_stderr(options_.ctx, toBytes(data));
}

void FakeProcess::exit(int32_t code, int32_t signal) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (exited_ || released_) {
      return;
    }
    exited_ = true;
  }
  if (options_.on_exit != nullptr) {
    options_.on_exit(options_.ctx, code, signal);
  }
}

std::string FakeProcess::stdinData() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stdin_;
}

bool FakeProcess::stdinClosed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stdinClosed_;
}

bool FakeProcess::exited() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return exited_;
}

bool FakeProcess::released() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return released_;
}

std::vector<int32_t> FakeProcess::signals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return signals_;
}

// ---- the C table ----------------------------------------------------------------------------

namespace {
FakeHost* self(const llmp_host_api* host) { return static_cast<FakeHost*>(host->host_data); }

template <class T>
T normalized(const T* in) {
  T out{};
  std::memcpy(&out, in, std::min<size_t>(in->struct_size, sizeof(T)));
  out.struct_size = sizeof(T);
  return out;
}

int64_t expiry(int64_t now, int64_t ttlMs) { return ttlMs > 0 ? now + ttlMs : 0; }
}  // namespace

struct FakeHost::Impl {
  static void LLMP_ABI log(const llmp_host_api* host, int32_t level, llmp_bytes message) {
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    h->logs_.push_back(FakeLogLine{level, str(message)});
  }

  static int32_t LLMP_ABI logEnabled(const llmp_host_api* host, int32_t level) {
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    return level >= h->logLevel_ ? 1 : 0;
  }

  static int64_t LLMP_ABI monotonic(const llmp_host_api* host) { return self(host)->nowMs(); }
  static int64_t LLMP_ABI wall(const llmp_host_api* host) { return self(host)->wallMs(); }

  static llmp_status LLMP_ABI httpFetch(const llmp_host_api* host, const llmp_http_request* request,
                                        const llmp_http_response_sink* sink,
                                        const llmp_error_sink* err) {
    return guarded(err, [&]() -> llmp_status {
      if (request == nullptr || sink == nullptr) {
        setError(err, LLMP_E_INVALID, 0, "FakeHost: http_fetch without request or sink");
        return LLMP_E_INVALID;
      }
      llmp_http_request r = normalized(request);
      llmp_http_response_sink s = normalized(sink);
      FakeHttpRequest recorded;
      recorded.method = str(r.method);
      recorded.url = str(r.url);
      for (size_t i = 0; i < r.header_count; ++i) {
        recorded.headers.emplace_back(str(r.headers[i].name), str(r.headers[i].value));
      }
      recorded.body = str(r.body);
      recorded.connectTimeoutMs = r.connect_timeout_ms;
      recorded.firstByteTimeoutMs = r.first_byte_timeout_ms;
      recorded.idleTimeoutMs = r.idle_timeout_ms;
      recorded.totalTimeoutMs = r.total_timeout_ms;
      recorded.flags = r.flags;

      FakeHost* h = self(host);
      HttpHandler handler;
      {
        std::lock_guard<std::mutex> lock(h->mutex_);
        h->requests_.push_back(recorded);
        handler = h->httpHandler_;
      }
      if (!handler) {
        setError(err, LLMP_E_UNAVAILABLE, 0, "FakeHost: no HTTP handler set for " + recorded.url);
        return LLMP_E_UNAVAILABLE;
      }
      FakeHttpResponse resp = handler(recorded);
      if (resp.status <= 0) {
        llmp_status st = resp.transportStatus != LLMP_OK ? resp.transportStatus : LLMP_E_INTERNAL;
        setError(err, st, 0, resp.transportMessage.empty() ? "FakeHost: transport error" : resp.transportMessage);
        return st;
      }
      if (s.on_head != nullptr) {
        std::vector<llmp_header> heads;
        for (const auto& [k, v] : resp.headers) {
          heads.push_back(llmp_header{toBytes(k), toBytes(v)});
        }
        if (s.on_head(s.ctx, resp.status, heads.data(), heads.size()) != LLMP_OK) {
          setError(err, LLMP_E_CANCELLED, 0, "cancelled by the response sink");
          return LLMP_E_CANCELLED;
        }
      }
      for (const std::string& piece : resp.bodyPieces) {
        if (piece.empty() || s.on_body == nullptr) {
          continue;  // the real client never delivers empty pieces
        }
        if (s.on_body(s.ctx, toBytes(piece)) != LLMP_OK) {
          setError(err, LLMP_E_CANCELLED, 0, "cancelled by the response sink");
          return LLMP_E_CANCELLED;
        }
      }
      if (resp.transportStatus != LLMP_OK) {
        setError(err, resp.transportStatus, 0,
                 resp.transportMessage.empty() ? "FakeHost: connection broke" : resp.transportMessage);
        return resp.transportStatus;
      }
      return LLMP_OK;
    });
  }

  static llmp_status LLMP_ABI kvGet(const llmp_host_api* host, llmp_bytes key, const llmp_bytes_sink* out) {
    FakeHost* h = self(host);
    std::string value;
    {
      std::lock_guard<std::mutex> lock(h->mutex_);
      auto it = h->kv_.find(str(key));
      if (it == h->kv_.end()) {
        return LLMP_E_NOT_FOUND;
      }
      if (it->second.expiresAtMs != 0 && it->second.expiresAtMs <= h->monotonicMs_) {
        h->kv_.erase(it);
        return LLMP_E_NOT_FOUND;
      }
      value = it->second.value;
    }
    return out->write(out->ctx, toBytes(value));
  }

  static llmp_status LLMP_ABI kvSet(const llmp_host_api* host, llmp_bytes key, llmp_bytes value, int64_t ttlMs) {
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    h->kv_[str(key)] = KvEntry{str(value), expiry(h->monotonicMs_, ttlMs)};
    return LLMP_OK;
  }

  static llmp_status LLMP_ABI kvDelete(const llmp_host_api* host, llmp_bytes key) {
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    auto it = h->kv_.find(str(key));
    if (it == h->kv_.end()) {
      return LLMP_E_NOT_FOUND;
    }
    bool live = it->second.expiresAtMs == 0 || it->second.expiresAtMs > h->monotonicMs_;
    h->kv_.erase(it);
    return live ? LLMP_OK : LLMP_E_NOT_FOUND;
  }

  static llmp_status LLMP_ABI kvIncr(const llmp_host_api* host, llmp_bytes key, int64_t delta, int64_t ttlMs,
                                     int64_t* outValue) {
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    auto it = h->kv_.find(str(key));
    if (it != h->kv_.end() && it->second.expiresAtMs != 0 && it->second.expiresAtMs <= h->monotonicMs_) {
      h->kv_.erase(it);
      it = h->kv_.end();
    }
    int64_t current = 0;
    if (it != h->kv_.end()) {
      try {
        size_t used = 0;
        current = std::stoll(it->second.value, &used);
        if (used != it->second.value.size()) {
          return LLMP_E_INVALID;
        }
      } catch (...) {
        return LLMP_E_INVALID;
      }
    }
    int64_t result = 0;
    if (__builtin_add_overflow(current, delta, &result)) {
      return LLMP_E_INVALID;
    }
    if (it == h->kv_.end()) {
      h->kv_[str(key)] = KvEntry{std::to_string(result), expiry(h->monotonicMs_, ttlMs)};
    } else {
      it->second.value = std::to_string(result);
    }
    if (outValue != nullptr) {
      *outValue = result;
    }
    return LLMP_OK;
  }

  static llmp_status LLMP_ABI timerStart(const llmp_host_api* host, uint64_t delayMs, uint64_t periodMs,
                                         llmp_timer_fn fn, void* ctx, llmp_timer** out) {
    if (fn == nullptr || out == nullptr) {
      return LLMP_E_INVALID;
    }
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    uint64_t id = h->nextId_++;
    auto clamp = [](uint64_t v) {
      return static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max() / 4));
    };
    h->timers_[id] = Timer{h->monotonicMs_ + clamp(delayMs), clamp(periodMs), fn, ctx};
    *out = reinterpret_cast<llmp_timer*>(static_cast<uintptr_t>(id));
    return LLMP_OK;
  }

  static void LLMP_ABI timerCancel(const llmp_host_api* host, llmp_timer* timer) {
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    if (h->timers_.erase(reinterpret_cast<uintptr_t>(timer)) == 0) {
      h->logs_.push_back(FakeLogLine{LLMP_LOG_PLUGIN_MISBEHAVING, "timer_cancel on an unknown timer"});
    }
  }

  static llmp_status LLMP_ABI processSpawn(const llmp_host_api* host, const llmp_process_options* options,
                                           llmp_process** out, const llmp_error_sink* err) {
    return guarded(err, [&]() -> llmp_status {
      FakeHost* h = self(host);
      ProcessHandler handler;
      {
        std::lock_guard<std::mutex> lock(h->mutex_);
        handler = h->processHandler_;
      }
      if (!handler) {
        setError(err, LLMP_E_UNSUPPORTED, 0, "FakeHost: process_spawn has no handler");
        return LLMP_E_UNSUPPORTED;
      }
      if (options == nullptr || out == nullptr || options->argc == 0 || options->argv == nullptr) {
        setError(err, LLMP_E_INVALID, 0, "process_spawn needs argv");
        return LLMP_E_INVALID;
      }
      auto p = std::make_shared<FakeProcess>();
      p->options_ = normalized(options);
      for (size_t i = 0; i < p->options_.argc; ++i) {
        p->argv.emplace_back(p->options_.argv[i] != nullptr ? p->options_.argv[i] : "");
      }
      for (size_t i = 0; i < p->options_.envc; ++i) {
        p->env.emplace_back(p->options_.env[i] != nullptr ? p->options_.env[i] : "");
      }
      if (p->options_.cwd != nullptr) {
        p->cwd = p->options_.cwd;
      }
      // The borrowed arrays are gone after spawn returns.
      p->options_.argv = nullptr;
      p->options_.env = nullptr;
      p->options_.cwd = nullptr;
      {
        std::lock_guard<std::mutex> lock(h->mutex_);
        p->pid_ = 1000 + static_cast<int64_t>(h->processes_.size());
        h->processes_.push_back(p);
      }
      llmp_status rc = handler(*p);
      if (rc != LLMP_OK) {
        std::lock_guard<std::mutex> lock(p->mutex_);
        p->released_ = true;
        setError(err, rc, 0, "FakeHost: the process handler refused the spawn");
        return rc;
      }
      *out = reinterpret_cast<llmp_process*>(p.get());
      return LLMP_OK;
    });
  }

  static FakeProcess* proc(llmp_process* p) { return reinterpret_cast<FakeProcess*>(p); }

  static llmp_status LLMP_ABI processWrite(const llmp_host_api*, llmp_process* process, llmp_bytes data) {
    FakeProcess* p = proc(process);
    std::function<void(FakeProcess&, std::string_view)> react;
    {
      std::lock_guard<std::mutex> lock(p->mutex_);
      if (p->exited_ || p->released_ || p->stdinClosed_) {
        return LLMP_E_UNAVAILABLE;
      }
      p->stdin_.append(view(data));
      react = p->onStdin;
    }
    if (react) {
      react(*p, view(data));
    }
    return LLMP_OK;
  }

  static llmp_status LLMP_ABI processCloseStdin(const llmp_host_api*, llmp_process* process) {
    FakeProcess* p = proc(process);
    std::lock_guard<std::mutex> lock(p->mutex_);
    p->stdinClosed_ = true;
    return LLMP_OK;
  }

  static llmp_status LLMP_ABI processKill(const llmp_host_api*, llmp_process* process, int32_t signal) {
    FakeProcess* p = proc(process);
    std::function<void(FakeProcess&, int32_t)> react;
    {
      std::lock_guard<std::mutex> lock(p->mutex_);
      if (p->exited_ || p->released_) {
        return LLMP_E_UNAVAILABLE;
      }
      p->signals_.push_back(signal);
      react = p->onKill;
    }
    if (react) {
      react(*p, signal);
    } else {
      p->exit(-1, signal);
    }
    return LLMP_OK;
  }

  static int64_t LLMP_ABI processPid(const llmp_host_api*, llmp_process* process) {
    FakeProcess* p = proc(process);
    std::lock_guard<std::mutex> lock(p->mutex_);
    return p->released_ ? -1 : p->pid_;
  }

  static void LLMP_ABI processRelease(const llmp_host_api*, llmp_process* process) {
    FakeProcess* p = proc(process);
    p->exit(-1, 9);  // like the host: a running child is killed and reported
    std::lock_guard<std::mutex> lock(p->mutex_);
    p->released_ = true;
  }

  static llmp_status LLMP_ABI fileWatch(const llmp_host_api* host, llmp_bytes path, llmp_file_change_fn fn,
                                        void* ctx, llmp_file_watch** out, const llmp_error_sink* err) {
    if (fn == nullptr || out == nullptr || path.len == 0) {
      setError(err, LLMP_E_INVALID, 0, "file_watch needs a path, a callback and an out pointer");
      return LLMP_E_INVALID;
    }
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    uint64_t id = h->nextId_++;
    h->watches_[id] = Watch{str(path), fn, ctx};
    *out = reinterpret_cast<llmp_file_watch*>(static_cast<uintptr_t>(id));
    return LLMP_OK;
  }

  static void LLMP_ABI fileUnwatch(const llmp_host_api* host, llmp_file_watch* watch) {
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    if (h->watches_.erase(reinterpret_cast<uintptr_t>(watch)) == 0) {
      h->logs_.push_back(FakeLogLine{LLMP_LOG_PLUGIN_MISBEHAVING, "file_unwatch on an unknown watch"});
    }
  }

  static const void* LLMP_ABI getExtension(const llmp_host_api* host, const char* id) {
    if (id == nullptr) {
      return nullptr;
    }
    FakeHost* h = self(host);
    std::lock_guard<std::mutex> lock(h->mutex_);
    auto it = h->extensions_.find(id);
    return it == h->extensions_.end() ? nullptr : it->second;
  }
};

// ---- FakeHost -------------------------------------------------------------------------------

FakeHost::FakeHost(std::string pluginId) : pluginId_(std::move(pluginId)) {
  api_.struct_size = sizeof(llmp_host_api);
  api_.abi_major = LLMP_ABI_MAJOR;
  api_.abi_minor = LLMP_ABI_MINOR;
  api_.host_data = this;
  api_.host_name = "llmp-fake-host";
  api_.host_version = "0.0.0";
  api_.log = Impl::log;
  api_.log_enabled = Impl::logEnabled;
  api_.monotonic_ms = Impl::monotonic;
  api_.wall_ms = Impl::wall;
  api_.http_fetch = Impl::httpFetch;
  api_.kv_get = Impl::kvGet;
  api_.kv_set = Impl::kvSet;
  api_.kv_delete = Impl::kvDelete;
  api_.kv_incr = Impl::kvIncr;
  api_.timer_start = Impl::timerStart;
  api_.timer_cancel = Impl::timerCancel;
  api_.process_spawn = Impl::processSpawn;
  api_.process_write = Impl::processWrite;
  api_.process_close_stdin = Impl::processCloseStdin;
  api_.process_kill = Impl::processKill;
  api_.process_pid = Impl::processPid;
  api_.process_release = Impl::processRelease;
  api_.file_watch = Impl::fileWatch;
  api_.file_unwatch = Impl::fileUnwatch;
  api_.get_extension = Impl::getExtension;
}

FakeHost::~FakeHost() = default;

std::vector<FakeLogLine> FakeHost::logs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return logs_;
}

bool FakeHost::logged(std::string_view substring) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& line : logs_) {
    if (line.message.find(substring) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void FakeHost::clearLogs() {
  std::lock_guard<std::mutex> lock(mutex_);
  logs_.clear();
}

void FakeHost::setLogLevel(int32_t minLevel) {
  std::lock_guard<std::mutex> lock(mutex_);
  logLevel_ = minLevel;
}

int64_t FakeHost::nowMs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return monotonicMs_;
}

int64_t FakeHost::wallMs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wallMs_;
}

void FakeHost::advanceMs(int64_t ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  monotonicMs_ += ms;
  wallMs_ += ms;
}

void FakeHost::setHttpHandler(HttpHandler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  httpHandler_ = std::move(handler);
}

std::vector<FakeHttpRequest> FakeHost::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void FakeHost::clearRequests() {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.clear();
}

std::optional<std::string> FakeHost::kvValue(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = kv_.find(key);
  if (it == kv_.end() || (it->second.expiresAtMs != 0 && it->second.expiresAtMs <= monotonicMs_)) {
    return std::nullopt;
  }
  return it->second.value;
}

int FakeHost::runDueTimers() {
  int ran = 0;
  for (;;) {
    Timer due{};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto next = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.dueMs <= monotonicMs_ && (next == timers_.end() || it->second.dueMs < next->second.dueMs)) {
          next = it;
        }
      }
      if (next == timers_.end()) {
        return ran;
      }
      due = next->second;
      if (next->second.periodMs > 0) {
        next->second.dueMs += next->second.periodMs;
      } else {
        // A one-shot timer stays registered (the plugin still cancels it) but never fires again.
        next->second.dueMs = std::numeric_limits<int64_t>::max();
      }
    }
    due.fn(due.ctx);
    ++ran;
  }
}

size_t FakeHost::activeTimers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return timers_.size();
}

int FakeHost::touch(const std::string& path) {
  std::vector<Watch> hits;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, w] : watches_) {
      if (w.path == path) {
        hits.push_back(w);
      }
    }
  }
  for (const Watch& w : hits) {
    w.fn(w.ctx, toBytes(w.path));
  }
  return static_cast<int>(hits.size());
}

size_t FakeHost::activeWatches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return watches_.size();
}

void FakeHost::setProcessHandler(ProcessHandler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  processHandler_ = std::move(handler);
}

std::vector<std::shared_ptr<FakeProcess>> FakeHost::processes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return processes_;
}

void FakeHost::setExtension(const std::string& id, const void* extension) {
  std::lock_guard<std::mutex> lock(mutex_);
  extensions_[id] = extension;
}

}  // namespace llmp::testing
