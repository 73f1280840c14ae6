#include <gtest/gtest.h>

#include <llmp/version.h>

#include "services/host_services.h"

namespace llmp::host {
namespace {

TEST(HostServices, TablesArePerPluginAndStable) {
  HostServices services;
  const llmp_host_api* a = services.apiFor("plugin-a");
  const llmp_host_api* b = services.apiFor("plugin-b");
  EXPECT_NE(a, b);
  EXPECT_EQ(services.apiFor("plugin-a"), a);
  EXPECT_EQ(a->struct_size, sizeof(llmp_host_api));
  EXPECT_EQ(a->abi_major, static_cast<uint32_t>(LLMP_ABI_MAJOR));
  EXPECT_STREQ(a->host_name, "llm-proxy");
  EXPECT_TRUE(LLMP_HOST_HAS(a, get_extension));
  EXPECT_TRUE(LLMP_HOST_HAS(a, file_unwatch));
}

TEST(HostServices, ExtensionsAreFoundById) {
  HostServices services;
  static const int kExtension = 42;
  services.setExtension("llmp.test.v1", &kExtension);
  const llmp_host_api* api = services.apiFor("p");
  EXPECT_EQ(api->get_extension(api, "llmp.test.v1"), &kExtension);
  EXPECT_EQ(api->get_extension(api, "llmp.other.v1"), nullptr);
  EXPECT_EQ(api->get_extension(api, nullptr), nullptr);
}

TEST(HostServices, ClocksMove) {
  HostServices services;
  const llmp_host_api* api = services.apiFor("p");
  int64_t m1 = api->monotonic_ms(api);
  EXPECT_GE(api->monotonic_ms(api), m1);
  EXPECT_GT(api->wall_ms(api), int64_t{1600000000000});  // after 2020
}

TEST(HostServices, LogLinesCarryThePluginId) {
  HostServices services;
  const llmp_host_api* api = services.apiFor("dev.llmp.logger");
  ::testing::internal::CaptureStderr();
  std::string msg = "hello from the plugin";
  api->log(api, LLMP_LOG_WARN, llmp_bytes{msg.data(), msg.size()});
  std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("[dev.llmp.logger] hello from the plugin"), std::string::npos) << out;
  EXPECT_NE(out.find("WARN"), std::string::npos);
  EXPECT_EQ(api->log_enabled(api, LLMP_LOG_ERROR), 1);
}

TEST(HostServices, ShutdownIsIdempotent) {
  HostServices services;
  services.shutdown();
  services.shutdown();
}

}  // namespace
}  // namespace llmp::host
