// The negotiation matrix: PluginLoader against test plugins built from test_plugin.c with -D
// switches (and one C++ plugin that throws). Each refusal must name the file and both versions.
#include "plugin/plugin_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/sinks.hpp>
#include <string>

#include "test_host.h"

namespace llmp::abitest {
namespace {

namespace fs = std::filesystem;
using host::PluginError;
using host::PluginLoader;

std::string testPlugin(const std::string& variant) {
  return std::string(LLMP_ABI_TEST_PLUGIN_DIR) + "/libabi_test_" + variant + ".so";
}

std::string version(int major, int minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

const std::string kHostVersion = version(LLMP_ABI_MAJOR, LLMP_ABI_MINOR);

class PluginLoaderTest : public ::testing::Test {
 protected:
  PluginLoaderTest() : loader_([this](const std::string& id) { return host_.apiFor(id); }) {}

  // Loads path, expecting a refusal; returns its message.
  std::string refusal(const std::string& path) {
    try {
      loader_.load(path);
    } catch (const PluginError& e) {
      EXPECT_TRUE(loader_.plugins().empty()) << "a refused plugin must leave no trace";
      return e.what();
    }
    ADD_FAILURE() << path << " was accepted";
    return {};
  }

  fs::path tempDir() {
    fs::path dir = fs::path(::testing::TempDir()) /
                   ("llmp_abi_" +
                    std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir);
    return dir;
  }

  TestHost host_;
  PluginLoader loader_;
};

TEST_F(PluginLoaderTest, LoadsThePluginOfTheCurrentVersionAndRunsIt) {
  const auto& plugin = loader_.load(testPlugin("current"));
  EXPECT_EQ(plugin.path, testPlugin("current"));
  EXPECT_STREQ(plugin.descriptor.id, "dev.llmp.test.current");
  EXPECT_EQ(plugin.descriptor.abi_major, static_cast<uint32_t>(LLMP_ABI_MAJOR));
  EXPECT_EQ(plugin.descriptor.struct_size, sizeof(llmp_plugin_descriptor));
  ASSERT_TRUE(plugin.hasBackend);
  EXPECT_FALSE(plugin.hasFrontend);
  ASSERT_EQ(plugin.backend.type_count, 1u);
  EXPECT_STREQ(plugin.backend.types[0], "test");
  EXPECT_EQ(host_.messages(), std::vector<std::string>{"init dev.llmp.test.current"});

  llmp::ErrorRecord err;
  llmp_backend* instance = nullptr;
  ASSERT_EQ(
      plugin.backend.create(host_.apiFor("x"), "test", {"b", 1}, {"{}", 2}, &instance, err.sink()),
      LLMP_OK);
  std::string got;
  llmp::EventSinkFn sink([&](uint32_t kind, std::string_view data) {
    EXPECT_EQ(kind, static_cast<uint32_t>(LLMP_EVENT_CHUNK));
    got = std::string(data);
    return LLMP_OK;
  });
  llmp_generate_request request{sizeof(llmp_generate_request), {}, {"{}", 2}, 0, {}, {}};
  EXPECT_EQ(plugin.backend.generate(instance, &request, sink.sink(), err.sink()), LLMP_OK);
  EXPECT_NE(got.find("dev.llmp.test.current"), std::string::npos) << got;
  plugin.backend.destroy(instance);
}

TEST_F(PluginLoaderTest, AcceptsAnOlderMinorAndReadsNothingBeyondItsStructSize) {
  const auto& plugin = loader_.load(testPlugin("older_minor"));
  EXPECT_EQ(plugin.descriptor.struct_size, offsetof(llmp_plugin_descriptor, shutdown));
  EXPECT_STREQ(plugin.descriptor.id, "dev.llmp.test.older");
  EXPECT_NE(plugin.descriptor.init, nullptr);
  // The plugin's static struct has shutdown and get_factory, but they lie beyond what it
  // declared: the normalized copy must show them as absent.
  EXPECT_EQ(plugin.descriptor.shutdown, nullptr);
  EXPECT_EQ(plugin.descriptor.get_factory, nullptr);
  EXPECT_FALSE(plugin.hasBackend);
  EXPECT_FALSE(plugin.hasFrontend);
  loader_.shutdownAll();
  EXPECT_EQ(host_.messages(), std::vector<std::string>{"init dev.llmp.test.older"});
}

TEST_F(PluginLoaderTest, AcceptsANewerMinorWithLargerStructs) {
  const auto& plugin = loader_.load(testPlugin("newer_minor"));
  EXPECT_EQ(plugin.descriptor.abi_minor, static_cast<uint32_t>(LLMP_ABI_MINOR + 1));
  EXPECT_GT(plugin.descriptor.struct_size, sizeof(llmp_plugin_descriptor));
  ASSERT_TRUE(plugin.hasBackend);
  EXPECT_GT(plugin.backend.struct_size, sizeof(llmp_backend_factory));
  llmp::ErrorRecord err;
  llmp_backend* instance = nullptr;
  ASSERT_EQ(plugin.backend.create(host_.apiFor("x"), "test", {}, {"{}", 2}, &instance, err.sink()),
            LLMP_OK);
  plugin.backend.destroy(instance);
}

TEST_F(PluginLoaderTest, RefusesAnotherMajorNamingFileAndBothVersions) {
  const std::string path = testPlugin("other_major");
  EXPECT_EQ(refusal(path), "plugin " + path + " was built for llmp ABI " +
                               version(LLMP_ABI_MAJOR + 1, 0) + " but this host speaks " +
                               kHostVersion);
  EXPECT_TRUE(host_.messages().empty()) << "init must not run for a refused major";
}

TEST_F(PluginLoaderTest, RefusesALibraryWithoutEntryPoint) {
  const std::string path = testPlugin("no_entry");
  const std::string message = refusal(path);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("does not export llmp_plugin_entry"), std::string::npos) << message;
  EXPECT_NE(message.find("llmp ABI " + kHostVersion), std::string::npos) << message;
}

TEST_F(PluginLoaderTest, RefusesAnEntryThatReturnsNull) {
  const std::string path = testPlugin("entry_null");
  const std::string message = refusal(path);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("returned NULL"), std::string::npos) << message;
  EXPECT_NE(message.find("llmp ABI " + kHostVersion), std::string::npos) << message;
}

TEST_F(PluginLoaderTest, RefusesAPluginWhoseInitFailsAndDoesNotShutItDown) {
  const std::string path = testPlugin("init_fails");
  const std::string message = refusal(path);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("init returned UNAVAILABLE"), std::string::npos) << message;
  EXPECT_NE(message.find("built for llmp ABI " + kHostVersion), std::string::npos) << message;
  EXPECT_NE(message.find("this host speaks llmp ABI " + kHostVersion), std::string::npos)
      << message;
  loader_.shutdownAll();
  EXPECT_EQ(host_.messages(), std::vector<std::string>{"init dev.llmp.test.init-fails"});
}

