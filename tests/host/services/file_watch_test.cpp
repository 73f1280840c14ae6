#include <gtest/gtest.h>

#include <llmp/cpp/errors.hpp>

#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>
#include <string>

#include "services/host_services.h"

namespace llmp::host {
namespace {

struct Changes {
  std::mutex mutex;
  std::condition_variable cv;
  int count = 0;
  std::string lastPath;

  static void LLMP_ABI onChange(void* ctx, llmp_bytes path) {
    auto* c = static_cast<Changes*>(ctx);
    std::lock_guard<std::mutex> lock(c->mutex);
    c->count++;
    c->lastPath.assign(path.ptr, path.len);
    c->cv.notify_all();
  }
  bool waitAbove(int n) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return count > n; });
  }
  int get() {
    std::lock_guard<std::mutex> lock(mutex);
    return count;
  }
};

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

class FileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/llmp-watch-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    file_ = dir_ + "/creds.json";
    writeFile(file_, "{}");
  }
  void TearDown() override {
    ::unlink(file_.c_str());
    ::unlink((dir_ + "/other").c_str());
    ::unlink((dir_ + "/tmp.json").c_str());
    ::rmdir(dir_.c_str());
  }
  llmp_file_watch* watch(Changes* c) {
    llmp_file_watch* w = nullptr;
    llmp::ErrorRecord err;
    EXPECT_EQ(api_->file_watch(api_, llmp_bytes{file_.data(), file_.size()}, Changes::onChange, c, &w,
                               err.sink()),
              LLMP_OK)
        << err.message;
    return w;
  }

  HostServices services_;
  const llmp_host_api* api_ = services_.apiFor("watch-test");
  std::string dir_;
  std::string file_;
};

TEST_F(FileWatchTest, WriteIsSeen) {
  Changes c;
  llmp_file_watch* w = watch(&c);
  writeFile(file_, R"({"token":"new"})");
  ASSERT_TRUE(c.waitAbove(0));
  EXPECT_EQ(c.lastPath, file_);
  api_->file_unwatch(api_, w);
}

TEST_F(FileWatchTest, AtomicRenameOverIsSeen) {
  Changes c;
  llmp_file_watch* w = watch(&c);
  std::string tmp = dir_ + "/tmp.json";
  writeFile(tmp, "replaced");
  // Let the write of the temp file settle so only the rename can explain the next callback.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(c.get(), 0) << "a change to another file in the directory was reported";
  ASSERT_EQ(::rename(tmp.c_str(), file_.c_str()), 0);
  ASSERT_TRUE(c.waitAbove(0));
  api_->file_unwatch(api_, w);
}

TEST_F(FileWatchTest, DeleteAndRecreateAreSeen) {
  Changes c;
  llmp_file_watch* w = watch(&c);
  ASSERT_EQ(::unlink(file_.c_str()), 0);
  ASSERT_TRUE(c.waitAbove(0));
  int afterDelete = c.get();
  writeFile(file_, "again");
  ASSERT_TRUE(c.waitAbove(afterDelete));
  api_->file_unwatch(api_, w);
}

TEST_F(FileWatchTest, NoCallbackAfterUnwatch) {
  Changes c;
  llmp_file_watch* w = watch(&c);
  api_->file_unwatch(api_, w);
  writeFile(file_, "later");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(c.get(), 0);
}

TEST_F(FileWatchTest, MissingDirectoryIsNotFound) {
  std::string path = dir_ + "/no-such-dir/file";
  llmp_file_watch* w = nullptr;
  llmp::ErrorRecord err;
  Changes c;
  EXPECT_EQ(api_->file_watch(api_, llmp_bytes{path.data(), path.size()}, Changes::onChange, &c, &w,
                             err.sink()),
            LLMP_E_NOT_FOUND);
  EXPECT_NE(err.message.find("no-such-dir"), std::string::npos);
}

}  // namespace
}  // namespace llmp::host
