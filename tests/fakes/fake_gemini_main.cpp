// fake-gemini-upstream: the fake Gemini API as a process, for node end-to-end tests and the
// benchmark. Prints "PORT=<n>" as its first stdout line, then serves until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "fake_gemini.hpp"

namespace {

void usage() {
  std::cerr << "usage: fake-gemini-upstream [--port N] [--latency-ms N] [--chunks N]\n"
               "                            [--chunk-delay-ms N] [--threads N]\n"
               "                            [--keys k1,k2,...] [--max-recorded N]\n"
               "Prints PORT=<n> on the first line of stdout; stop with SIGINT or SIGTERM.\n";
}

int toInt(const char* flag, const char* value) {
  char* end = nullptr;
  long v = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || v < 0) {
    std::cerr << "fake-gemini-upstream: " << flag << " needs a non-negative number, got '" << value
              << "'\n";
    std::exit(2);
  }
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  llmp::fakes::FakeGeminiOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    }
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    const char* value = argv[++i];
    if (arg == "--port") {
      options.port = static_cast<uint16_t>(toInt("--port", value));
    } else if (arg == "--latency-ms") {
      options.latencyMs = toInt("--latency-ms", value);
    } else if (arg == "--chunks") {
      options.chunks = std::max(1, toInt("--chunks", value));
    } else if (arg == "--chunk-delay-ms") {
      options.chunkDelayMs = toInt("--chunk-delay-ms", value);
    } else if (arg == "--threads") {
      options.threads = std::max(4, toInt("--threads", value));
    } else if (arg == "--max-recorded") {
      options.maxRecorded = static_cast<size_t>(toInt("--max-recorded", value));
    } else if (arg == "--keys") {
      std::string keys = value;
      size_t start = 0;
      while (start <= keys.size()) {
        size_t comma = keys.find(',', start);
        std::string k =
            keys.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!k.empty()) {
          options.validKeys.insert(k);
        }
        if (comma == std::string::npos) {
          break;
        }
        start = comma + 1;
      }
    } else {
      std::cerr << "fake-gemini-upstream: unknown option " << arg << "\n";
      usage();
      return 2;
    }
  }

  // Block the stop signals before any thread starts so only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  llmp::fakes::FakeGemini fake(options);
  try {
    fake.start();
  } catch (const std::exception& e) {
    std::cerr << "fake-gemini-upstream: cannot start: " << e.what() << "\n";
    return 1;
  }
  std::printf("PORT=%u\n", static_cast<unsigned>(fake.port()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  fake.stop();
  return 0;
}