TEST_F(PluginLoaderTest, RefusesADescriptorSmallerThanTheFrozenHeader) {
  const std::string path = testPlugin("tiny_header");
  const std::string message = refusal(path);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("8 bytes, smaller than the 12-byte frozen header"), std::string::npos)
      << message;
  EXPECT_NE(message.find("built for llmp ABI " + kHostVersion), std::string::npos) << message;
}

TEST_F(PluginLoaderTest, RefusesAMissingFile) {
  const std::string path = (tempDir() / "libmissing.so").string();
  const std::string message = refusal(path);
  EXPECT_EQ(message,
            "plugin " + path + ": file not found; this host speaks llmp ABI " + kHostVersion);
}

TEST_F(PluginLoaderTest, RefusesAFileThatIsNotASharedLibraryWithTheLoaderText) {
  const fs::path path = tempDir() / "libjunk.so";
  std::ofstream(path) << std::string(256, 'x');  // long enough for "invalid ELF header"
  const std::string message = refusal(path.string());
  EXPECT_NE(message.find("plugin " + path.string() + " is not a loadable shared library"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("ELF"), std::string::npos) << "dlerror text expected: " << message;
  EXPECT_NE(message.find("llmp ABI " + kHostVersion), std::string::npos) << message;
}

TEST_F(PluginLoaderTest, RefusesASecondPluginWithTheSameId) {
  const fs::path copy = tempDir() / "libabi_test_current_copy.so";
  fs::copy_file(testPlugin("current"), copy, fs::copy_options::overwrite_existing);
  loader_.load(testPlugin("current"));
  try {
    loader_.load(copy.string());
    FAIL() << "duplicate id accepted";
  } catch (const PluginError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(copy.string()), std::string::npos) << message;
    EXPECT_NE(message.find("dev.llmp.test.current, already loaded from " + testPlugin("current")),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(kHostVersion), std::string::npos) << message;
  }
  EXPECT_EQ(loader_.plugins().size(), 1u);
  EXPECT_EQ(host_.messages(), std::vector<std::string>{"init dev.llmp.test.current"});
}

