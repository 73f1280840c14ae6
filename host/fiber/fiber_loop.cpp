#include "fiber/fiber_loop.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <cstring>
#include <cxxabi.h>
#include <deque>
#include <exception>
#include <map>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include "fiber/stack_switch.h"
#include "log/log.h"
#include "services/clock.h"

namespace llmp::host::fiber {
namespace {

using services::monotonicMs;

// The C++ runtime keeps the exceptions being handled per thread (Itanium C++ ABI,
// __cxa_eh_globals). Fibers share their thread, so each fiber carries its own copy: a fiber that
// yields inside a catch block must find its exception again, not another fiber's.
struct EhGlobals {
  void* caughtExceptions = nullptr;
  unsigned int uncaughtExceptions = 0;
};

void saveEh(EhGlobals* into) {
  std::memcpy(static_cast<void*>(into), static_cast<const void*>(abi::__cxa_get_globals()),
              sizeof *into);
}

void loadEh(const EhGlobals& from) {
  std::memcpy(static_cast<void*>(abi::__cxa_get_globals()), static_cast<const void*>(&from),
              sizeof from);
}

// AddressSanitizer must be told about each stack switch, or it reports the other stack's frames
// as errors.
void asanStart(void** fakeStack, const void* bottom, size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(fakeStack, bottom, size);
#else
  (void)fakeStack, (void)bottom, (void)size;
#endif
}

void asanFinish(void* fakeStack, const void** bottomOld, size_t* sizeOld) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fakeStack, bottomOld, sizeOld);
#else
  (void)fakeStack, (void)bottomOld, (void)sizeOld;
#endif
}

constexpr int kMaxEvents = 128;
constexpr size_t kMaxFreeStacks = 256;

}  // namespace

struct Loop::Fiber {
  StackContext context;
  char* stack = nullptr;  // usable part, above the guard page
  size_t stackSize = 0;
  std::function<void()> fn;
  EhGlobals eh;
  void* asanFakeStack = nullptr;
  bool finished = false;
  // The current wait.
  int fd = -1;  // registered with the loop's epoll set, or -1
  bool timedOut = false;
  bool hasTimer = false;
  std::multimap<int64_t, Fiber*>::iterator timer;
};

struct Loop::Impl {
  Loop* self = nullptr;
  std::string name;
  size_t stackBytes = 0;
  size_t pageSize = 4096;
  int epoll = -1;
  int wake = -1;  // eventfd: posts from other threads
  std::thread thread;

  std::mutex mutex;  // guards the three below
  std::vector<std::function<void()>> spawns;
  std::vector<Fiber*> resumes;
  bool stopping = false;

  // Loop thread only.
  std::deque<Fiber*> ready;
  std::multimap<int64_t, Fiber*> timers;
  size_t live = 0;
  std::vector<char*> freeStacks;  // mapping starts (guard page first)
  Fiber* current = nullptr;
  StackContext main;
  EhGlobals mainEh;
  void* mainFakeStack = nullptr;
  const void* mainStackBottom = nullptr;
  size_t mainStackSize = 0;

  void run();
  // Moves posted fibers to the ready queue and starts spawned ones; true once stop() was called.
  bool takePosts();
  Fiber* create(std::function<void()> fn);
  void enter(Fiber* f);
  void suspend();
  void post(Fiber* f);
  void schedule(Fiber* f) { ready.push_back(f); }
  static void trampoline();
};

namespace {
thread_local Loop::Impl* tLoop = nullptr;  // set on a loop's thread
}

