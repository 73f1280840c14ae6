// The Gemini CLI's cached OAuth credentials (oauth_creds.json, google-auth.md §1.5): where they
// live and what they hold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"

namespace llmp::plugins::gemini_oauth {

struct CliCreds {
  std::string accessToken;
  std::string refreshToken;
  int64_t expiryMs = 0;  // expiry_date, Unix epoch milliseconds (0 = unknown)
};

// The paths searched when none is configured: <GEMINI_CLI_HOME or HOME>/.gemini/oauth_creds.json,
// then $HOME/.config/gemini-cli/oauth_creds.json.
std::vector<std::string> credsCandidates(const EnvFn& env);

// The configured path, or the first candidate that exists. Throws llmp::Error(LLMP_E_INVALID)
// naming every path tried and how to create the file.
std::string resolveCredsPath(const std::string& configured, const EnvFn& env);

// Reads and checks the file. Throws llmp::Error(LLMP_E_INVALID or LLMP_E_AUTH) naming the path
// (never its content) when it is missing, unreadable, not JSON or holds no token.
CliCreds readCreds(const std::string& path);

}  // namespace llmp::plugins::gemini_oauth