TEST_F(PluginLoaderTest, ShutsDownOnceInReverseLoadOrder) {
  loader_.load(testPlugin("current"));
  loader_.load(testPlugin("newer_minor"));
  loader_.shutdownAll();
  loader_.shutdownAll();
  EXPECT_EQ(
      host_.messages(),
      (std::vector<std::string>{"init dev.llmp.test.current", "init dev.llmp.test.newer",
                                "shutdown dev.llmp.test.newer", "shutdown dev.llmp.test.current"}));
}

TEST_F(PluginLoaderTest, DestructionShutsDownPluginsStillLoaded) {
  {
    PluginLoader scoped([this](const std::string& id) { return host_.apiFor(id); });
    scoped.load(testPlugin("current"));
  }
  EXPECT_EQ(host_.messages(), (std::vector<std::string>{"init dev.llmp.test.current",
                                                        "shutdown dev.llmp.test.current"}));
}

TEST_F(PluginLoaderTest, AThrowingCppPluginYieldsErrorStatusesNotACrash) {
  const auto& plugin = loader_.load(testPlugin("throws"));
  ASSERT_TRUE(plugin.hasBackend);
  llmp::ErrorRecord createErr;
  llmp_backend* instance = nullptr;
  ASSERT_EQ(plugin.backend.create(host_.apiFor("x"), "throws", {}, {"{}", 2}, &instance,
                                  createErr.sink()),
            LLMP_OK);

  llmp_generate_request request{sizeof(llmp_generate_request), {}, {"{}", 2}, 0, {}, {}};
  llmp::EventSinkFn sink([](uint32_t, std::string_view) { return LLMP_OK; });
  llmp::ErrorRecord err;
  EXPECT_EQ(plugin.backend.generate(instance, &request, sink.sink(), err.sink()), LLMP_E_INTERNAL);
  EXPECT_EQ(err.code, LLMP_E_INTERNAL);
  EXPECT_EQ(err.message, "internal error: boom");

  llmp::StringSink out;
  llmp::ErrorRecord countErr;
  EXPECT_EQ(plugin.backend.count_tokens(instance, &request, out.sink(), countErr.sink()),
            LLMP_E_RATE_LIMITED);
  EXPECT_EQ(countErr.httpStatus, 429);
  EXPECT_EQ(countErr.retryAfterMs, 1500);
  EXPECT_EQ(countErr.message, "slow down");
  EXPECT_EQ(countErr.body, R"({"error":{"code":429}})");

  llmp::ErrorRecord listErr;
  EXPECT_EQ(plugin.backend.list_models(instance, out.sink(), listErr.sink()), LLMP_E_INTERNAL);
  EXPECT_EQ(listErr.message, "internal error: unknown exception");

  llmp::ErrorRecord badType;
  llmp_backend* none = nullptr;
  EXPECT_EQ(plugin.backend.create(host_.apiFor("x"), "nope", {}, {"{}", 2}, &none, badType.sink()),
            LLMP_E_INVALID);
  EXPECT_EQ(none, nullptr);
  plugin.backend.destroy(instance);
}

}  // namespace
}  // namespace llmp::abitest
