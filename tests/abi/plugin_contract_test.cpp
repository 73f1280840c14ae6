// The plugin contract validator (clap-validator style): one parameterized suite over every
// plugin library found in the build's plugin directory at test time, so plugins added later are
// covered without touching this file. Each test runs in its own process (gtest_discover_tests),
// so a crashing plugin fails only its own entries.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <llmp/cpp/errors.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "plugin/plugin_loader.h"
#include "services/host_services.h"
#include "test_host.h"

namespace llmp::abitest {
namespace {

namespace fs = std::filesystem;
using host::LoadedPlugin;
using host::PluginLoader;

constexpr int kCycles = 200;

std::string pluginDir() {
  const char* fromEnv = std::getenv("LLMP_ABI_PLUGIN_DIR");
  return fromEnv != nullptr && fromEnv[0] != '\0' ? fromEnv : LLMP_ABI_PLUGIN_DIR;
}

std::vector<std::string> pluginFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(pluginDir(), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".so") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string testName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
}

bool filled(const char* s) { return s != nullptr && s[0] != '\0'; }

std::vector<std::string> backendTypes(const LoadedPlugin& plugin) {
  std::vector<std::string> types;
  for (size_t i = 0; i < plugin.backend.type_count; ++i) {
    types.emplace_back(plugin.backend.types[i]);
  }
  for (size_t i = 0; i < plugin.backend.gated_type_count; ++i) {
    if (std::find(types.begin(), types.end(), plugin.backend.gated_types[i]) == types.end()) {
      types.emplace_back(plugin.backend.gated_types[i]);
    }
  }
  return types;
}

constexpr llmp_bytes kEmptyConfig{"{}", 2};
constexpr const char* kUnknownIds[] = {"", "llmp.unknown.v1", "llmp.backend.v0", "llmp.backend.v1 ",
                                       "LLMP.BACKEND.V1"};

// Plugins get the host's real services table (host/services), as in the proxy.
class PluginContract : public ::testing::TestWithParam<std::string> {
 protected:
  PluginContract()
      : services_(host::ServicesOptions{}),
        loader_([this](const std::string& id) { return services_.apiFor(id); }) {}

  const LoadedPlugin& load() { return loader_.load(GetParam()); }

  host::HostServices services_;
  PluginLoader loader_;  // after services_: shut down before the tables go away
};

TEST_P(PluginContract, DescriptorIsComplete) {
  const LoadedPlugin& plugin = load();
  const llmp_plugin_descriptor& d = plugin.descriptor;
  EXPECT_EQ(d.abi_major, static_cast<uint32_t>(LLMP_ABI_MAJOR));
  EXPECT_GE(d.struct_size, sizeof(llmp_plugin_descriptor));
  ASSERT_TRUE(filled(d.id));
  EXPECT_NE(std::strchr(d.id, '.'), nullptr) << "ids are reverse-DNS: " << d.id;
  EXPECT_TRUE(filled(d.name)) << d.id;
  EXPECT_TRUE(filled(d.version)) << d.id;
  EXPECT_TRUE(filled(d.description)) << d.id;
  EXPECT_NE(d.get_factory, nullptr) << d.id;
  EXPECT_TRUE(plugin.hasBackend || plugin.hasFrontend) << d.id << " offers no capability";
  if (plugin.hasBackend) {
    EXPECT_GE(plugin.backend.struct_size, sizeof(llmp_backend_factory));
    EXPECT_FALSE(backendTypes(plugin).empty()) << d.id << " has a backend factory without types";
  }
  if (plugin.hasFrontend) {
    EXPECT_GE(plugin.frontend.struct_size, sizeof(llmp_frontend_factory));
  }
}

TEST_P(PluginContract, UnknownFactoryIdsGiveNull) {
  const LoadedPlugin& plugin = load();
  ASSERT_NE(plugin.descriptor.get_factory, nullptr);
  for (const char* id : kUnknownIds) {
    EXPECT_EQ(plugin.descriptor.get_factory(id), nullptr) << "factory id '" << id << "'";
  }
}

// init/shutdown pair up: after shutdown the plugin can be initialized again, in the same
// mapping or after an unload, and works as before.
TEST_P(PluginContract, InitAndShutdownPairAcrossReloads) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    host::HostServices services;
    PluginLoader loader([&](const std::string& id) { return services.apiFor(id); });
    const LoadedPlugin& plugin = loader.load(GetParam());
    if (plugin.hasBackend) {
      for (const std::string& type : backendTypes(plugin)) {
        llmp::ErrorRecord err;
        llmp_backend* instance = nullptr;
        if (plugin.backend.create(services.apiFor(plugin.descriptor.id), type.c_str(), {"contract", 8},
                                  kEmptyConfig, &instance, err.sink()) == LLMP_OK) {
          ASSERT_NE(instance, nullptr);
          plugin.backend.destroy(instance);
        }
      }
    }
    loader.shutdownAll();
  }
}

