#include "test_host.h"

#include <chrono>

namespace llmp::abitest {

const llmp_host_api* TestHost::apiFor(const std::string& pluginId) {
  PluginTable& table = tables_.emplace_back();
  table.owner = this;
  table.pluginId = pluginId;
  llmp_host_api& api = table.api;
  api.struct_size = sizeof(llmp_host_api);
  api.abi_major = LLMP_ABI_MAJOR;
  api.abi_minor = LLMP_ABI_MINOR;
  api.host_data = &table;
  api.host_name = "llmp-abi-test";
  api.host_version = "0";
  api.log = [](const llmp_host_api* host, int32_t, llmp_bytes message) {
    auto* t = static_cast<PluginTable*>(host->host_data);
    t->owner->record(*t, std::string(message.ptr ? message.ptr : "", message.len));
  };
  api.log_enabled = [](const llmp_host_api*, int32_t) -> int32_t { return 1; };
  api.monotonic_ms = [](const llmp_host_api*) -> int64_t {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  api.wall_ms = [](const llmp_host_api*) -> int64_t {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  return &api;
}

void TestHost::record(const PluginTable& table, std::string message) {
  std::lock_guard<std::mutex> lock(mutex_);
  lines_.push_back(table.pluginId + ": " + message);
  messages_.push_back(std::move(message));
}

std::vector<std::string> TestHost::logLines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lines_;
}

std::vector<std::string> TestHost::messages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_;
}

}  // namespace llmp::abitest
