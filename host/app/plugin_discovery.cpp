#include "app/plugin_discovery.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace llmp::host {

namespace fs = std::filesystem;

std::string resolvePluginDir(const Config& config, const std::string& executablePath) {
  if (!config.pluginDir.empty()) {
    return config.pluginDir;
  }
  if (const char* env = std::getenv("LLMP_PLUGIN_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::vector<std::string> candidates;
#ifdef LLMP_BUILD_PLUGIN_DIR
  candidates.push_back(LLMP_BUILD_PLUGIN_DIR);
#endif
  if (!executablePath.empty()) {
    std::error_code ec;
    fs::path exe = fs::canonical(executablePath, ec);
    if (!ec) {
      candidates.push_back((exe.parent_path() / "plugins").string());
      candidates.push_back((exe.parent_path().parent_path() / "lib" / "llm-proxy" / "plugins").string());
    }
  }
  candidates.push_back(LLMP_DEFAULT_PLUGIN_DIR);
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_directory(c, ec)) {
      return c;
    }
  }
  return candidates.back();
}

std::vector<PluginFile> pluginFiles(const Config& config, const std::string& pluginDir) {
  std::vector<PluginFile> out;
  if (!config.plugins.empty()) {
    for (const auto& entry : config.plugins) {
      fs::path p(entry);
      if (entry.find('/') == std::string::npos && p.extension() != ".so") {
        for (const std::string& candidate :
             {"lib" + entry + ".so", "libllmp_" + entry + ".so", entry + ".so"}) {
          fs::path full = fs::path(pluginDir) / candidate;
          if (fs::exists(full)) {
            p = full;
            break;
          }
        }
        if (p.is_relative() && !fs::exists(p)) {
          p = fs::path(pluginDir) / ("libllmp_" + entry + ".so");
        }
      } else if (p.is_relative() && !fs::exists(p)) {
        p = fs::path(pluginDir) / p;
      }
      out.push_back({p.string(), true});
    }
    return out;
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(pluginDir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".so") {
      out.push_back({e.path().string(), false});
    }
  }
  std::sort(out.begin(), out.end(), [](const PluginFile& a, const PluginFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace llmp::host