TEST_P(PluginContract, BackendInstancesSurviveManyCreateDestroyCycles) {
  const LoadedPlugin& plugin = load();
  if (!plugin.hasBackend) {
    GTEST_SKIP() << plugin.descriptor.id << " has no backend factory";
  }
  const llmp_host_api* instanceHost = services_.apiFor(plugin.descriptor.id);
  for (const std::string& type : backendTypes(plugin)) {
    SCOPED_TRACE("type " + type);
    llmp_status first = LLMP_OK;
    for (int i = 0; i < kCycles; ++i) {
      llmp::ErrorRecord err;
      llmp_backend* instance = nullptr;
      llmp_status status = plugin.backend.create(instanceHost, type.c_str(), {"contract", 8},
                                                 kEmptyConfig, &instance, err.sink());
      if (i == 0) {
        first = status;
      }
      ASSERT_EQ(status, first) << "create must answer the same config the same way";
      if (status != LLMP_OK) {
        // Refusing "{}" is fine when it is a clean error.
        ASSERT_EQ(instance, nullptr);
        ASSERT_TRUE(err.isSet()) << "a refusal must explain itself through the error sink";
        ASSERT_FALSE(err.message.empty());
        continue;
      }
      ASSERT_NE(instance, nullptr);
      if (i == 0 && plugin.backend.get_extension != nullptr) {
        for (const char* id : kUnknownIds) {
          EXPECT_EQ(plugin.backend.get_extension(instance, id), nullptr)
              << "extension '" << id << "'";
        }
      }
      plugin.backend.destroy(instance);
    }
  }
}

TEST_P(PluginContract, FrontendInstancesSurviveManyCreateDestroyCycles) {
  const LoadedPlugin& plugin = load();
  if (!plugin.hasFrontend) {
    GTEST_SKIP() << plugin.descriptor.id << " has no front-end factory";
  }
  const llmp_host_api* instanceHost = services_.apiFor(plugin.descriptor.id);
  llmp_status first = LLMP_OK;
  for (int i = 0; i < kCycles; ++i) {
    llmp::ErrorRecord err;
    llmp_frontend* instance = nullptr;
    llmp_status status = plugin.frontend.create(instanceHost, kEmptyConfig, &instance, err.sink());
    if (i == 0) {
      first = status;
    }
    ASSERT_EQ(status, first) << "create must answer the same config the same way";
    if (status != LLMP_OK) {
      ASSERT_EQ(instance, nullptr);
      ASSERT_TRUE(err.isSet()) << "a refusal must explain itself through the error sink";
      continue;
    }
    ASSERT_NE(instance, nullptr);
    if (i == 0 && plugin.frontend.get_extension != nullptr) {
      for (const char* id : kUnknownIds) {
        EXPECT_EQ(plugin.frontend.get_extension(instance, id), nullptr)
            << "extension '" << id << "'";
      }
    }
    plugin.frontend.destroy(instance);
  }
}

// A host table with only logging and clocks (an older or a test host): plugins must check
// LLMP_HOST_HAS before they call a service, so loading and creating must not crash.
TEST_P(PluginContract, CopesWithAMinimalHostTable) {
  TestHost minimal;
  PluginLoader loader([&](const std::string& id) { return minimal.apiFor(id); });
  const LoadedPlugin& plugin = loader.load(GetParam());
  if (plugin.hasBackend) {
    for (const std::string& type : backendTypes(plugin)) {
      llmp::ErrorRecord err;
      llmp_backend* instance = nullptr;
      if (plugin.backend.create(minimal.apiFor(plugin.descriptor.id), type.c_str(),
                                {"contract", 8}, kEmptyConfig, &instance,
                                err.sink()) == LLMP_OK) {
        plugin.backend.destroy(instance);
      } else {
        EXPECT_TRUE(err.isSet()) << type;
      }
    }
  }
  if (plugin.hasFrontend) {
    llmp::ErrorRecord err;
    llmp_frontend* instance = nullptr;
    if (plugin.frontend.create(minimal.apiFor(plugin.descriptor.id), kEmptyConfig, &instance,
                               err.sink()) == LLMP_OK) {
      plugin.frontend.destroy(instance);
    } else {
      EXPECT_TRUE(err.isSet());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Plugins, PluginContract, ::testing::ValuesIn(pluginFiles()), testName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PluginContract);

// Across all plugins: ids are unique, and so are backend types and front-end names (the host
// finds factories by them).
TEST(PluginSet, AllPluginsLoadTogetherWithUniqueIdsAndTypes) {
  const std::vector<std::string> files = pluginFiles();
  ASSERT_FALSE(files.empty()) << "no plugin in " << pluginDir();
  host::HostServices services;
  PluginLoader loader([&](const std::string& id) { return services.apiFor(id); });
  std::map<std::string, std::string> typeOwner;
  std::map<std::string, std::string> frontendOwner;
  for (const std::string& file : files) {
    const LoadedPlugin* plugin = nullptr;
    try {
      plugin = &loader.load(file);
    } catch (const host::PluginError& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    if (plugin->hasBackend) {
      for (const std::string& type : backendTypes(*plugin)) {
        auto [it, fresh] = typeOwner.emplace(type, file);
        EXPECT_TRUE(fresh) << "backend type " << type << " offered by " << it->second << " and "
                           << file;
      }
    }
    if (plugin->hasFrontend) {
      auto [it, fresh] = frontendOwner.emplace(plugin->frontend.name, file);
      EXPECT_TRUE(fresh) << "front end " << plugin->frontend.name << " offered by " << it->second
                         << " and " << file;
    }
  }
  EXPECT_EQ(loader.plugins().size(), files.size());
}

}  // namespace
}  // namespace llmp::abitest
