// Where plugin libraries are found and which ones are loaded.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace llmp::host {

// The plugin directory: --plugin-dir / plugin_dir, else LLMP_PLUGIN_DIR, else the build tree's
// plugin directory, else <binary dir>/plugins, else the install location.
std::string resolvePluginDir(const Config& config, const std::string& executablePath);

struct PluginFile {
  std::string path;
  bool explicitlyNamed;  // named in `plugins:`: a load failure is fatal
};

// The files to load: those named in `plugins:` (paths, or names looked up in the plugin dir as
// lib<name>.so / libllmp_<name>.so / <name>.so), else every *.so in the plugin dir, sorted.
std::vector<PluginFile> pluginFiles(const Config& config, const std::string& pluginDir);

}  // namespace llmp::host
