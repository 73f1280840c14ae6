#include "services/file_watcher.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <llmp/types.h>

#include <vector>

#include "log/log.h"

namespace llmp::host::services {

struct FileWatcher::Watch {
  std::string path;  // as the plugin gave it (passed back to the callback)
  std::string name;  // file name inside the directory
  int wd = -1;
  Fn fn = nullptr;
  void* ctx = nullptr;
  bool removed = false;  // guarded by FileWatcher::mutex_
};

namespace {

constexpr const char* kTag = "file-watch";
constexpr uint32_t kDirMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                              IN_DELETE | IN_ATTRIB;
constexpr int kSettleMs = 20;

void splitPath(const std::string& path, std::string* dir, std::string* name) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    *dir = ".";
    *name = path;
  } else if (slash == 0) {
    *dir = "/";
    *name = path.substr(1);
  } else {
    *dir = path.substr(0, slash);
    *name = path.substr(slash + 1);
  }
}

}  // namespace

FileWatcher::FileWatcher() = default;

FileWatcher::~FileWatcher() {
  stop();
  if (inotifyFd_ >= 0) {
    ::close(inotifyFd_);
  }
  if (wakeFd_ >= 0) {
    ::close(wakeFd_);
  }
}

bool FileWatcher::ensureStarted(std::string* error) {
  if (thread_.joinable()) {
    return true;
  }
  inotifyFd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotifyFd_ < 0) {
    *error = std::string("cannot start file watching: ") + ::strerror(errno);
    return false;
  }
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) {
    *error = std::string("cannot start file watching: ") + ::strerror(errno);
    ::close(inotifyFd_);
    inotifyFd_ = -1;
    return false;
  }
  thread_ = std::thread([this] { run(); });
  threadId_ = thread_.get_id();
  return true;
}

FileWatcher::Watch* FileWatcher::watch(const std::string& path, Fn fn, void* ctx,
                                       std::string* error, int32_t* status) {
  if (path.empty() || path.back() == '/' || fn == nullptr) {
    *error = "file_watch needs a file path and a callback";
    *status = LLMP_E_INVALID;
    return nullptr;
  }
  auto w = std::make_shared<Watch>();
  w->path = path;
  w->fn = fn;
  w->ctx = ctx;
  std::string dir;
  splitPath(path, &dir, &w->name);

  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    *error = "the host is shutting down";
    *status = LLMP_E_UNAVAILABLE;
    return nullptr;
  }
  if (!ensureStarted(error)) {
    *status = LLMP_E_UNAVAILABLE;
    return nullptr;
  }
  // The same directory always yields the same wd, so watches on one directory share it.
  int wd = ::inotify_add_watch(inotifyFd_, dir.c_str(), kDirMask | IN_ONLYDIR);
  if (wd < 0) {
    int err = errno;
    *error = "cannot watch directory '" + dir + "': " + ::strerror(err);
    *status = (err == ENOENT || err == ENOTDIR) ? LLMP_E_NOT_FOUND : LLMP_E_UNAVAILABLE;
    return nullptr;
  }
  Dir& d = dirsByWd_[wd];
  d.wd = wd;
  d.path = dir;
  d.refs++;
  w->wd = wd;
  watches_.emplace(w.get(), w);
  *status = LLMP_OK;
  return w.get();
}

bool FileWatcher::unwatch(Watch* watch) {
  std::shared_ptr<Watch> keep;
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = watches_.find(watch);
  if (it == watches_.end()) {
    return false;
  }
  keep = std::move(it->second);
  watches_.erase(it);
  keep->removed = true;
  auto d = dirsByWd_.find(keep->wd);
  if (d != dirsByWd_.end() && --d->second.refs == 0) {
    ::inotify_rm_watch(inotifyFd_, d->second.wd);
    dirsByWd_.erase(d);
  }
  if (std::this_thread::get_id() != threadId_) {
    finished_.wait(lock, [&] { return running_ != watch; });
  }
  return true;
}

void FileWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (wakeFd_ >= 0) {
      uint64_t one = 1;
      (void)!::write(wakeFd_, &one, sizeof one);
    }
  }
  if (thread_.joinable() && std::this_thread::get_id() != threadId_) {
    thread_.join();
  }
}

void FileWatcher::run() {
  alignas(inotify_event) char buf[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
  std::map<Watch*, std::shared_ptr<Watch>> due;  // ordered: stable callback order per batch
  pollfd fds[2] = {{inotifyFd_, POLLIN, 0}, {wakeFd_, POLLIN, 0}};
  for (;;) {
    // Block until the first event; then keep collecting until kSettleMs pass quietly, so an
    // editor's write + rename burst produces one callback.
    int r = ::poll(fds, 2, due.empty() ? -1 : kSettleMs);
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      log::write(log::kError, kTag, std::string("poll failed: ") + ::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    if (r == 0) {
      dispatch(due);
      due.clear();
      continue;
    }
    ssize_t n = ::read(inotifyFd_, buf, sizeof buf);
    if (n <= 0) {
      continue;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->len == 0) {
        continue;  // event on the directory itself
      }
      std::string_view name(ev->name);
      for (auto& [raw, w] : watches_) {
        if (w->wd == ev->wd && w->name == name) {
          due.emplace(raw, w);
        }
      }
    }
  }
}

void FileWatcher::dispatch(const std::map<Watch*, std::shared_ptr<Watch>>& due) {
  for (const auto& [raw, w] : due) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (w->removed || stopping_) {
        continue;
      }
      running_ = raw;
    }
    try {
      w->fn(w->ctx, llmp_bytes{w->path.data(), w->path.size()});
    } catch (...) {
      log::write(log::kMisbehaving, kTag, "a file watch callback threw an exception");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = nullptr;
    finished_.notify_all();
  }
}

}  // namespace llmp::host::services
