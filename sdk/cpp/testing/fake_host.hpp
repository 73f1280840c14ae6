// A fake llmp_host_api for plugin unit tests: no network, no threads, no real time.
//
//   llmp::testing::FakeHost host;
//   host.setHttpHandler([](const FakeHttpRequest& r) {
//     return FakeHttpResponse{200, {{"Content-Type", "text/event-stream"}}, {"data: 1\n\n", "data: 2\n\n"}};
//   });
//   plugin->init(host.api());  ...  EXPECT_EQ(host.requests().at(0).header("x-goog-api-key"), "k");
//
// - log lines are captured (logs(), logged()); nothing is printed;
// - monotonic_ms/wall_ms read a fake clock moved by advanceMs(); kv TTLs use it;
// - http_fetch calls the test's handler and feeds its answer to the sink piece by piece, on the
//   calling thread; every request is recorded;
// - timers fire only inside runDueTimers(), file watches only inside touch(path);
// - process_spawn answers LLMP_E_UNSUPPORTED unless setProcessHandler() was called; the handler
//   gets a FakeProcess through which the test plays the child.
// All members are thread-safe; callbacks into the plugin never run under the fake's lock.
#pragma once

#include <llmp/host.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmp::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct FakeHttpRequest {
  std::string method;
  std::string url;
  Headers headers;
  std::string body;
  uint32_t connectTimeoutMs = 0;
  uint32_t firstByteTimeoutMs = 0;
  uint32_t idleTimeoutMs = 0;
  uint32_t totalTimeoutMs = 0;
  uint32_t flags = 0;

  // Case-insensitive; empty when absent.
  std::string header(std::string_view name) const;
};

struct FakeHttpResponse {
  // status > 0: on_head(status, headers), then on_body per piece, then transportStatus decides
  // the result (non-OK = the connection broke after those pieces).
  // status == 0: nothing is delivered; http_fetch fails with transportStatus.
  int32_t status = 200;
  Headers headers;
  std::vector<std::string> bodyPieces;
  llmp_status transportStatus = LLMP_OK;
  std::string transportMessage;  // the err message when transportStatus != LLMP_OK

  // A failure before any response (connection refused, timeout, ...).
  static FakeHttpResponse transportError(llmp_status status, std::string message = {});
};

struct FakeLogLine {
  int32_t level;
  std::string message;
};

// The child process as the test sees it. Output and exit are pushed to the plugin's callbacks on
// the calling thread.
class FakeProcess {
 public:
  std::vector<std::string> argv;
  std::vector<std::string> env;  // the NAME=value entries the plugin added
  std::string cwd;               // empty when the plugin passed NULL

  // Optional reactions, called outside the fake's lock on the plugin's thread.
  std::function<void(FakeProcess&, std::string_view data)> onStdin;
  std::function<void(FakeProcess&, int32_t signal)> onKill;  // default: exit(-1, signal)

  void emitStdout(std::string_view data);
  void emitStderr(std::string_view data);
  // Calls on_exit once; later calls, and output after it, are ignored.
  void exit(int32_t code, int32_t signal = 0);

  std::string stdinData() const;
  bool stdinClosed() const;
  bool exited() const;
  bool released() const;
  std::vector<int32_t> signals() const;

 private:
  friend class FakeHost;
  mutable std::mutex mutex_;
  llmp_process_options options_{};
  std::string stdin_;
  bool stdinClosed_ = false;
  bool exited_ = false;
  bool released_ = false;
  std::vector<int32_t> signals_;
  int64_t pid_ = 0;
};

class FakeHost {
 public:
  using HttpHandler = std::function<FakeHttpResponse(const FakeHttpRequest&)>;
  // Fill in the child's behaviour; return non-OK to make the spawn fail with that status.
  using ProcessHandler = std::function<llmp_status(FakeProcess&)>;

  explicit FakeHost(std::string pluginId = "test-plugin");
  ~FakeHost();
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const llmp_host_api* api() const { return &api_; }
  const std::string& pluginId() const { return pluginId_; }

  // ---- logging
  std::vector<FakeLogLine> logs() const;
  bool logged(std::string_view substring) const;
  void clearLogs();
  void setLogLevel(int32_t minLevel);  // log_enabled answers accordingly; default TRACE

  // ---- clock (monotonic starts at 1'000'000 ms, wall at 2024-01-01T00:00:00Z)
  int64_t nowMs() const;
  int64_t wallMs() const;
  void advanceMs(int64_t ms);  // moves both clocks; does not run timers

  // ---- HTTP
  void setHttpHandler(HttpHandler handler);
  std::vector<FakeHttpRequest> requests() const;
  void clearRequests();

  // ---- key-value (what the plugin stored; honours TTLs)
  std::optional<std::string> kvValue(const std::string& key) const;

  // ---- timers: runs every timer due at nowMs() (a periodic timer as often as it fell due);
  // returns how many callbacks ran.
  int runDueTimers();
  size_t activeTimers() const;

  // ---- file watches: calls every watch on exactly this path; returns how many ran.
  int touch(const std::string& path);
  size_t activeWatches() const;

  // ---- processes
  void setProcessHandler(ProcessHandler handler);
  std::vector<std::shared_ptr<FakeProcess>> processes() const;

  // ---- extensions for get_extension
  void setExtension(const std::string& id, const void* extension);

 private:
  struct Timer {
    int64_t dueMs;
    int64_t periodMs;
    llmp_timer_fn fn;
    void* ctx;
  };
  struct Watch {
    std::string path;
    llmp_file_change_fn fn;
    void* ctx;
  };
  struct KvEntry {
    std::string value;
    int64_t expiresAtMs;  // 0 = never
  };
  struct Impl;  // the C trampolines

  llmp_host_api api_{};
  std::string pluginId_;
  mutable std::mutex mutex_;
  std::vector<FakeLogLine> logs_;
  int32_t logLevel_ = LLMP_LOG_TRACE;
  int64_t monotonicMs_ = 1000000;
  int64_t wallMs_ = 1704067200000;
  HttpHandler httpHandler_;
  std::vector<FakeHttpRequest> requests_;
  std::map<std::string, KvEntry> kv_;
  std::map<uint64_t, Timer> timers_;  // key = handle id
  uint64_t nextId_ = 1;
  std::map<uint64_t, Watch> watches_;
  ProcessHandler processHandler_;
  std::vector<std::shared_ptr<FakeProcess>> processes_;
  std::map<std::string, const void*> extensions_;
};

}  // namespace llmp::testing
