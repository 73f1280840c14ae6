// Cooperative fibers on event-loop threads: the host's request path runs here.
//
// Why: with a thread per request, every request put its thread to sleep twice (waiting for the
// client's next request, waiting for the upstream's answer), and each wake-up cost a kernel
// context switch, the largest item in every profile (docs/performance.md). A Loop runs many
// fibers on one thread; a fiber that would wait on a socket registers the socket with the loop's
// epoll set and yields, and the loop runs whichever fiber has data. Under load a loop finds
// ready sockets in each epoll_wait and never sleeps, as nginx's workers do.
//
// A fiber never moves to another thread. Code on a fiber must block only through the waits
// below (waitFd, sleepUntil, Signal, runBlocking); any other blocking call stalls every fiber of
// its loop. Plugin code runs on a fiber only when the plugin declares that it is cooperative
// (LLMP_*_COOPERATIVE in sdk/include); everything else goes through runBlocking
// (fiber/blocking_pool.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace llmp::host::fiber {

constexpr int64_t kNoDeadline = -1;  // monotonic milliseconds, or no deadline

class Loop {
 public:
  // stackBytes: each fiber's stack (plus a guard page that turns an overflow into a crash).
  explicit Loop(std::string name, size_t stackBytes = 256 * 1024);
  ~Loop();  // stop()
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Runs fn on a new fiber of this loop. [any-thread] False once the loop is stopping (fn is
  // dropped, not run). fn must not throw; an escaping exception is logged and swallowed.
  bool spawn(std::function<void()> fn);
  // Refuses new fibers, waits until every fiber has returned, and joins the thread.
  void stop();

  // The loop of the calling fiber, or nullptr when not on a fiber.
  static Loop* current();

  // Defined in fiber_loop.cpp only.
  struct Fiber;
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// True on a fiber: waits there must yield to the loop rather than block the thread.
bool onFiber();

enum class Wait { Ready, TimedOut };
// Waits until fd is readable (or writable with forWrite), closed or in error, or until
// deadlineMs (kNoDeadline: no limit). On a fiber it yields to the loop; elsewhere it polls.
Wait waitFd(int fd, bool forWrite, int64_t deadlineMs);
// Sleeps until deadlineMs (monotonic): yields on a fiber, blocks elsewhere.
void sleepUntil(int64_t deadlineMs);

// A one-shot wake-up for one waiter, a fiber or a thread: wait() returns once notify() was
// called, from any thread, before or after it.
class Signal {
 public:
  void wait();
  void notify();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool notified_ = false;
  void* loopImpl_ = nullptr;  // set while a fiber waits: its Loop::Impl and Loop::Fiber
  void* fiber_ = nullptr;
};

}  // namespace llmp::host::fiber
