#include "services/timer_service.h"

#include <chrono>
#include <limits>

#include "log/log.h"
#include "services/clock.h"

namespace llmp::host::services {

struct TimerService::Timer {
  Fn fn;
  void* ctx;
  int64_t periodMs;
  bool cancelled = false;  // guarded by TimerService::mutex_
};

namespace {
int64_t saturatingAdd(int64_t a, uint64_t b) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 2;
  return b > static_cast<uint64_t>(kMax - a) ? kMax : a + static_cast<int64_t>(b);
}
}  // namespace

TimerService::TimerService() {
  thread_ = std::thread([this] { run(); });
  threadId_ = thread_.get_id();
}

TimerService::~TimerService() { stop(); }

TimerService::Timer* TimerService::start(uint64_t delayMs, uint64_t periodMs, Fn fn, void* ctx) {
  auto timer = std::make_shared<Timer>();
  timer->fn = fn;
  timer->ctx = ctx;
  timer->periodMs = periodMs > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 4)
                        ? std::numeric_limits<int64_t>::max() / 4
                        : static_cast<int64_t>(periodMs);
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    return nullptr;
  }
  QueueItem item{saturatingAdd(monotonicMs(), delayMs), seq_++, timer};
  bool earliest = queue_.empty() || item.dueMs < queue_.top().dueMs;
  queue_.push(item);
  live_.emplace(timer.get(), timer);
  if (earliest) {
    wake_.notify_one();
  }
  return timer.get();
}

bool TimerService::cancel(Timer* timer) {
  std::shared_ptr<Timer> keep;  // freed after the lock is released
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = live_.find(timer);
  if (it == live_.end()) {
    return false;
  }
  keep = std::move(it->second);
  live_.erase(it);
  keep->cancelled = true;
  if (std::this_thread::get_id() != threadId_) {
    finished_.wait(lock, [&] { return running_ != timer; });
  }
  // The queue entry (if any) is dropped when it comes due.
  return true;
}

void TimerService::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable()) {
      return;
    }
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && std::this_thread::get_id() != threadId_) {
    thread_.join();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  queue_ = {};
}

void TimerService::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    int64_t now = monotonicMs();
    if (queue_.top().dueMs > now) {
      wake_.wait_for(lock, std::chrono::milliseconds(queue_.top().dueMs - now));
      continue;
    }
    QueueItem item = queue_.top();
    queue_.pop();
    if (item.timer->cancelled) {
      continue;
    }
    running_ = item.timer.get();
    lock.unlock();
    try {
      item.timer->fn(item.timer->ctx);
    } catch (...) {
      log::write(log::kMisbehaving, "timer", "a timer callback threw an exception");
    }
    lock.lock();
    running_ = nullptr;
    finished_.notify_all();
    if (item.timer->periodMs > 0 && !item.timer->cancelled) {
      // Catch up by skipping missed ticks rather than firing a burst.
      int64_t next = item.dueMs + item.timer->periodMs;
      int64_t after = monotonicMs();
      if (next <= after) {
        next = after + item.timer->periodMs;
      }
      queue_.push(QueueItem{next, seq_++, std::move(item.timer)});
    }
  }
}

}  // namespace llmp::host::services
