// The built plugin loads, names its factory "gemini" and serves through the C ABI.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <llmp/llmp.h>
#include <llmp/cpp/json.hpp>

#include "fakes.hpp"

using gemini_test::FakeResponder;
using gemini_test::FakeRouter;
using gemini_test::Request;

namespace {

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = dlopen(FRONTEND_GEMINI_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(lib_, nullptr) << dlerror();
    auto entry = reinterpret_cast<llmp_plugin_entry_fn>(dlsym(lib_, LLMP_PLUGIN_ENTRY_SYMBOL));
    ASSERT_NE(entry, nullptr);
    descriptor_ = entry(LLMP_ABI_MAJOR, LLMP_ABI_MINOR);
    ASSERT_NE(descriptor_, nullptr);
    factory_ = static_cast<const llmp_frontend_factory*>(
        descriptor_->get_factory(LLMP_FRONTEND_FACTORY_V1));
    ASSERT_NE(factory_, nullptr);
    ASSERT_EQ(factory_->create(nullptr, llmp::toBytes("{}"), &frontend_, nullptr), LLMP_OK);
  }
  void TearDown() override {
    if (factory_ != nullptr && frontend_ != nullptr) {
      factory_->destroy(frontend_);
    }
    if (lib_ != nullptr) {
      dlclose(lib_);
    }
  }

  void* lib_ = nullptr;
  const llmp_plugin_descriptor* descriptor_ = nullptr;
  const llmp_frontend_factory* factory_ = nullptr;
  llmp_frontend* frontend_ = nullptr;
};

}  // namespace

TEST_F(PluginTest, DescriptorAndFactory) {
  EXPECT_EQ(descriptor_->abi_major, static_cast<uint32_t>(LLMP_ABI_MAJOR));
  EXPECT_STREQ(factory_->name, "gemini");
  EXPECT_EQ(descriptor_->get_factory(LLMP_BACKEND_FACTORY_V1), nullptr);
  auto entry = reinterpret_cast<llmp_plugin_entry_fn>(dlsym(lib_, LLMP_PLUGIN_ENTRY_SYMBOL));
  EXPECT_EQ(entry(LLMP_ABI_MAJOR + 1, 0), nullptr);
  // Only the entry point is exported.
  EXPECT_EQ(dlsym(lib_, "_ZN4llmp7plugins15frontend_gemini13handleRequestERK22llmp_incoming_requestRK14llmp_responderRK11llmp_router"), nullptr);
}

TEST_F(PluginTest, MatchHandleAndRenderErrorThroughTheAbi) {
  Request req("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
              R"({"contents":[{"parts":[{"text":"hi"}]}]})", "alt=sse");
  EXPECT_EQ(factory_->match(frontend_, &req.get()), LLMP_MATCH_YES);

  FakeRouter router;
  router.events = {{LLMP_EVENT_CHUNK, R"({"candidates":[]})"}};
  FakeResponder out;
  llmp_responder responder = out.responder();
  llmp_router r = router.router();
  EXPECT_EQ(factory_->handle(frontend_, &req.get(), &responder, &r), LLMP_OK);
  EXPECT_EQ(out.body, "data: {\"candidates\":[]}\n\n");

  FakeResponder denied;
  llmp_responder deniedResponder = denied.responder();
  EXPECT_EQ(factory_->render_error(frontend_, &req.get(), &deniedResponder, LLMP_E_AUTH, 401,
                                   llmp::toBytes("missing proxy key")),
            LLMP_OK);
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ((*llmp::parseJson(denied.body))["error"]["status"], "UNAUTHENTICATED");
}
