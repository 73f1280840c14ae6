// llm-proxy: an LLM API proxy that hosts front-end and backend plugins (docs/architecture.md).
#include <csignal>
#include <iostream>

#include "app/cli.h"
#include "app/proxy_app.h"

int main(int argc, char** argv) {
  // A client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  llmp::host::CliOptions cli;
  try {
    cli = llmp::host::parseCommandLine(argc, argv);
  } catch (const llmp::host::ConfigError& e) {
    std::cerr << "llm-proxy: " << e.what() << "\n" << llmp::host::usageText();
    return 64;
  }
  if (cli.help) {
    std::cout << llmp::host::usageText();
    return 0;
  }
  if (cli.version) {
    std::cout << "llm-proxy " << LLMP_HOST_VERSION << " (llmp ABI " << 1 << ")" << std::endl;
    return 0;
  }
  llmp::host::ProxyApp app(cli);
  // Poco's option parser is bypassed: only the program name is handed to it.
  char* args[] = {argv[0], nullptr};
  return app.run(1, args);
}
