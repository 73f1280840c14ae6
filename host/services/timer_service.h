// Timers behind timer_start/timer_cancel: one thread, a priority queue ordered by due time and a
// condition variable. Callbacks run on that thread, one at a time, so a slow callback delays the
// others; plugins hand long work to their own threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

namespace llmp::host::services {

class TimerService {
 public:
  using Fn = void (*)(void* ctx);
  struct Timer;  // opaque handle

  TimerService();
  ~TimerService();  // calls stop()
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  // Schedules fn after delayMs, then every periodMs (0 = once). nullptr after stop().
  Timer* start(uint64_t delayMs, uint64_t periodMs, Fn fn, void* ctx);
  // Cancels and frees the handle. Waits for a running callback of this timer unless called from
  // the timer thread itself. False for an unknown handle (double cancel).
  bool cancel(Timer* timer);
  // Stops the thread after a running callback returns; queued timers never fire. Idempotent.
  // Handles stay valid for cancel().
  void stop();

 private:
  struct QueueItem {
    int64_t dueMs;
    uint64_t seq;
    std::shared_ptr<Timer> timer;
    bool operator>(const QueueItem& o) const {
      return dueMs != o.dueMs ? dueMs > o.dueMs : seq > o.seq;
    }
  };

  void run();

  std::mutex mutex_;
  std::condition_variable wake_;      // new earlier timer or stop
  std::condition_variable finished_;  // a callback returned
  std::priority_queue<QueueItem, std::vector<QueueItem>, std::greater<QueueItem>> queue_;
  std::unordered_map<Timer*, std::shared_ptr<Timer>> live_;
  Timer* running_ = nullptr;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::thread::id threadId_;
  std::thread thread_;
};

}  // namespace llmp::host::services
