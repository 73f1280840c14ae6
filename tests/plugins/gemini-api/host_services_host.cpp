// The real host services (llmp::host::HostServices from llmp_host_core) as the plugin's host:
// the production HTTP client, key-value store and clocks. Its log goes to stderr, which the
// adapter captures so tests can check that no key was logged.
#include <gtest/gtest.h>

#include "log/log.h"
#include "services/host_services.h"
#include "test_host.hpp"

namespace llmp::plugins::gemini_api::testing {

namespace {

class RealHost : public HostUnderTest {
 public:
  RealHost() {
    llmp::host::log::setLevel(llmp::host::log::kTrace);  // debug lines must be secret-free too
    api_ = services_.apiFor("dev.llmp.gemini-api");
    ::testing::internal::CaptureStderr();
  }
  ~RealHost() override {
    stopped_ = true;
    allLogText();
  }

  const llmp_host_api* api() const override { return api_; }

  std::string allLogText() override {
    if (capturing_) {
      log_ += ::testing::internal::GetCapturedStderr();
      capturing_ = false;
    }
    std::string copy = log_;
    if (!stopped_) {
      ::testing::internal::CaptureStderr();
      capturing_ = true;
    }
    return copy;
  }

  bool advanceWallMs(int64_t) override { return false; }

 private:
  llmp::host::HostServices services_;
  const llmp_host_api* api_ = nullptr;
  std::string log_;
  bool capturing_ = true;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<HostUnderTest> makeHostUnderTest() { return std::make_unique<RealHost>(); }

}  // namespace llmp::plugins::gemini_api::testing
