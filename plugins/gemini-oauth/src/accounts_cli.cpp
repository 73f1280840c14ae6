#include "accounts_cli.hpp"

#include <algorithm>
#include <cctype>
#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_errors.hpp>
#include <llmp/cpp/google_oauth.hpp>
#include <llmp/cpp/google_oauth_flow.hpp>
#include <llmp/cpp/json.hpp>
#include <map>
#include <optional>

#include "account_store.hpp"
#include "code_assist_caller.hpp"

namespace llmp::plugins::gemini_oauth {

namespace {

const char* kUsage =
    "usage: llm-proxy [--config FILE] accounts <command> [options]\n"
    "  list [--json]                         the accounts of the gemini-oauth-auto pool\n"
    "  add [--no-browser] [--skip-validation] [--project-id P]\n"
    "                                        sign a Google account in and add it\n"
    "  update <account-id> [--no-browser] [--skip-validation]\n"
    "                                        sign an account in again (after invalid_grant)\n"
    "  remove <account-id>                   delete an account\n"
    "  set-project-id <account-id> --project-id P\n"
    "                                        the Google Cloud project the account uses\n"
    "  --backend NAME picks the gemini-oauth-auto backend when the config has several.\n"
    "Not affiliated with Google; for the project's developers and maintainers only. Respect the\n"
    "providers' terms of service.\n";

struct Args {
  std::string command;
  std::vector<std::string> positional;
  bool json = false, noBrowser = false, skipValidation = false;
  std::optional<std::string> projectId, backend;
  std::optional<int64_t> timeoutSeconds;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Args parseArgs(const std::vector<std::string>& args) {
  Args a;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    auto value = [&](const std::string& flag) {
      if (i + 1 >= args.size()) {
        throw UsageError(flag + " needs a value");
      }
      return args[++i];
    };
    if (s == "--json") {
      a.json = true;
    } else if (s == "--no-browser") {
      a.noBrowser = true;
    } else if (s == "--skip-validation") {
      a.skipValidation = true;
    } else if (s == "--project-id" || s.rfind("--project-id=", 0) == 0) {
      a.projectId = s.size() > 12 && s[12] == '=' ? s.substr(13) : value(s);
    } else if (s == "--backend") {
      a.backend = value(s);
    } else if (s == "--timeout") {
      std::string v = value(s);
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n <= 0) {
        throw UsageError("--timeout needs a number of seconds");
      }
      a.timeoutSeconds = n;
    } else if (s == "--help" || s == "-h") {
      a.command = "help";
    } else if (!s.empty() && s[0] == '-') {
      throw UsageError("unknown option " + s);
    } else if (a.command.empty()) {
      a.command = s;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

void checkProjectId(const std::string& p) {
  bool ok = !p.empty() && p.size() <= 100;
  bool digitsOnly = true;
  for (char c : p) {
    unsigned char u = static_cast<unsigned char>(c);
    ok = ok && (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == ':');
    digitsOnly = digitsOnly && std::isdigit(u);
  }
  if (!ok) {
    throw UsageError("\"" + p.substr(0, 100) + "\" is not a Google Cloud project id");
  }
  if (digitsOnly) {
    throw UsageError("\"" + p +
                     "\" is a project number; give the project id (e.g. my-project-123)");
  }
}

// The gemini-oauth-auto backend's settings and name from the host's config JSON.
std::pair<std::string, std::string> findInstance(std::string_view configJson,
                                                 const std::optional<std::string>& wanted) {
  auto doc = parseJson(configJson);
  std::vector<std::pair<std::string, std::string>> found;
  if (doc && doc->is_object() && (*doc)["backends"].is_object()) {
    for (auto& [name, settings] : (*doc)["backends"].items()) {
      std::string type = settings.is_object() ? settings.value("type", std::string()) : "";
      if (wanted && name == *wanted) {
        if (type != kTypeAuto) {
          throw UsageError("backend '" + name + "' has type " + type + ", not " + kTypeAuto);
        }
        return {name, settings.dump()};
      }
      if (type == kTypeAuto) {
        found.emplace_back(name, settings.dump());
      }
    }
  }
  if (wanted) {
    throw UsageError("the configuration has no backend named '" + *wanted + "'");
  }
  if (found.size() > 1) {
    std::string names;
    for (auto& f : found) {
      names += (names.empty() ? "" : ", ") + f.first;
    }
    throw UsageError("the configuration has several gemini-oauth-auto backends (" + names +
                     "); pick one with --backend NAME");
  }
  if (found.empty()) {
    return {kTypeAuto, "{}"};  // the defaults (accounts_dir, endpoints, env client)
  }
  return found.front();
}

std::string isoTime(int64_t ms) {
  if (ms <= 0) {
    return "";
  }
  time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string expiresIn(int64_t expiryMs, int64_t nowMs) {
  if (expiryMs <= 0) {
    return "unknown";
  }
  int64_t s = (expiryMs - nowMs) / 1000;
  if (s <= 0) {
    return "expired";
  }
  return s >= 3600 ? std::to_string(s / 3600) + "h" + std::to_string((s % 3600) / 60) + "m"
                   : std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
}

class Command {
 public:
  Command(Host host, OAuthConfig cfg, const Print& out, const Print& err)
      : host_(host),
        cfg_(std::move(cfg)),
        store_(cfg_.accountsDir),
        out_(out),
        err_(err),
        caller_(host_, cfg_) {}

  int list(const Args& a) {
    std::vector<std::string> skipped;
    auto accounts = store_.loadAll(&skipped);
    int64_t now = host_.wallMs();
    if (a.json) {
      Json arr = Json::array();
      for (const auto& acc : accounts) {
        arr.push_back({{"id", acc.id},
                       {"email", acc.email},
                       {"project_id", acc.projectId},
                       {"tier", acc.tier},
                       {"status", acc.status},
                       {"token_expires_at", isoTime(acc.expiryMs)},
                       {"has_refresh_token", !acc.refreshToken.empty()},
                       {"last_error", acc.lastError}});
      }
      out_(arr.dump(2) + "\n");
      return 0;
    }
    if (accounts.empty()) {
      out_("No accounts in " + store_.dir() + ". Add one with `llm-proxy accounts add`.\n");
      return 0;
    }
    out_("Accounts in " + store_.dir() + ":\n");
    for (const auto& acc : accounts) {
      out_("  " + acc.id + "  " + acc.email + "  project " +
           (acc.projectId.empty() ? "(not yet known)" : acc.projectId) + "  " + acc.status +
           "  token " + maskToken(acc.accessToken) + " (expires in " +
           expiresIn(acc.expiryMs, now) + ")" +
           (acc.lastError.empty() ? "" : "  [" + acc.lastError + "]") + "\n");
    }
    for (const auto& s : skipped) {
      err_("warning: " + s + " is not a readable account file (ignored)\n");
    }
    return 0;
  }

  int add(const Args& a, const std::optional<Account>& existing) {
    if (cfg_.clientId.empty() || cfg_.clientSecret.empty()) {
      err_(
          "llm-proxy accounts: no OAuth client configured. Set client_id and client_secret in "
          "the gemini-oauth-auto backend's config, or GEMINI_OAUTH_CLIENT_ID and "
          "GEMINI_OAUTH_CLIENT_SECRET (docs/backends/gemini-oauth-auto.md says where the Gemini "
          "CLI publishes its installed-app client).\n");
      return 1;
    }
    if (a.projectId) {
      checkProjectId(*a.projectId);
    }
    google::LoopbackCallback callback(cfg_.callbackHost, cfg_.callbackPort);
    const std::string state = google::randomState();
    const std::string redirect = callback.redirectUri();
    const std::string url = google::authorizationUrl(cfg_.authUri, cfg_.clientId, redirect, state,
                                                     google::codeAssistScopes());
    out_(std::string("Sign in with Google") +
         (existing ? " as " + existing->email : std::string()) +
         ": open this URL in a browser\n\n  " + url + "\n\nWaiting for the redirect to " +
         redirect + " ...\n");
    llmp_process* browser = a.noBrowser ? nullptr : openBrowser(url);
    std::string added;
    google::LoopbackCallback::Result result;
    try {
      result =
          callback.wait(state, a.timeoutSeconds ? *a.timeoutSeconds * 1000 : cfg_.callbackTimeoutMs,
                        [&](const std::string& code) {
                          added = finishSignIn(code, redirect, a, existing);
                          return added;
                        });
    } catch (...) {
      releaseBrowser(browser);
      throw;
    }
    releaseBrowser(browser);
    if (!result.error.empty()) {
      err_("llm-proxy accounts: " + result.error + "\n");
      return 1;
    }
    out_(added + "\n");
    return 0;
  }

  int remove(const Args& a) {
    if (a.positional.size() != 1) {
      throw UsageError("remove needs exactly one account id");
    }
    checkAccountId(a.positional[0]);
    Account acc = store_.load(a.positional[0]);
    store_.remove(acc.id);
    out_("Removed account " + acc.id + " (" + acc.email + ").\n");
    return 0;
  }

  int setProject(const Args& a) {
    if (a.positional.size() != 1) {
      throw UsageError("set-project-id needs exactly one account id");
    }
    if (!a.projectId) {
      throw UsageError("set-project-id needs --project-id PROJECT_ID");
    }
    checkAccountId(a.positional[0]);
    checkProjectId(*a.projectId);
    Account acc = store_.load(a.positional[0]);
    acc.projectId = *a.projectId;
    acc.updatedMs = host_.wallMs();
    store_.save(acc);
    out_("Account " + acc.id + " now uses project " + acc.projectId + ".\n");
    return 0;
  }

 private:
  llmp_process* openBrowser(const std::string& url) {
    const llmp_host_api* api = host_.api();
    if (api == nullptr || !LLMP_HOST_HAS(api, process_spawn)) {
      return nullptr;
    }
#ifdef __APPLE__
    const char* opener = "open";
#else
    const char* opener = "xdg-open";
#endif
    const char* argv[] = {opener, url.c_str()};
    llmp_process_options opts{};
    opts.struct_size = sizeof(opts);
    opts.argv = argv;
    opts.argc = 2;
    llmp_process* proc = nullptr;
    ErrorRecord err;
    if (api->process_spawn(api, &opts, &proc, err.sink()) != LLMP_OK) {
      err_(std::string("(could not start ") + opener + "; open the URL yourself)\n");
      return nullptr;
    }
    return proc;
  }

  void releaseBrowser(llmp_process* proc) {
    const llmp_host_api* api = host_.api();
    if (proc != nullptr && api != nullptr && LLMP_HOST_HAS(api, process_release)) {
      api->process_release(api, proc);
    }
  }

  // Exchanges the code, reads the e-mail, validates Code Assist, stores the account. Returns the
  // line shown to the user (and the browser).
  std::string finishSignIn(const std::string& code, const std::string& redirect, const Args& a,
                           const std::optional<Account>& existing) {
    auto http = google::httpFnFromHost(host_);
    google::OAuthClient client{
        cfg_.clientId,
        cfg_.clientSecret,
        cfg_.tokenUri,
        {cfg_.timeouts.connectMs, cfg_.timeouts.firstByteMs, cfg_.timeouts.idleMs}};
    google::TokenGrant g = google::exchangeCode(http, client, code, redirect);
    std::string email = google::fetchEmail(
        http, cfg_.userinfoUri, g.accessToken,
        {cfg_.timeouts.connectMs, cfg_.timeouts.firstByteMs, cfg_.timeouts.idleMs});
    Account acc;
    if (existing) {
      acc = *existing;
      auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        return s;
      };
      if (lower(email) != lower(existing->email)) {
        throw Error(LLMP_E_INVALID, 400,
                    "signed in as " + email + ", but account " + existing->id + " belongs to " +
                        existing->email + "; nothing was changed");
      }
    } else {
      acc.id = accountIdFor(email);
      if (store_.exists(acc.id)) {
        acc = store_.load(acc.id);  // signing in again refreshes the stored account
      } else {
        acc.createdMs = host_.wallMs();
      }
    }
    acc.email = email;
    acc.accessToken = g.accessToken;
    if (!g.refreshToken.empty()) {
      acc.refreshToken = g.refreshToken;
    }
    if (acc.refreshToken.empty()) {
      throw Error(LLMP_E_AUTH, 400,
                  "Google returned no refresh token for " + email +
                      "; remove the app's access at https://myaccount.google.com/permissions and "
                      "sign in again");
    }
    acc.expiryMs = host_.wallMs() + (g.expiresInMs > 0 ? g.expiresInMs : 3600 * 1000);
    acc.status = "active";
    acc.lastError.clear();
    if (a.projectId) {
      acc.projectId = *a.projectId;
    }
    std::string note;
    if (!a.skipValidation) {
      std::string token = g.accessToken;
      std::vector<std::string> secrets{token, acc.refreshToken, cfg_.clientSecret};
      code_assist::SetupResult setup;
      try {
        setup = caller_.setup([&] { return token; }, {}, code_assist::TierPolicy::GeminiCli,
                              !acc.projectId.empty() ? acc.projectId : cfg_.projectId, secrets);
      } catch (const Error& e) {
        throw Error(e.code(), e.httpStatus(),
                    "Code Assist validation of " + email + " failed: " + e.what() +
                        " (add it anyway with --skip-validation)");
      }
      if (acc.projectId.empty()) {
        acc.projectId = setup.project;
      }
      acc.tier = setup.tierId;
      note = ", Code Assist tier " + setup.tierId + ", project " + acc.projectId;
    } else {
      note = " (not validated)";
    }
    acc.updatedMs = host_.wallMs();
    store_.save(acc);
    return std::string(existing ? "Updated" : "Added") + " account " + acc.id + " (" + email + ")" +
           note + ".";
  }

  Host host_;
  OAuthConfig cfg_;
  AccountStore store_;
  Print out_, err_;
  CodeAssistCaller caller_;
};

}  // namespace

std::string maskToken(const std::string& token) {
  if (token.empty()) {
    return "(none)";
  }
  return token.substr(0, std::min<size_t>(6, token.size() / 3)) + "...";
}

int runAccountsCommand(Host host, const std::vector<std::string>& args, std::string_view configJson,
                       const EnvFn& env, const Print& out, const Print& err) {
  Args a;
  try {
    a = parseArgs(args);
    if (a.command.empty() || a.command == "help") {
      (a.command.empty() ? err : out)(kUsage);
      return a.command.empty() ? 2 : 0;
    }
    auto [name, settings] = findInstance(configJson, a.backend);
    OAuthConfig cfg = parseConfig(kTypeAuto, name, settings, env);
    Command cmd(host, cfg, out, err);
    if (a.command == "list") {
      return cmd.list(a);
    }
    if (a.command == "add") {
      if (!a.positional.empty()) {
        throw UsageError("add takes no account id (use update <account-id> to sign in again)");
      }
      return cmd.add(a, std::nullopt);
    }
    if (a.command == "update") {
      if (a.positional.size() != 1) {
        throw UsageError("update needs exactly one account id");
      }
      checkAccountId(a.positional[0]);
      return cmd.add(a, AccountStore(cfg.accountsDir).load(a.positional[0]));
    }
    if (a.command == "remove") {
      return cmd.remove(a);
    }
    if (a.command == "set-project-id") {
      return cmd.setProject(a);
    }
    throw UsageError("unknown command '" + a.command + "'");
  } catch (const UsageError& e) {
    err(std::string("llm-proxy accounts: ") + e.what() + "\n" + kUsage);
    return 2;
  } catch (const Error& e) {
    err(std::string("llm-proxy accounts: ") + e.what() + "\n");
    return e.code() == LLMP_E_INVALID && e.httpStatus() == 400 ? 1 : 1;
  } catch (const std::exception& e) {
    err(std::string("llm-proxy accounts: internal error: ") + e.what() + "\n");
    return 1;
  }
}

}  // namespace llmp::plugins::gemini_oauth
