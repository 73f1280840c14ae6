// Child processes behind process_spawn & co: posix_spawn with pipes on stdin, stdout and stderr,
// one reader thread per output stream, the last reader to finish reaps the child and reports
// on_exit. SIGPIPE is ignored process-wide (the first ProcessService does it) so a write to a
// child that went away returns EPIPE instead of killing the proxy.
#pragma once

#include <llmp/host.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace llmp::host::services {

class ProcessService {
 public:
  struct Process;  // opaque handle

  ProcessService();
  ~ProcessService();  // stop(), then frees handles nobody released
  ProcessService(const ProcessService&) = delete;
  ProcessService& operator=(const ProcessService&) = delete;

  // On failure returns the status and fills *error with a sentence for the plugin.
  llmp_status spawn(const llmp_process_options& options, Process** out, std::string* error);
  llmp_status write(Process* process, const char* data, size_t len);
  llmp_status closeStdin(Process* process);
  llmp_status kill(Process* process, int32_t signal);
  int64_t pid(Process* process);
  void release(Process* process);
  // Kills every child and joins its threads (handles stay valid for release()). Idempotent.
  void stop();

 private:
  Process* find(Process* process);
  static void readLoop(Process* p, int fd, bool isStdout);
  static void finish(Process* p);
  static void terminate(Process* p);
  static void join(Process* p);

  std::mutex mutex_;
  std::unordered_map<Process*, std::unique_ptr<Process>> live_;
  bool stopped_ = false;
};

}  // namespace llmp::host::services
