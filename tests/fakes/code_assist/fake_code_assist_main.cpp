// fake-code-assist: the fake Code Assist server + token endpoint + metadata server as a process,
// for end-to-end tests. Prints "PORT=<n>" as its first stdout line (after writing any credential
// files asked for), then serves until SIGINT/SIGTERM.
//
// Control endpoints: GET /__fake/requests (recorded requests as JSON), POST /__fake/reset,
// POST /__fake/fail {"method":"generateContent","status":429,"retryDelay":"7s","times":1}.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "fake_code_assist.hpp"

namespace {

using namespace llmp::fakes::code_assist;

void usage() {
  std::cerr
      << "usage: fake-code-assist [--port N] [--tier onboarded|standard|enterprise|free|none]\n"
         "                        [--onboard-polls N] [--chunks N] [--token-expires-in S]\n"
         "                        [--write-service-account FILE] [--write-authorized-user FILE]\n"
         "                        [--sa-email EMAIL] [--project P] [--accept-any-token]\n"
         "  --write-service-account FILE  generate an RSA key pair, write a service_account key\n"
         "                                file whose token_uri is this fake's /token, and accept\n"
         "                                JWTs signed with it\n"
         "  --write-authorized-user FILE  write an authorized_user file (token_uri = this fake)\n"
         "Prints PORT=<n> on the first line of stdout; stop with SIGINT or SIGTERM.\n";
}

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  ::chmod(path.c_str(), 0600);
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::string saFile, userFile, email = "fake-sa@p.iam.gserviceaccount.com", project = "p";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    }
    if (arg == "--accept-any-token") {
      options.acceptAnyToken = true;
      continue;
    }
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    std::string value = argv[++i];
    if (arg == "--port") {
      options.port = static_cast<uint16_t>(std::atoi(value.c_str()));
    } else if (arg == "--tier") {
      if (value == "onboarded") {
        options.tierMode = TierMode::Onboarded;
      } else if (value == "standard") {
        options.tierMode = TierMode::StandardTier;
      } else if (value == "enterprise") {
        options.tierMode = TierMode::EnterpriseTier;
      } else if (value == "free") {
        options.tierMode = TierMode::FreeTier;
      } else if (value == "none") {
        options.tierMode = TierMode::NoneAllowed;
      } else {
        usage();
        return 2;
      }
    } else if (arg == "--onboard-polls") {
      options.onboardPolls = std::atoi(value.c_str());
    } else if (arg == "--chunks") {
      options.streamChunks = std::max(1, std::atoi(value.c_str()));
    } else if (arg == "--token-expires-in") {
      options.tokenExpiresIn = std::max(1, std::atoi(value.c_str()));
    } else if (arg == "--write-service-account") {
      saFile = value;
    } else if (arg == "--write-authorized-user") {
      userFile = value;
    } else if (arg == "--sa-email") {
      email = value;
    } else if (arg == "--project") {
      project = value;
    } else {
      usage();
      return 2;
    }
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // server threads inherit the mask

  FakeCodeAssist fake(options);
  fake.start();
  if (!saFile.empty()) {
    KeyPair keys = generateRsaKeyPair();
    fake.configureServiceAccount(email, keys.publicPem);
    if (!writeFile(saFile, serviceAccountJson(email, keys.privatePem, fake.tokenUrl(), project))) {
      std::cerr << "fake-code-assist: cannot write " << saFile << "\n";
      return 1;
    }
  }
  if (!userFile.empty()) {
    fake.configureAuthorizedUser("fake-client.apps.googleusercontent.com", "fake-client-secret",
                                 "1//fake-refresh-token");
    nlohmann::json j = {{"type", "authorized_user"},
                        {"client_id", "fake-client.apps.googleusercontent.com"},
                        {"client_secret", "fake-client-secret"},
                        {"refresh_token", "1//fake-refresh-token"},
                        {"token_uri", fake.tokenUrl()}};
    if (!writeFile(userFile, j.dump(2))) {
      std::cerr << "fake-code-assist: cannot write " << userFile << "\n";
      return 1;
    }
  }
  std::cout << "PORT=" << fake.port() << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  fake.stop();
  return 0;
}
