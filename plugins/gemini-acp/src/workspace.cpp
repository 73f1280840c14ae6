#include "workspace.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <vector>

namespace llmp::plugins::gemini_acp {
namespace {

std::string fromMetadata(const Json& metadata) {
  if (!metadata.is_object()) {
    return {};
  }
  auto workspace = metadata.find("workspace");
  if (workspace != metadata.end() && workspace->is_string() && !workspace->get_ref<const std::string&>().empty()) {
    return workspace->get<std::string>();
  }
  auto headers = metadata.find("headers");
  if (headers != metadata.end() && headers->is_object()) {
    for (auto it = headers->begin(); it != headers->end(); ++it) {
      if (iequals(it.key(), "x-llmp-workspace")) {
        if (it->is_string()) {
          return it->get<std::string>();
        }
        if (it->is_array() && !it->empty() && (*it)[0].is_string()) {
          return (*it)[0].get<std::string>();
        }
      }
    }
  }
  return {};
}

std::string checkedDirectory(const std::string& dir, const char* source) {
  if (dir.empty() || dir[0] != '/') {
    throw Error(LLMP_E_INVALID, 400,
                std::string("workspace '") + dir + "' (" + source + ") must be an absolute path");
  }
  char resolved[PATH_MAX];
  struct stat st {};
  if (::realpath(dir.c_str(), resolved) == nullptr || ::stat(resolved, &st) != 0 ||
      !S_ISDIR(st.st_mode)) {
    throw Error(LLMP_E_INVALID, 400,
                std::string("workspace '") + dir + "' (" + source + ") is not an existing directory");
  }
  return resolved;
}

}  // namespace

std::string currentDirectory() {
  std::vector<char> buffer(PATH_MAX);
  if (::getcwd(buffer.data(), buffer.size()) == nullptr) {
    return "/";
  }
  return buffer.data();
}

std::string resolveWorkspace(const Json& metadata, const std::string& projectDir) {
  std::string requested = fromMetadata(metadata);
  if (!requested.empty()) {
    return checkedDirectory(requested, "request metadata");
  }
  if (!projectDir.empty()) {
    return checkedDirectory(projectDir, "project_dir");
  }
  return checkedDirectory(currentDirectory(), "the proxy's working directory");
}

}  // namespace llmp::plugins::gemini_acp
