#include "creds_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <sstream>

namespace llmp::plugins::gemini_oauth {

std::vector<std::string> credsCandidates(const EnvFn& env) {
  auto get = [&](const char* n) -> std::string {
    const char* v = env ? env(n) : nullptr;
    return v != nullptr ? v : "";
  };
  std::string home = get("HOME");
  std::string cliHome = get("GEMINI_CLI_HOME");
  std::vector<std::string> out;
  out.push_back((cliHome.empty() ? home : cliHome) + "/.gemini/oauth_creds.json");
  out.push_back(home + "/.config/gemini-cli/oauth_creds.json");
  return out;
}

std::string resolveCredsPath(const std::string& configured, const EnvFn& env) {
  if (!configured.empty()) {
    return configured;
  }
  auto candidates = credsCandidates(env);
  for (const auto& c : candidates) {
    struct stat st {};
    if (::stat(c.c_str(), &st) == 0) {
      return c;
    }
  }
  std::string tried;
  for (const auto& c : candidates) {
    tried += (tried.empty() ? "" : ", ") + c;
  }
  throw Error(LLMP_E_INVALID, 0,
              "no Gemini CLI OAuth credentials found (looked for " + tried +
                  "). Sign in once with the Gemini CLI (`gemini`, then \"Login with Google\"), "
                  "or set oauth_creds_path to the file");
}

CliCreds readCreds(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(LLMP_E_INVALID, 401,
                "cannot read the Gemini CLI credentials " + path + ": " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = parseJson(ss.str());
  if (!doc || !doc->is_object()) {
    throw Error(LLMP_E_INVALID, 401,
                "the Gemini CLI credentials " + path + " are not a JSON object");
  }
  CliCreds c;
  c.accessToken = doc->value("access_token", std::string());
  c.refreshToken = doc->value("refresh_token", std::string());
  auto exp = doc->find("expiry_date");
  if (exp != doc->end() && exp->is_number()) {
    double v = exp->get<double>();
    c.expiryMs = std::isfinite(v) ? static_cast<int64_t>(v) : 0;
  } else if (exp != doc->end() && exp->is_string()) {
    c.expiryMs = std::strtoll(exp->get_ref<const std::string&>().c_str(), nullptr, 10);
  }
  if (c.accessToken.empty() && c.refreshToken.empty()) {
    throw Error(LLMP_E_INVALID, 401,
                "the Gemini CLI credentials " + path +
                    " hold neither access_token nor refresh_token; sign in again with `gemini`");
  }
  return c;
}

}  // namespace llmp::plugins::gemini_oauth
