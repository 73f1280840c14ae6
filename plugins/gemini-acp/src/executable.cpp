#include "executable.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace llmp::plugins::gemini_acp {
namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isRunnableFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  if (isJavaScript(path)) {
    return ::access(path.c_str(), R_OK) == 0;
  }
  return ::access(path.c_str(), X_OK) == 0;
}

std::string searchPath(const std::string& name, const std::string& pathEnv) {
  size_t start = 0;
  while (start <= pathEnv.size()) {
    size_t end = pathEnv.find(':', start);
    if (end == std::string::npos) {
      end = pathEnv.size();
    }
    std::string dir = pathEnv.substr(start, end - start);
    if (dir.empty()) {
      dir = ".";
    }
    std::string candidate = dir + "/" + name;
    if (isRunnableFile(candidate)) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

}  // namespace

bool isJavaScript(const std::string& path) {
  return endsWith(path, ".js") || endsWith(path, ".mjs") || endsWith(path, ".cjs");
}

ResolvedExecutable resolveExecutable(const std::string& configured, const std::string& pathEnv) {
  ResolvedExecutable out;
  if (!configured.empty()) {
    if (configured.find('/') != std::string::npos) {
      if (isRunnableFile(configured)) {
        out.found = true;
        out.path = configured;
      } else {
        out.error = "Gemini CLI executable '" + configured +
                    "' (gemini_cli_executable) does not exist or is not executable";
      }
      return out;
    }
    out.path = searchPath(configured, pathEnv);
    out.found = !out.path.empty();
    if (!out.found) {
      out.error = "Gemini CLI executable '" + configured +
                  "' (gemini_cli_executable) was not found on PATH";
    }
    return out;
  }
  for (const char* name : {"gemini", "gemini.cmd", "gemini.exe"}) {
    out.path = searchPath(name, pathEnv);
    if (!out.path.empty()) {
      out.found = true;
      return out;
    }
  }
  out.error =
      "Gemini CLI not found: no 'gemini' on PATH. Install it (npm install -g @google/gemini-cli) "
      "or set extra.gemini_cli_executable in the backend's config";
  return out;
}

std::vector<std::string> buildArgv(const std::string& executable, const std::string& node,
                                   const std::string& acpFlag, const std::string& model,
                                   const std::vector<std::string>& extraArgs) {
  std::vector<std::string> argv;
  if (isJavaScript(executable)) {
    argv.push_back(node.empty() ? "node" : node);
  }
  argv.push_back(executable);
  argv.push_back(acpFlag);
  if (!model.empty()) {
    argv.push_back("-m");
    argv.push_back(model);
  }
  argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
  return argv;
}

}  // namespace llmp::plugins::gemini_acp
