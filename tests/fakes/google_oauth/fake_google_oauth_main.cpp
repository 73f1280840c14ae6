// fake-google-oauth: the fake Google OAuth server as a process for end-to-end tests. Prints
// "PORT=<n>" as its first stdout line, then serves until SIGINT/SIGTERM.
//
// Control endpoints (POST, JSON body): /__fake/next-user {"email"} (queue the next sign-in),
// /__fake/refresh-token {"refresh_token","email"} (accept a refresh token), /__fake/revoke
// {"email"} or {"refresh_token"} (answer invalid_grant), /__fake/expires-in {"seconds"},
// /__fake/fail-token {"status","times"}; GET /__fake/state (issued access tokens -> e-mail,
// request counts).

#include <cstdlib>
#include <iostream>
#include <string>

#include "fake_google_oauth.hpp"
#include "fake_http.hpp"

int main(int argc, char** argv) {
  using namespace llmp::fakes::google_oauth;
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    std::string value = argv[i + 1];
    if (arg == "--port") {
      options.port = static_cast<uint16_t>(std::atoi(value.c_str()));
    } else if (arg == "--client-id") {
      options.clientId = value;
    } else if (arg == "--client-secret") {
      options.clientSecret = value;
    } else if (arg == "--expires-in") {
      options.expiresIn = std::atoi(value.c_str());
    } else {
      std::cerr << "usage: fake-google-oauth [--port N] [--client-id ID] [--client-secret S] "
                   "[--expires-in SECONDS]\n";
      return 2;
    }
  }
  FakeGoogleOAuth fake(options);
  return llmp::fakes::serveUntilSignal(fake);
}