Loop::Loop(std::string name, size_t stackBytes) : impl_(std::make_unique<Impl>()) {
  Impl& l = *impl_;
  l.self = this;
  l.name = std::move(name);
  l.pageSize = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  l.stackBytes = (stackBytes + l.pageSize - 1) / l.pageSize * l.pageSize;
  l.epoll = ::epoll_create1(EPOLL_CLOEXEC);
  l.wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (l.epoll < 0 || l.wake < 0) {
    throw std::runtime_error(std::string("cannot create an event loop: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up eventfd
  ::epoll_ctl(l.epoll, EPOLL_CTL_ADD, l.wake, &ev);
  l.thread = std::thread([&l] { l.run(); });
}

Loop::~Loop() {
  stop();
  Impl& l = *impl_;
  for (char* s : l.freeStacks) {
    ::munmap(s, l.stackBytes + l.pageSize);
  }
  ::close(l.wake);
  ::close(l.epoll);
}

bool Loop::spawn(std::function<void()> fn) {
  Impl& l = *impl_;
  {
    std::lock_guard<std::mutex> lock(l.mutex);
    if (l.stopping) {
      return false;
    }
    l.spawns.push_back(std::move(fn));
  }
  const uint64_t one = 1;
  (void)!::write(l.wake, &one, sizeof one);
  return true;
}

void Loop::stop() {
  Impl& l = *impl_;
  {
    std::lock_guard<std::mutex> lock(l.mutex);
    l.stopping = true;
  }
  const uint64_t one = 1;
  (void)!::write(l.wake, &one, sizeof one);
  if (l.thread.joinable()) {
    l.thread.join();
  }
}

Loop* Loop::current() {
  return tLoop != nullptr && tLoop->current != nullptr ? tLoop->self : nullptr;
}

bool onFiber() { return tLoop != nullptr && tLoop->current != nullptr; }

void Loop::Impl::post(Fiber* f) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    resumes.push_back(f);
  }
  const uint64_t one = 1;
  (void)!::write(wake, &one, sizeof one);
}

bool Loop::Impl::takePosts() {
  std::vector<std::function<void()>> newFibers;
  bool stopRequested = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopRequested = stopping;
    newFibers.swap(spawns);
    for (Fiber* f : resumes) {
      ready.push_back(f);
    }
    resumes.clear();
  }
  for (auto& fn : newFibers) {
    Fiber* f = create(std::move(fn));
    if (f != nullptr) {
      ready.push_back(f);
    }
  }
  return stopRequested;
}

Loop::Fiber* Loop::Impl::create(std::function<void()> fn) {
  char* mapping = nullptr;
  if (!freeStacks.empty()) {
    mapping = freeStacks.back();
    freeStacks.pop_back();
  } else {
    void* p = ::mmap(nullptr, stackBytes + pageSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) {
      log::error("fiber", "cannot map a fiber stack: " + std::string(std::strerror(errno)));
      return nullptr;  // fn is dropped: its captures (a client socket) close
    }
    mapping = static_cast<char*>(p);
    ::mprotect(mapping, pageSize, PROT_NONE);  // guard page: an overflow faults
  }
  auto* f = new Fiber;
  f->stack = mapping + pageSize;
  f->stackSize = stackBytes;
  f->fn = std::move(fn);
  prepareStack(&f->context, f->stack, f->stackSize, &Impl::trampoline);
  ++live;
  return f;
}

void Loop::Impl::trampoline() {
  Impl* l = tLoop;
  Fiber* f = l->current;
  asanFinish(nullptr, &l->mainStackBottom, &l->mainStackSize);
  try {
    f->fn();
  } catch (const std::exception& e) {
    log::error("fiber", std::string("a fiber ended with an exception: ") + e.what());
  } catch (...) {
    log::error("fiber", "a fiber ended with an exception");
  }
  f->fn = nullptr;  // its captures are destroyed here, on the fiber
  f->finished = true;
  asanStart(nullptr, l->mainStackBottom, l->mainStackSize);  // nullptr: this stack is done
  switchStack(&f->context, &l->main);
  std::terminate();  // a finished fiber is never resumed
}

void Loop::Impl::enter(Fiber* f) {
  current = f;
  saveEh(&mainEh);
  loadEh(f->eh);
  asanStart(&mainFakeStack, f->stack, f->stackSize);
  switchStack(&main, &f->context);
  asanFinish(mainFakeStack, nullptr, nullptr);
  saveEh(&f->eh);
  loadEh(mainEh);
  current = nullptr;
  if (f->finished) {
    char* mapping = f->stack - pageSize;
    if (freeStacks.size() < kMaxFreeStacks) {
      freeStacks.push_back(mapping);
    } else {
      ::munmap(mapping, stackBytes + pageSize);
    }
    delete f;
    --live;
  }
}

void Loop::Impl::suspend() {
  Fiber* f = current;
  asanStart(&f->asanFakeStack, mainStackBottom, mainStackSize);
  switchStack(&f->context, &main);
  asanFinish(f->asanFakeStack, &mainStackBottom, &mainStackSize);
}

