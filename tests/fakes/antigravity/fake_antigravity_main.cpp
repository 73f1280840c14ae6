// fake-antigravity: the fake Antigravity upstream as a process for end-to-end tests, and the
// writer of test state databases.
//
//   fake-antigravity [--port N] [--project P] [--token T]... [--not-onboarded]
//                    [--client-id ID --client-secret S --refresh-token R]
//       prints PORT=<n> on the first stdout line, serves until SIGINT/SIGTERM.
//   fake-antigravity --write-state-db PATH --format unified|jetski|authstatus
//                    --access-token T [--refresh-token R] [--expiry-seconds EPOCH]
//       writes a state.vscdb the way the Antigravity app does, then exits.
#include <cstdlib>
#include <iostream>
#include <string>

#include <unistd.h>

#include "fake_antigravity.hpp"
#include "fake_http.hpp"

using namespace llmp::fakes::antigravity;

int main(int argc, char** argv) {
  Options options;
  std::string dbPath, format = "unified", access, refresh;
  int64_t expiry = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--not-onboarded") {
      options.onboarded = false;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "fake-antigravity: " << arg << " needs a value\n";
      return 2;
    }
    std::string value = argv[++i];
    if (arg == "--port") {
      options.port = static_cast<uint16_t>(std::atoi(value.c_str()));
    } else if (arg == "--project") {
      options.project = value;
    } else if (arg == "--token") {
      options.validTokens.push_back(value);
    } else if (arg == "--client-id") {
      options.clientId = value;
    } else if (arg == "--client-secret") {
      options.clientSecret = value;
    } else if (arg == "--refresh-token") {
      options.refreshToken = value;
      refresh = value;
    } else if (arg == "--write-state-db") {
      dbPath = value;
    } else if (arg == "--format") {
      format = value;
    } else if (arg == "--access-token") {
      access = value;
    } else if (arg == "--expiry-seconds") {
      expiry = std::atoll(value.c_str());
    } else {
      std::cerr << "fake-antigravity: unknown option " << arg << "\n";
      return 2;
    }
  }
  if (!dbPath.empty()) {
    StateFormat f = format == "jetski"       ? StateFormat::Jetski
                    : format == "authstatus" ? StateFormat::AuthStatus
                                             : StateFormat::Unified;
    try {
      writeStateDb(dbPath, f, access, refresh, expiry);
    } catch (const std::exception& e) {
      std::cerr << "fake-antigravity: " << e.what() << "\n";
      return 1;
    }
    return 0;
  }

  FakeAntigravity fake(options);
  return llmp::fakes::serveUntilSignal(fake);
}
