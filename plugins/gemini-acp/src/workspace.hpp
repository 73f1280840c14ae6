// Which directory the agent works in (its cwd and the ACP session's cwd).
#pragma once

#include <llmp/cpp/json.hpp>

#include <string>

namespace llmp::plugins::gemini_acp {

// The request's workspace: metadata `workspace`, else header `x-llmp-workspace` from
// metadata.headers (any case), else `projectDir`, else the proxy's cwd. The result is absolute
// and normalized (no trailing slash). Throws llmp::Error(LLMP_E_INVALID) when the named
// directory is relative or does not exist.
std::string resolveWorkspace(const Json& metadata, const std::string& projectDir);

// The proxy's current working directory.
std::string currentDirectory();

}  // namespace llmp::plugins::gemini_acp