void Loop::Impl::run() {
  tLoop = this;
  epoll_event events[kMaxEvents];
  for (;;) {
    const bool stopRequested = takePosts();
    // Only the fibers ready now: those they wake run after the next look at the sockets.
    for (size_t n = ready.size(); n > 0; --n) {
      Fiber* f = ready.front();
      ready.pop_front();
      enter(f);
    }
    // Once stopping, nothing new is spawned (takePosts took what came before), and with no
    // fiber left nothing can be resumed: done.
    if (stopRequested && live == 0) {
      break;
    }
    int timeout = -1;
    if (!ready.empty()) {
      timeout = 0;
    } else if (!timers.empty()) {
      timeout = static_cast<int>(std::max<int64_t>(0, timers.begin()->first - monotonicMs()));
    }
    const int n = ::epoll_wait(epoll, events, kMaxEvents, timeout);
    if (n < 0 && errno != EINTR) {
      log::error("fiber", std::string("epoll_wait failed: ") + std::strerror(errno));
    }
    for (int i = 0; i < n; ++i) {
      auto* f = static_cast<Fiber*>(events[i].data.ptr);
      if (f == nullptr) {
        uint64_t count = 0;
        (void)!::read(wake, &count, sizeof count);
        continue;
      }
      if (f->hasTimer) {
        timers.erase(f->timer);
        f->hasTimer = false;
      }
      f->timedOut = false;
      schedule(f);
    }
    if (!timers.empty()) {
      const int64_t now = monotonicMs();
      while (!timers.empty() && timers.begin()->first <= now) {
        Fiber* f = timers.begin()->second;
        timers.erase(timers.begin());
        f->hasTimer = false;
        if (f->fd >= 0) {
          // Its one-shot registration is still armed: disarm it before the fiber moves on.
          ::epoll_ctl(epoll, EPOLL_CTL_DEL, f->fd, nullptr);
        }
        f->timedOut = true;
        schedule(f);
      }
    }
  }
  tLoop = nullptr;
}

Wait waitFd(int fd, bool forWrite, int64_t deadlineMs) {
  Loop::Impl* l = tLoop;
  if (l == nullptr || l->current == nullptr) {
    pollfd p{fd, static_cast<short>(forWrite ? POLLOUT : POLLIN), 0};
    for (;;) {
      int timeout = -1;
      if (deadlineMs != kNoDeadline) {
        timeout = static_cast<int>(std::max<int64_t>(0, deadlineMs - monotonicMs()));
      }
      const int r = ::poll(&p, 1, timeout);
      if (r > 0 || (r < 0 && errno != EINTR)) {
        return Wait::Ready;  // the caller's next syscall reports an error
      }
      if (r == 0) {
        return Wait::TimedOut;
      }
    }
  }
  Loop::Fiber* f = l->current;
  epoll_event ev{};
  ev.events = (forWrite ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT;
  ev.data.ptr = f;
  // One-shot: each wait arms the fd once; MOD first, since a socket usually waits many times.
  if (::epoll_ctl(l->epoll, EPOLL_CTL_MOD, fd, &ev) != 0) {
    if (errno != ENOENT || ::epoll_ctl(l->epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return Wait::Ready;  // not pollable: the caller's next syscall reports why
    }
  }
  f->fd = fd;
  f->timedOut = false;
  if (deadlineMs != kNoDeadline) {
    f->timer = l->timers.emplace(deadlineMs, f);
    f->hasTimer = true;
  }
  l->suspend();
  f->fd = -1;
  return f->timedOut ? Wait::TimedOut : Wait::Ready;
}

void sleepUntil(int64_t deadlineMs) {
  Loop::Impl* l = tLoop;
  if (l == nullptr || l->current == nullptr) {
    const int64_t left = deadlineMs - monotonicMs();
    if (left > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(left));
    }
    return;
  }
  Loop::Fiber* f = l->current;
  f->fd = -1;
  f->timer = l->timers.emplace(deadlineMs, f);
  f->hasTimer = true;
  l->suspend();
}

void Signal::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (notified_) {
    return;
  }
  Loop::Impl* l = tLoop;
  if (l != nullptr && l->current != nullptr) {
    loopImpl_ = l;
    fiber_ = l->current;
    lock.unlock();
    l->suspend();  // notify() posts this fiber back to its loop
    lock.lock();   // notify() may still hold the lock: let it finish before *this goes away
    return;
  }
  cv_.wait(lock, [this] { return notified_; });
}

void Signal::notify() {
  std::lock_guard<std::mutex> lock(mutex_);
  notified_ = true;
  if (fiber_ != nullptr) {
    static_cast<Loop::Impl*>(loopImpl_)->post(static_cast<Loop::Fiber*>(fiber_));
  } else {
    cv_.notify_one();
  }
}

}  // namespace llmp::host::fiber
