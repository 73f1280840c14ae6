#include <gtest/gtest.h>

#include <llmp/cpp/host.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "services/host_services.h"
#include "services/kv_store.h"

namespace llmp::host::services {
namespace {

TEST(KvStore, ValuesExpireAfterTheirTtl) {
  int64_t now = 1000;
  KvStore kv([&] { return now; });
  kv.set("short", "1", 50);
  kv.set("forever", "2", 0);
  std::string v;
  ASSERT_TRUE(kv.get("short", &v));
  EXPECT_EQ(v, "1");
  now += 49;
  EXPECT_TRUE(kv.get("short", &v));
  now += 1;
  EXPECT_FALSE(kv.get("short", &v));
  EXPECT_TRUE(kv.get("forever", &v));
  EXPECT_EQ(v, "2");
}

TEST(KvStore, SweepDropsExpiredKeysNobodyReadsAgain) {
  int64_t now = 0;
  KvStore kv([&] { return now; });
  for (int i = 0; i < 1000; ++i) {
    kv.set("k" + std::to_string(i), "v", 10);
  }
  now += 60000;
  for (int i = 0; i < 200; ++i) {
    kv.set("fresh" + std::to_string(i), "v", 0);  // writes trigger the per-shard sweep
  }
  EXPECT_EQ(kv.size(), 200u);
}

TEST(KvStore, IncrCountsFromZeroAndRejectsNonIntegers) {
  int64_t now = 0;
  KvStore kv([&] { return now; });
  int64_t out = 0;
  EXPECT_EQ(kv.incr("n", 5, 0, &out), LLMP_OK);
  EXPECT_EQ(out, 5);
  EXPECT_EQ(kv.incr("n", -7, 0, &out), LLMP_OK);
  EXPECT_EQ(out, -2);
  kv.set("text", "abc", 0);
  EXPECT_EQ(kv.incr("text", 1, 0, &out), LLMP_E_INVALID);
  kv.set("max", std::to_string(INT64_MAX), 0);
  EXPECT_EQ(kv.incr("max", 1, 0, &out), LLMP_E_INVALID);
}

TEST(KvStore, IncrTtlAppliesWhenTheKeyIsCreated) {
  int64_t now = 0;
  KvStore kv([&] { return now; });
  int64_t out = 0;
  kv.incr("window", 1, 100, &out);
  now += 60;
  kv.incr("window", 1, 100, &out);  // does not extend the window
  EXPECT_EQ(out, 2);
  now += 50;
  kv.incr("window", 1, 100, &out);  // expired: starts over
  EXPECT_EQ(out, 1);
}

TEST(KvApi, IncrIsAtomicAcrossEightThreads) {
  HostServices services;
  llmp::Host host(services.apiFor("kv-test"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        host.kvIncr("counter", 1);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(host.kvGet("counter").value_or(""), "40000");
}

TEST(KvApi, GetSetDeleteThroughTheTable) {
  HostServices services;
  llmp::Host host(services.apiFor("kv-test"));
  EXPECT_FALSE(host.kvGet("missing").has_value());
  EXPECT_EQ(host.kvSet("k", std::string("a\0b", 3)), LLMP_OK);
  EXPECT_EQ(host.kvGet("k").value_or(""), std::string("a\0b", 3));
  EXPECT_EQ(host.kvDelete("k"), LLMP_OK);
  EXPECT_EQ(host.kvDelete("k"), LLMP_E_NOT_FOUND);
  EXPECT_FALSE(host.kvGet("k").has_value());
}

}  // namespace
}  // namespace llmp::host::services
