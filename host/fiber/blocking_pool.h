// Threads for calls that may block: plugin code that is not cooperative (sdk/include: a backend
// or front end without LLMP_*_COOPERATIVE) and opening upstream connections. A fiber
// hands such a call over with runBlocking() and waits for it without holding its loop.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <pthread.h>

#include "fiber/fiber_loop.h"

namespace llmp::host::fiber {

class BlockingPool {
 public:
  // Threads start when work waits and none is idle, up to maxThreads; each has stackBytes.
  BlockingPool(size_t maxThreads, size_t stackBytes);
  ~BlockingPool();  // runs what is queued, then joins
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  void submit(std::function<void()> task);

  // The pool runBlocking uses (none: calls run in place). Set while the server runs.
  static void install(BlockingPool* pool);
  static BlockingPool* installed();

 private:
  static void* threadMain(void* self);
  void work();

  const size_t maxThreads_;
  const size_t stackBytes_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<pthread_t> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

namespace detail {
// Runs task on the installed pool and waits on the calling fiber; rethrows what task threw.
void offload(const std::function<void()>& task);
}  // namespace detail

// Runs fn where it may block. On a fiber: on a pool thread, while the fiber waits (its loop
// runs other fibers meanwhile). Elsewhere: in place.
template <class Fn>
auto runBlocking(Fn&& fn) -> decltype(fn()) {
  using Result = decltype(fn());
  if (!onFiber() || BlockingPool::installed() == nullptr) {
    return fn();
  }
  if constexpr (std::is_void_v<Result>) {
    detail::offload([&fn] { fn(); });
  } else {
    std::optional<Result> result;
    detail::offload([&fn, &result] { result.emplace(fn()); });
    return std::move(*result);
  }
}

}  // namespace llmp::host::fiber
