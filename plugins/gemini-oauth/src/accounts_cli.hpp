// `llm-proxy accounts ...`: manages the gemini-oauth-auto account pool (list, add, update,
// remove, set-project-id). Runs in the llm-proxy process instead of the server.
#pragma once

#include <functional>
#include <llmp/cpp/host.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace llmp::plugins::gemini_oauth {

using Print = std::function<void(std::string_view)>;

// Returns the exit status: 0 success, 2 usage error, 1 other failure. configJson is the proxy's
// configuration as the host passes it ({"backends": {...}}).
int runAccountsCommand(Host host, const std::vector<std::string>& args, std::string_view configJson,
                       const EnvFn& env, const Print& out, const Print& err);

// A token for display: its first 6 characters and an ellipsis.
std::string maskToken(const std::string& token);

}  // namespace llmp::plugins::gemini_oauth
