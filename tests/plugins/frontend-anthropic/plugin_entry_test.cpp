// The built plugin library: loads, reports the "anthropic" front-end factory, and its exported
// callbacks work through the C ABI.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <llmp/cpp/bytes.hpp>
#include <llmp/frontend.h>
#include <llmp/plugin.h>

#include "fakes.hpp"

namespace llmp::plugins::anthropic::testing {
namespace {

TEST(PluginEntry, ExposesTheAnthropicFrontendFactory) {
  void* lib = dlopen(LLMP_ANTHROPIC_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  auto entry = reinterpret_cast<llmp_plugin_entry_fn>(dlsym(lib, LLMP_PLUGIN_ENTRY_SYMBOL));
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry(LLMP_ABI_MAJOR + 1, 0), nullptr);
  const llmp_plugin_descriptor* d = entry(LLMP_ABI_MAJOR, LLMP_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->abi_major, static_cast<uint32_t>(LLMP_ABI_MAJOR));
  EXPECT_EQ(d->get_factory("llmp.backend.v1"), nullptr);
  auto* factory =
      static_cast<const llmp_frontend_factory*>(d->get_factory(LLMP_FRONTEND_FACTORY_V1));
  ASSERT_NE(factory, nullptr);
  EXPECT_STREQ(factory->name, "anthropic");

  llmp_frontend* frontend = nullptr;
  ASSERT_EQ(factory->create(nullptr, toBytes("{}"), &frontend, nullptr), LLMP_OK);
  Request request;
  request.body = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]})";
  llmp_incoming_request in = request.view();
  EXPECT_EQ(factory->match(frontend, &in), LLMP_MATCH_YES);

  FakeRouter router;
  router.chunk(Json::parse(
      R"({"candidates":[{"content":{"parts":[{"text":"ok"}]},"finishReason":"STOP"}]})"));
  FakeResponder responder;
  llmp_responder r = responder.responder();
  llmp_router rt = router.router();
  EXPECT_EQ(factory->handle(frontend, &in, &r, &rt), LLMP_OK);
  EXPECT_EQ(responder.status, 200);
  EXPECT_EQ(responder.json()["content"][0]["text"], "ok");

  FakeResponder errorResponder;
  llmp_responder er = errorResponder.responder();
  factory->render_error(frontend, &in, &er, LLMP_E_AUTH, 401, toBytes("bad key"));
  EXPECT_EQ(errorResponder.status, 401);
  EXPECT_EQ(errorResponder.json()["error"]["type"], "authentication_error");
  factory->destroy(frontend);
  dlclose(lib);
}

}  // namespace
}  // namespace llmp::plugins::anthropic::testing
