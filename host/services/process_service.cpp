#include "services/process_service.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "log/log.h"

extern char** environ;

namespace llmp::host::services {

struct ProcessService::Process {
  pid_t pid = -1;
  void* ctx = nullptr;
  void(LLMP_ABI* onStdout)(void*, llmp_bytes) = nullptr;
  void(LLMP_ABI* onStderr)(void*, llmp_bytes) = nullptr;
  void(LLMP_ABI* onExit)(void*, int32_t, int32_t) = nullptr;

  std::mutex stdinMutex;  // serialises writes and close
  int stdinFd = -1;
  int stdoutFd = -1;
  int stderrFd = -1;
  int wakeFd = -1;  // eventfd: readers stop when it becomes readable

  std::mutex stateMutex;  // guards reaped: no signal goes to a recycled pid
  bool reaped = false;
  std::atomic<bool> exited{false};
  std::atomic<int> openReaders{2};

  std::mutex joinMutex;
  bool joined = false;
  std::thread outThread;
  std::thread errThread;

  ~Process() {
    for (int fd : {stdinFd, stdoutFd, stderrFd, wakeFd}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
};

namespace {

constexpr const char* kTag = "process";

void ignoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      ::signal(SIGPIPE, SIG_IGN);
    }
  });
}

std::string errnoText(int err) {
  char buf[256];
  // GNU strerror_r returns the message pointer (maybe not buf).
  return std::string(::strerror_r(err, buf, sizeof buf));
}

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The merged environment: the host's, with the options' entries replacing or adding names.
std::vector<std::string> mergedEnvironment(const llmp_process_options& o, std::string* error) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    env.emplace_back(*e);
  }
  for (size_t i = 0; i < o.envc; ++i) {
    if (o.env == nullptr || o.env[i] == nullptr) {
      *error = "process env entry " + std::to_string(i) + " is NULL";
      return {};
    }
    std::string_view entry(o.env[i]);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      *error = "process env entry " + std::to_string(i) + " is not NAME=value";
      return {};
    }
    std::string_view name = entry.substr(0, eq + 1);
    bool replaced = false;
    for (std::string& existing : env) {
      if (std::string_view(existing).substr(0, name.size()) == name) {
        existing.assign(entry);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      env.emplace_back(entry);
    }
  }
  return env;
}

std::string envValue(const std::vector<std::string>& env, std::string_view name) {
  for (const std::string& e : env) {
    if (e.size() > name.size() && e[name.size()] == '=' && std::string_view(e).substr(0, name.size()) == name) {
      return e.substr(name.size() + 1);
    }
  }
  return {};
}

// PATH lookup with the child's PATH, so an env override of PATH is honoured.
std::string resolveProgram(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  std::string path = envValue(env, "PATH");
  if (path.empty()) {
    path = "/usr/local/bin:/usr/bin:/bin";
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) {
      dir = ".";
    }
    std::string candidate = dir + "/" + program;
    if (isExecutableFile(candidate)) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() { closeBoth(); }
  void closeBoth() {
    for (int& fd : fds) {
      if (fd >= 0) {
        ::close(fd);
        fd = -1;
      }
    }
  }
  int take(int i) {
    int fd = fds[i];
    fds[i] = -1;
    return fd;
  }
};

}  // namespace

ProcessService::ProcessService() { ignoreSigpipeOnce(); }

ProcessService::~ProcessService() {
  stop();
  std::lock_guard<std::mutex> lock(mutex_);
  live_.clear();
}

ProcessService::Process* ProcessService::find(Process* process) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(process);
  return it == live_.end() ? nullptr : it->second.get();
}

