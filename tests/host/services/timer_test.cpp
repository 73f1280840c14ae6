#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "services/host_services.h"

namespace llmp::host {
namespace {

struct Counter {
  std::mutex mutex;
  std::condition_variable cv;
  int count = 0;
  const llmp_host_api* api = nullptr;
  llmp_timer* self = nullptr;  // for self-cancel
  int cancelAt = -1;

  static void LLMP_ABI tick(void* ctx) {
    auto* c = static_cast<Counter*>(ctx);
    std::lock_guard<std::mutex> lock(c->mutex);
    ++c->count;
    if (c->count == c->cancelAt) {
      c->api->timer_cancel(c->api, c->self);  // from inside the callback: must not deadlock
    }
    c->cv.notify_all();
  }
  bool waitFor(int n) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return count >= n; });
  }
  int get() {
    std::lock_guard<std::mutex> lock(mutex);
    return count;
  }
};

class TimerTest : public ::testing::Test {
 protected:
  HostServices services_;
  const llmp_host_api* api_ = services_.apiFor("timer-test");
};

TEST_F(TimerTest, OneShotFiresOnce) {
  Counter c;
  llmp_timer* t = nullptr;
  ASSERT_EQ(api_->timer_start(api_, 10, 0, Counter::tick, &c, &t), LLMP_OK);
  ASSERT_TRUE(c.waitFor(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(c.get(), 1);
  api_->timer_cancel(api_, t);
}

TEST_F(TimerTest, PeriodicFiresRepeatedlyUntilCancelled) {
  Counter c;
  llmp_timer* t = nullptr;
  ASSERT_EQ(api_->timer_start(api_, 0, 10, Counter::tick, &c, &t), LLMP_OK);
  ASSERT_TRUE(c.waitFor(3));
  api_->timer_cancel(api_, t);
  int after = c.get();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(c.get(), after) << "fired after timer_cancel returned";
}

TEST_F(TimerTest, CancelBeforeDueNeverFires) {
  Counter c;
  llmp_timer* t = nullptr;
  ASSERT_EQ(api_->timer_start(api_, 200, 0, Counter::tick, &c, &t), LLMP_OK);
  api_->timer_cancel(api_, t);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(c.get(), 0);
}

TEST_F(TimerTest, PeriodicTimerCanCancelItselfFromItsCallback) {
  Counter c;
  c.api = api_;
  c.cancelAt = 2;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    ASSERT_EQ(api_->timer_start(api_, 0, 10, Counter::tick, &c, &c.self), LLMP_OK);
  }
  ASSERT_TRUE(c.waitFor(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(c.get(), 2);
}

TEST_F(TimerTest, CancelWaitsForARunningCallback) {
  struct Slow {
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
    static void LLMP_ABI run(void* ctx) {
      auto* s = static_cast<Slow*>(ctx);
      s->started = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      s->finished = true;
    }
  } slow;
  llmp_timer* t = nullptr;
  ASSERT_EQ(api_->timer_start(api_, 0, 0, Slow::run, &slow, &t), LLMP_OK);
  while (!slow.started) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  api_->timer_cancel(api_, t);
  EXPECT_TRUE(slow.finished.load());
}

TEST_F(TimerTest, StartAfterShutdownIsUnavailable) {
  services_.shutdown();
  Counter c;
  llmp_timer* t = nullptr;
  EXPECT_EQ(api_->timer_start(api_, 0, 0, Counter::tick, &c, &t), LLMP_E_UNAVAILABLE);
}

}  // namespace
}  // namespace llmp::host
