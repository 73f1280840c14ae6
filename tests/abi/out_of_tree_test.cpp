// Loads the out-of-tree example plugin (built by run_out_of_tree.cmake against the installed
// SDK; its path comes in LLMP_EXAMPLE_PLUGIN) with PluginLoader and runs a request through it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>
#include <string>

#include "plugin/plugin_loader.h"
#include "test_host.h"

namespace llmp::abitest {
namespace {

TEST(OutOfTreePlugin, LoadsAndAnswers) {
  const char* path = std::getenv("LLMP_EXAMPLE_PLUGIN");
  ASSERT_NE(path, nullptr) << "run through run_out_of_tree.cmake (ctest -R out_of_tree)";
  TestHost host;
  host::PluginLoader loader([&](const std::string& id) { return host.apiFor(id); });
  const host::LoadedPlugin& plugin = loader.load(path);
  EXPECT_STREQ(plugin.descriptor.id, "com.example.echo-upper");
  ASSERT_TRUE(plugin.hasBackend);
  ASSERT_EQ(plugin.backend.type_count, 1u);
  EXPECT_STREQ(plugin.backend.types[0], "echo-upper");

  llmp::ErrorRecord err;
  llmp_backend* instance = nullptr;
  const std::string config = R"({"suffix":"!"})";
  ASSERT_EQ(plugin.backend.create(host.apiFor("echo"), "echo-upper", {"echo", 4},
                                  {config.data(), config.size()}, &instance, err.sink()),
            LLMP_OK)
      << err.message;

  const std::string ir =
      R"({"contents":[{"role":"user","parts":[{"text":"hello "},{"text":"world"}]}]})";
  std::string text;
  llmp::EventSinkFn sink([&](uint32_t kind, std::string_view data) {
    EXPECT_EQ(kind, static_cast<uint32_t>(LLMP_EVENT_CHUNK));
    auto chunk = parseJson(data);
    EXPECT_TRUE(chunk.has_value()) << data;
    if (chunk) {
      text += (*chunk)["candidates"][0]["content"]["parts"][0].value("text", "");
    }
    return LLMP_OK;
  });
  llmp_generate_request request{
      sizeof(llmp_generate_request), {"upper-1", 7}, {ir.data(), ir.size()}, 0, {}, {}};
  EXPECT_EQ(plugin.backend.generate(instance, &request, sink.sink(), err.sink()), LLMP_OK)
      << err.message;
  EXPECT_EQ(text, "HELLO WORLD!");

  const std::string bad = "not json";
  llmp_generate_request badRequest{
      sizeof(llmp_generate_request), {}, {bad.data(), bad.size()}, 0, {}, {}};
  llmp::ErrorRecord badErr;
  EXPECT_EQ(plugin.backend.generate(instance, &badRequest, sink.sink(), badErr.sink()),
            LLMP_E_INVALID);
  EXPECT_EQ(badErr.httpStatus, 400);
  plugin.backend.destroy(instance);
}

}  // namespace
}  // namespace llmp::abitest
