// A minimal llmp_host_api for the ABI tests: logging (recorded), clocks and nothing else, so the
// tests also show that plugins cope with a host that lacks optional services (LLMP_HOST_HAS).
#pragma once

#include <llmp/host.h>
#include <llmp/version.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace llmp::abitest {

class TestHost {
 public:
  TestHost() = default;
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  // The table for one plugin; valid as long as this TestHost.
  const llmp_host_api* apiFor(const std::string& pluginId);
  // Every message logged so far, in order, as "<plugin id>: <message>".
  std::vector<std::string> logLines() const;
  // Messages logged so far without the plugin id prefix.
  std::vector<std::string> messages() const;

 private:
  struct PluginTable {
    llmp_host_api api{};
    TestHost* owner = nullptr;
    std::string pluginId;
  };
  void record(const PluginTable& table, std::string message);

  std::deque<PluginTable> tables_;  // deque: addresses stay stable
  mutable std::mutex mutex_;        // guards lines_ and messages_
  std::vector<std::string> lines_;
  std::vector<std::string> messages_;
};

}  // namespace llmp::abitest
