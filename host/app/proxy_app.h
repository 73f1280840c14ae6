// Wires the proxy together: configuration, host services, plugins, backends, front ends,
// router and HTTP server; serves until SIGINT/SIGTERM; shuts down in reverse order.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include "app/cli.h"

namespace llmp::host {
class PluginLoader;
class HostServices;
}

namespace llmp::host {

class ProxyApp : public Poco::Util::ServerApplication {
 public:
  explicit ProxyApp(CliOptions cli) : cli_(std::move(cli)) {}

 protected:
  // Options are parsed by parseCommandLine(); Poco's own option handling is not used.
  void defineOptions(Poco::Util::OptionSet&) override {}
  int main(const std::vector<std::string>& args) override;
  // `llm-proxy <command> ...`: runs a plugin's command (llmp.cli.v1) instead of the server.
  int runPluginCommand(PluginLoader& loader, HostServices& services, const Config& config);

 private:
  CliOptions cli_;
};

}  // namespace llmp::host
