// File watches behind file_watch/file_unwatch: one inotify instance and one thread. A watch is
// placed on the file's parent directory, so an atomic rename over the file and a delete followed
// by a re-create are seen as well as writes. Events that arrive together (within ~20 ms) for one
// watch are folded into one callback.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <llmp/host.h>

namespace llmp::host::services {

class FileWatcher {
 public:
  using Fn = llmp_file_change_fn;
  struct Watch;  // opaque handle

  FileWatcher();
  ~FileWatcher();  // calls stop()
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // nullptr and *error filled when the parent directory cannot be watched.
  Watch* watch(const std::string& path, Fn fn, void* ctx, std::string* error, int32_t* status);
  // Removes and frees; waits for a running callback of this watch unless called from it.
  bool unwatch(Watch* watch);
  // Stops the thread; no callback runs after it returns. Idempotent.
  void stop();

 private:
  struct Dir {
    int wd = -1;
    std::string path;
    int refs = 0;
  };

  bool ensureStarted(std::string* error);
  void run();
  void dispatch(const std::map<Watch*, std::shared_ptr<Watch>>& due);

  std::mutex mutex_;
  std::condition_variable finished_;
  int inotifyFd_ = -1;
  int wakeFd_ = -1;
  bool stopping_ = false;
  std::unordered_map<int, Dir> dirsByWd_;
  std::unordered_map<Watch*, std::shared_ptr<Watch>> watches_;
  Watch* running_ = nullptr;
  std::thread::id threadId_;
  std::thread thread_;
};

}  // namespace llmp::host::services
