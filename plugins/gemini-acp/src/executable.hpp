// Finding the Gemini CLI and building its command line.
#pragma once

#include <string>
#include <vector>

namespace llmp::plugins::gemini_acp {

struct ResolvedExecutable {
  bool found = false;
  std::string path;   // absolute or as configured, when found
  std::string error;  // a sentence for the operator when not found
};

// The configured path (absolute, relative, or a bare name searched on PATH) or, when empty,
// `gemini` / `gemini.cmd` / `gemini.exe` on `pathEnv` (a PATH-style list).
ResolvedExecutable resolveExecutable(const std::string& configured, const std::string& pathEnv);

// True for a JavaScript entry point (run through node rather than executed directly).
bool isJavaScript(const std::string& path);

// argv for one agent process: [node, script | executable] + acpFlag + [-m model] + extraArgs.
std::vector<std::string> buildArgv(const std::string& executable, const std::string& node,
                                   const std::string& acpFlag, const std::string& model,
                                   const std::vector<std::string>& extraArgs);

}  // namespace llmp::plugins::gemini_acp
