#include "fiber/blocking_pool.h"

#include <atomic>
#include <cstring>
#include <exception>
#include <string>

#include "log/log.h"

namespace llmp::host::fiber {
namespace {
std::atomic<BlockingPool*> gInstalled{nullptr};
}

BlockingPool::BlockingPool(size_t maxThreads, size_t stackBytes)
    : maxThreads_(maxThreads > 0 ? maxThreads : 1), stackBytes_(stackBytes) {}

BlockingPool::~BlockingPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (pthread_t t : threads_) {
    ::pthread_join(t, nullptr);
  }
}

void BlockingPool::install(BlockingPool* pool) { gInstalled.store(pool); }
BlockingPool* BlockingPool::installed() { return gInstalled.load(std::memory_order_relaxed); }

void BlockingPool::submit(std::function<void()> task) {
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(std::move(task));
  if (idle_ >= queue_.size() || threads_.size() >= maxThreads_) {
    lock.unlock();
    cv_.notify_one();
    return;
  }
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  ::pthread_attr_setstacksize(&attr, stackBytes_);
  pthread_t thread;
  const int rc = ::pthread_create(&thread, &attr, &BlockingPool::threadMain, this);
  ::pthread_attr_destroy(&attr);
  if (rc == 0) {
    threads_.push_back(thread);
  } else if (threads_.empty()) {
    // Nothing could ever run the task: run it here rather than hang its caller.
    std::function<void()> t = std::move(queue_.back());
    queue_.pop_back();
    lock.unlock();
    log::error("blocking-pool", std::string("cannot start a thread: ") + std::strerror(rc));
    t();
    return;
  }
  lock.unlock();
  cv_.notify_one();
}

void* BlockingPool::threadMain(void* self) {
  static_cast<BlockingPool*>(self)->work();
  return nullptr;
}

void BlockingPool::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ++idle_;
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (queue_.empty()) {
      return;  // stopping, and nothing left to run
    }
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

namespace detail {

void offload(const std::function<void()>& task) {
  Signal done;
  std::exception_ptr failure;
  BlockingPool::installed()->submit([&] {
    try {
      task();
    } catch (...) {
      failure = std::current_exception();
    }
    done.notify();
  });
  done.wait();
  if (failure) {
    std::rethrow_exception(failure);
  }
}

}  // namespace detail
}  // namespace llmp::host::fiber