llmp_status ProcessService::spawn(const llmp_process_options& o, Process** out, std::string* error) {
  if (out == nullptr) {
    *error = "process_spawn needs an out pointer";
    return LLMP_E_INVALID;
  }
  *out = nullptr;
  if (o.argv == nullptr || o.argc == 0 || o.argv[0] == nullptr || o.argv[0][0] == '\0') {
    *error = "process_spawn needs argv[0]";
    return LLMP_E_INVALID;
  }
  std::vector<std::string> args;
  for (size_t i = 0; i < o.argc; ++i) {
    if (o.argv[i] == nullptr) {
      *error = "process argv[" + std::to_string(i) + "] is NULL";
      return LLMP_E_INVALID;
    }
    args.emplace_back(o.argv[i]);
  }
  std::vector<std::string> env = mergedEnvironment(o, error);
  if (!error->empty()) {
    return LLMP_E_INVALID;
  }
  std::string program = resolveProgram(args[0], env);
  if (program.empty()) {
    *error = "executable '" + args[0] + "' not found on PATH";
    return LLMP_E_NOT_FOUND;
  }
  if (o.cwd != nullptr) {
    struct stat st {};
    if (::stat(o.cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
      *error = std::string("working directory '") + o.cwd + "' does not exist";
      return LLMP_E_NOT_FOUND;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
      *error = "the host is shutting down";
      return LLMP_E_UNAVAILABLE;
    }
  }

  Pipe in, outPipe, errPipe;
  if (::pipe2(in.fds, O_CLOEXEC) != 0 || ::pipe2(outPipe.fds, O_CLOEXEC) != 0 ||
      ::pipe2(errPipe.fds, O_CLOEXEC) != 0) {
    *error = "cannot create pipes: " + errnoText(errno);
    return LLMP_E_UNAVAILABLE;
  }
  int wakeFd = ::eventfd(0, EFD_CLOEXEC);
  if (wakeFd < 0) {
    *error = "cannot create eventfd: " + errnoText(errno);
    return LLMP_E_UNAVAILABLE;
  }
  auto p = std::make_unique<Process>();
  p->wakeFd = wakeFd;

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_adddup2(&actions, in.fds[0], 0);
  ::posix_spawn_file_actions_adddup2(&actions, outPipe.fds[1], 1);
  ::posix_spawn_file_actions_adddup2(&actions, errPipe.fds[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Sockets opened without CLOEXEC (the server's, the HTTP pool's) must not leak into children.
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  if (o.cwd != nullptr) {
    ::posix_spawn_file_actions_addchdir_np(&actions, o.cwd);
  }
  sigset_t mask;
  sigemptyset(&mask);
  ::posix_spawnattr_setsigmask(&attr, &mask);
  sigset_t defaults;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);  // undoes our SIGPIPE ignore in the child
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argvPtrs;
  for (std::string& a : args) {
    argvPtrs.push_back(a.data());
  }
  argvPtrs.push_back(nullptr);
  std::vector<char*> envPtrs;
  for (std::string& e : env) {
    envPtrs.push_back(e.data());
  }
  envPtrs.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, argvPtrs.data(), envPtrs.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = "cannot start '" + args[0] + "': " + errnoText(rc);
    return rc == ENOENT ? LLMP_E_NOT_FOUND : LLMP_E_UNAVAILABLE;
  }
  p->pid = pid;
  p->ctx = o.ctx;
  p->onStdout = o.on_stdout;
  p->onStderr = o.on_stderr;
  p->onExit = o.on_exit;
  p->stdinFd = in.take(1);
  p->stdoutFd = outPipe.take(0);
  p->stderrFd = errPipe.take(0);
  in.closeBoth();
  outPipe.closeBoth();
  errPipe.closeBoth();

  Process* raw = p.get();
  try {
    raw->outThread = std::thread(readLoop, raw, raw->stdoutFd, true);
  } catch (const std::system_error& e) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    *error = std::string("cannot start a reader thread: ") + e.what();
    return LLMP_E_UNAVAILABLE;
  }
  try {
    raw->errThread = std::thread(readLoop, raw, raw->stderrFd, false);
  } catch (const std::system_error& e) {
    // The stdout reader finishes the process (reap + on_exit) once it sees EOF.
    raw->openReaders.fetch_sub(1);
    terminate(raw);
    raw->outThread.join();
    *error = std::string("cannot start a reader thread: ") + e.what();
    return LLMP_E_UNAVAILABLE;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    live_.emplace(raw, std::move(p));
  }
  *out = raw;
  return LLMP_OK;
}

