#include <gtest/gtest.h>

#include <llmp/cpp/errors.hpp>

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "services/host_services.h"

namespace llmp::host {
namespace {

// Collects a child's output and exit.
struct Capture {
  std::mutex mutex;
  std::condition_variable cv;
  std::string out;
  std::string err;
  bool exited = false;
  int exitCount = 0;
  int32_t code = -100;
  int32_t signal = -100;

  static void LLMP_ABI onStdout(void* ctx, llmp_bytes d) {
    auto* c = static_cast<Capture*>(ctx);
    std::lock_guard<std::mutex> lock(c->mutex);
    c->out.append(d.ptr, d.len);
    c->cv.notify_all();
  }
  static void LLMP_ABI onStderr(void* ctx, llmp_bytes d) {
    auto* c = static_cast<Capture*>(ctx);
    std::lock_guard<std::mutex> lock(c->mutex);
    c->err.append(d.ptr, d.len);
  }
  static void LLMP_ABI onExit(void* ctx, int32_t code, int32_t signal) {
    auto* c = static_cast<Capture*>(ctx);
    std::lock_guard<std::mutex> lock(c->mutex);
    c->exited = true;
    c->exitCount++;
    c->code = code;
    c->signal = signal;
    c->cv.notify_all();
  }
  bool waitExit() {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return exited; });
  }
  bool waitOut(const std::string& want) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return out.find(want) != std::string::npos; });
  }
};

class ProcessTest : public ::testing::Test {
 protected:
  HostServices services_;
  const llmp_host_api* api_ = services_.apiFor("process-test");

  llmp_status spawn(std::vector<const char*> argv, Capture* c, llmp_process** p,
                    llmp::ErrorRecord* err, std::vector<const char*> env = {},
                    const char* cwd = nullptr) {
    llmp_process_options o{};
    o.struct_size = sizeof o;
    o.argv = argv.data();
    o.argc = argv.size();
    o.env = env.empty() ? nullptr : env.data();
    o.envc = env.size();
    o.cwd = cwd;
    o.ctx = c;
    o.on_stdout = Capture::onStdout;
    o.on_stderr = Capture::onStderr;
    o.on_exit = Capture::onExit;
    return api_->process_spawn(api_, &o, p, err->sink());
  }
};

TEST_F(ProcessTest, CatEchoesStdinToStdout) {
  Capture c;
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  ASSERT_EQ(spawn({"cat"}, &c, &p, &err), LLMP_OK) << err.message;
  EXPECT_GT(api_->process_pid(api_, p), 0);
  std::string line = "hello through cat\n";
  ASSERT_EQ(api_->process_write(api_, p, llmp_bytes{line.data(), line.size()}), LLMP_OK);
  ASSERT_TRUE(c.waitOut("hello through cat\n"));
  ASSERT_EQ(api_->process_close_stdin(api_, p), LLMP_OK);
  ASSERT_TRUE(c.waitExit());
  EXPECT_EQ(c.code, 0);
  EXPECT_EQ(c.signal, 0);
  // Writing to a child that exited is refused, not fatal (no SIGPIPE).
  EXPECT_EQ(api_->process_write(api_, p, llmp_bytes{"x", 1}), LLMP_E_UNAVAILABLE);
  api_->process_release(api_, p);
  EXPECT_EQ(c.exitCount, 1);
}

TEST_F(ProcessTest, ExitCodeIsReported) {
  Capture c;
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  ASSERT_EQ(spawn({"sh", "-c", "echo out; echo err >&2; exit 3"}, &c, &p, &err), LLMP_OK);
  ASSERT_TRUE(c.waitExit());
  EXPECT_EQ(c.code, 3);
  // on_exit comes after all output was delivered.
  EXPECT_EQ(c.out, "out\n");
  EXPECT_EQ(c.err, "err\n");
  api_->process_release(api_, p);
}

TEST_F(ProcessTest, WriteToAChildThatExitedWithoutReadingIsUnavailable) {
  Capture c;
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  ASSERT_EQ(spawn({"true"}, &c, &p, &err), LLMP_OK);
  ASSERT_TRUE(c.waitExit());
  std::string big(1 << 20, 'z');
  EXPECT_EQ(api_->process_write(api_, p, llmp_bytes{big.data(), big.size()}), LLMP_E_UNAVAILABLE);
  api_->process_release(api_, p);
}

TEST_F(ProcessTest, MissingExecutableIsNotFound) {
  Capture c;
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  EXPECT_EQ(spawn({"llmp-no-such-program-xyz"}, &c, &p, &err), LLMP_E_NOT_FOUND);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(err.message.find("llmp-no-such-program-xyz"), std::string::npos) << err.message;
  EXPECT_EQ(spawn({"/nonexistent/dir/prog"}, &c, &p, &err), LLMP_E_NOT_FOUND);
}

TEST_F(ProcessTest, KillDeliversTheSignal) {
  Capture c;
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  ASSERT_EQ(spawn({"sleep", "30"}, &c, &p, &err), LLMP_OK);
  ASSERT_EQ(api_->process_kill(api_, p, 15), LLMP_OK);
  ASSERT_TRUE(c.waitExit());
  EXPECT_EQ(c.signal, 15);
  EXPECT_EQ(api_->process_kill(api_, p, 15), LLMP_E_UNAVAILABLE);
  api_->process_release(api_, p);
}

TEST_F(ProcessTest, EnvAndCwdApply) {
  char dir[] = "/tmp/llmp-proc-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  Capture c;
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  ASSERT_EQ(spawn({"sh", "-c", "echo \"$LLMP_TEST_VAR\"; pwd; test -n \"$PATH\" && echo has-path"},
                  &c, &p, &err, {"LLMP_TEST_VAR=from-env"}, dir),
            LLMP_OK)
      << err.message;
  ASSERT_TRUE(c.waitExit());
  EXPECT_EQ(c.out, std::string("from-env\n") + dir + "\nhas-path\n");
  api_->process_release(api_, p);
  ::rmdir(dir);
}

TEST_F(ProcessTest, ReleaseKillsARunningChildAndNoCallbackFollows) {
  Capture c;
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  ASSERT_EQ(spawn({"sh", "-c", "echo started; exec sleep 30"}, &c, &p, &err), LLMP_OK);
  ASSERT_TRUE(c.waitOut("started"));
  api_->process_release(api_, p);
  std::lock_guard<std::mutex> lock(c.mutex);
  EXPECT_TRUE(c.exited);  // on_exit ran during release, not after
  EXPECT_EQ(c.signal, 9);
}

TEST_F(ProcessTest, ShutdownKillsChildren) {
  Capture c;
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  ASSERT_EQ(spawn({"sleep", "30"}, &c, &p, &err), LLMP_OK);
  services_.shutdown();
  ASSERT_TRUE(c.waitExit());
  EXPECT_EQ(c.signal, 9);
  api_->process_release(api_, p);
}

}  // namespace
}  // namespace llmp::host
