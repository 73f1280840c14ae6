#include "fiber/blocking_pool.h"
#include "fiber/fiber_loop.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "services/clock.h"

namespace llmp::host::fiber {
namespace {

using services::monotonicMs;

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  }
  ~SocketPair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
};

// Reads one byte from a non-blocking socket, waiting through waitFd; -1 on timeout or close.
int readByte(int fd, int64_t deadlineMs) {
  for (;;) {
    char c = 0;
    const ssize_t n = ::recv(fd, &c, 1, 0);
    if (n == 1) {
      return static_cast<unsigned char>(c);
    }
    if (n == 0) {
      return -1;
    }
    if (waitFd(fd, false, deadlineMs) == Wait::TimedOut) {
      return -1;
    }
  }
}

TEST(FiberLoop, ManyFibersWaitOnTheirSocketsOnOneThread) {
  constexpr int kFibers = 50;
  std::vector<std::unique_ptr<SocketPair>> pairs;
  for (int i = 0; i < kFibers; ++i) {
    pairs.push_back(std::make_unique<SocketPair>());
  }
  std::mutex mutex;
  std::set<std::thread::id> threads;
  Loop loop("test");
  for (int i = 0; i < kFibers; ++i) {
    const int fd = pairs[i]->fds[1];
    ASSERT_TRUE(loop.spawn([fd, &mutex, &threads] {
      const int c = readByte(fd, monotonicMs() + 10000);
      {
        std::lock_guard<std::mutex> lock(mutex);
        threads.insert(std::this_thread::get_id());
      }
      const char echo = static_cast<char>(c + 1);
      ASSERT_EQ(::send(fd, &echo, 1, MSG_NOSIGNAL), 1);
    }));
  }
  // Every fiber is waiting now; wake them in the reverse order of their start.
  for (int i = kFibers - 1; i >= 0; --i) {
    const char c = static_cast<char>('a' + i % 20);
    ASSERT_EQ(::send(pairs[i]->fds[0], &c, 1, MSG_NOSIGNAL), 1);
  }
  for (int i = 0; i < kFibers; ++i) {
    ::fcntl(pairs[i]->fds[0], F_SETFL, 0);  // blocking: this thread is no fiber
    char echo = 0;
    ASSERT_EQ(::recv(pairs[i]->fds[0], &echo, 1, 0), 1);
    EXPECT_EQ(echo, static_cast<char>('a' + i % 20 + 1)) << "fiber " << i;
  }
  loop.stop();
  EXPECT_EQ(threads.size(), 1u) << "every fiber of a loop runs on its one thread";
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

TEST(FiberLoop, AWaitTimesOutAndTheSocketCanBeWaitedOnAgain) {
  SocketPair pair;
  std::promise<std::pair<Wait, int>> result;
  Loop loop("test");
  const int64_t start = monotonicMs();
  loop.spawn([&] {
    const Wait first = waitFd(pair.fds[1], false, monotonicMs() + 50);
    const int c = readByte(pair.fds[1], monotonicMs() + 10000);  // the byte comes after 100 ms
    result.set_value({first, c});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const char c = 'x';
  ASSERT_EQ(::send(pair.fds[0], &c, 1, MSG_NOSIGNAL), 1);
  auto [first, got] = result.get_future().get();
  EXPECT_EQ(first, Wait::TimedOut);
  EXPECT_EQ(got, 'x');
  EXPECT_GE(monotonicMs() - start, 100);
}

TEST(FiberLoop, ASleepingFiberLetsTheOthersRun) {
  std::vector<int> order;
  std::mutex mutex;
  auto record = [&](int id) {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back(id);
  };
  {
    Loop loop("test");
    loop.spawn([&] {
      sleepUntil(monotonicMs() + 60);
      record(1);
    });
    loop.spawn([&] {
      sleepUntil(monotonicMs() + 10);
      record(2);
    });
    loop.spawn([&] { record(3); });
  }  // the destructor waits for every fiber
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
}

TEST(FiberLoop, SignalWakesAFiberFromAnotherThreadBeforeOrAfterItWaits) {
  Signal early;
  early.notify();
  Signal late;
  std::promise<void> done;
  Loop loop("test");
  loop.spawn([&] {
    early.wait();  // already notified: returns at once
    late.wait();
    done.set_value();
  });
  std::thread notifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    late.notify();
  });
  EXPECT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  notifier.join();
}

TEST(FiberLoop, RunBlockingMovesTheCallToAPoolThreadWhileTheLoopGoesOn) {
  BlockingPool pool(4, 256 * 1024);
  BlockingPool::install(&pool);
  std::atomic<bool> otherRan{false};
  std::promise<std::tuple<bool, bool, std::string>> result;
  {
    Loop loop("test");
    loop.spawn([&] {
      const std::thread::id fiberThread = std::this_thread::get_id();
      const std::thread::id callThread = runBlocking([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // would stall the loop
        return std::this_thread::get_id();
      });
      const bool sawOther = otherRan.load();  // the other fiber ran while this one waited
      std::string message;
      try {
        runBlocking([] { throw std::runtime_error("from the pool"); });
      } catch (const std::runtime_error& e) {
        message = e.what();
      }
      result.set_value({callThread != fiberThread, sawOther, message});
    });
    loop.spawn([&] {
      sleepUntil(monotonicMs() + 10);
      otherRan = true;
    });
    auto [elsewhere, sawOther, message] = result.get_future().get();
    EXPECT_TRUE(elsewhere);
    EXPECT_TRUE(sawOther);
    EXPECT_EQ(message, "from the pool");
  }
  BlockingPool::install(nullptr);
  // Off a fiber it runs in place.
  EXPECT_EQ(runBlocking([] { return std::this_thread::get_id(); }), std::this_thread::get_id());
}

// Each fiber keeps its own "exception being handled": one that yields inside a catch block and
// rethrows afterwards gets its own exception back, not another fiber's.
TEST(FiberLoop, AnExceptionBeingHandledSurvivesAYield) {
  std::string seenA;
  std::string seenB;
  auto fiberBody = [](const char* name, int64_t sleepMs, std::string* seen) {
    try {
      throw std::runtime_error(name);
    } catch (...) {
      sleepUntil(monotonicMs() + sleepMs);  // the other fiber throws and catches meanwhile
      try {
        throw;  // rethrows the exception this fiber is handling
      } catch (const std::runtime_error& e) {
        *seen = e.what();
      }
    }
  };
  {
    Loop loop("test");
    // A catches first and resumes first, while B is still inside its own catch block: with one
    // shared record per thread, A's rethrow would find B's exception on top.
    loop.spawn([&] { fiberBody("A", 10, &seenA); });
    loop.spawn([&] { fiberBody("B", 40, &seenB); });
  }
  EXPECT_EQ(seenA, "A");
  EXPECT_EQ(seenB, "B");
  EXPECT_EQ(std::uncaught_exceptions(), 0);
}

TEST(FiberLoop, StopWaitsForRunningFibersAndRefusesNewOnes) {
  std::atomic<bool> finished{false};
  Loop loop("test");
  loop.spawn([&] {
    sleepUntil(monotonicMs() + 50);
    finished = true;
  });
  loop.stop();
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(loop.spawn([] {}));
}

}  // namespace
}  // namespace llmp::host::fiber