void ProcessService::readLoop(Process* p, int fd, bool isStdout) {
  auto callback = isStdout ? p->onStdout : p->onStderr;
  char buf[16384];
  pollfd fds[2] = {{fd, POLLIN, 0}, {p->wakeFd, POLLIN, 0}};
  for (;;) {
    int r = ::poll(fds, 2, -1);
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (fds[1].revents != 0) {
      break;  // release() or stop(): remaining output is dropped
    }
    if (fds[0].revents == 0) {
      continue;
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      if (callback != nullptr) {
        try {
          callback(p->ctx, llmp_bytes{buf, static_cast<size_t>(n)});
        } catch (...) {
          log::write(log::kMisbehaving, kTag, "a process output callback threw an exception");
        }
      }
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    break;  // EOF or error
  }
  if (p->openReaders.fetch_sub(1) == 1) {
    finish(p);
  }
}

void ProcessService::finish(Process* p) {
  // Wait for the exit without reaping, so kill() never races with a recycled pid.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(p->pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  int status = 0;
  {
    std::lock_guard<std::mutex> lock(p->stateMutex);
    while (::waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
    }
    p->reaped = true;
  }
  p->exited.store(true);
  int32_t code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int32_t sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (p->onExit != nullptr) {
    try {
      p->onExit(p->ctx, code, sig);
    } catch (...) {
      log::write(log::kMisbehaving, kTag, "a process exit callback threw an exception");
    }
  }
}

llmp_status ProcessService::write(Process* process, const char* data, size_t len) {
  Process* p = find(process);
  if (p == nullptr) {
    return LLMP_E_INVALID;
  }
  if (p->exited.load()) {
    return LLMP_E_UNAVAILABLE;
  }
  std::lock_guard<std::mutex> lock(p->stdinMutex);
  if (p->stdinFd < 0) {
    return LLMP_E_UNAVAILABLE;
  }
  while (len > 0) {
    ssize_t n = ::write(p->stdinFd, data, len);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return LLMP_E_UNAVAILABLE;  // EPIPE: the child closed stdin or exited
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return LLMP_OK;
}

llmp_status ProcessService::closeStdin(Process* process) {
  Process* p = find(process);
  if (p == nullptr) {
    return LLMP_E_INVALID;
  }
  std::lock_guard<std::mutex> lock(p->stdinMutex);
  if (p->stdinFd >= 0) {
    ::close(p->stdinFd);
    p->stdinFd = -1;
  }
  return LLMP_OK;
}

llmp_status ProcessService::kill(Process* process, int32_t signal) {
  Process* p = find(process);
  if (p == nullptr) {
    return LLMP_E_INVALID;
  }
  if (signal <= 0 || signal >= NSIG) {
    return LLMP_E_INVALID;
  }
  std::lock_guard<std::mutex> lock(p->stateMutex);
  if (p->reaped) {
    return LLMP_E_UNAVAILABLE;
  }
  return ::kill(p->pid, signal) == 0 ? LLMP_OK : LLMP_E_UNAVAILABLE;
}

int64_t ProcessService::pid(Process* process) {
  Process* p = find(process);
  return p == nullptr ? -1 : p->pid;
}

void ProcessService::terminate(Process* p) {
  {
    std::lock_guard<std::mutex> lock(p->stateMutex);
    if (!p->reaped) {
      ::kill(p->pid, SIGKILL);
    }
  }
  uint64_t one = 1;
  (void)!::write(p->wakeFd, &one, sizeof one);
}

void ProcessService::join(Process* p) {
  std::lock_guard<std::mutex> lock(p->joinMutex);
  if (p->joined) {
    return;
  }
  if (p->outThread.joinable()) {
    p->outThread.join();
  }
  if (p->errThread.joinable()) {
    p->errThread.join();
  }
  p->joined = true;
}

void ProcessService::release(Process* process) {
  Process* p = find(process);
  if (p == nullptr) {
    log::write(log::kMisbehaving, kTag, "process_release on an unknown or released handle");
    return;
  }
  auto self = std::this_thread::get_id();
  if (self == p->outThread.get_id() || self == p->errThread.get_id()) {
    // Joining ourselves would deadlock; stop() or the destructor frees it later.
    log::write(log::kMisbehaving, kTag, "process_release called from the process's own callback");
    terminate(p);
    return;
  }
  terminate(p);
  join(p);
  std::unique_ptr<Process> doomed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(process);
    if (it != live_.end()) {
      doomed = std::move(it->second);
      live_.erase(it);
    }
  }
}

void ProcessService::stop() {
  std::vector<Process*> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    for (auto& [raw, owned] : live_) {
      all.push_back(raw);
    }
  }
  for (Process* p : all) {
    terminate(p);
  }
  for (Process* p : all) {
    join(p);
  }
}

}  // namespace llmp::host::services
