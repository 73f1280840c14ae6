#include "personal_backend.hpp"

#include <atomic>
#include <chrono>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/google_errors.hpp>
#include <llmp/cpp/google_oauth_flow.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>

namespace llmp::plugins::gemini_oauth {

namespace {

// State shared with the host's process callbacks; outlives the wait.
struct CliRun {
  std::mutex* mutex;
  std::condition_variable* cv;
  bool exited = false;
  int32_t exitCode = -1;
  std::string stderrTail;
};

void LLMP_ABI onCliExit(void* ctx, int32_t code, int32_t) {
  auto* run = static_cast<CliRun*>(ctx);
  std::lock_guard<std::mutex> lock(*run->mutex);
  run->exited = true;
  run->exitCode = code;
  run->cv->notify_all();
}

void LLMP_ABI onCliStderr(void* ctx, llmp_bytes data) {
  auto* run = static_cast<CliRun*>(ctx);
  std::lock_guard<std::mutex> lock(*run->mutex);
  run->stderrTail.append(view(data));
  if (run->stderrTail.size() > 2000) {
    run->stderrTail.erase(0, run->stderrTail.size() - 2000);
  }
}

}  // namespace

CredsFileSource::CredsFileSource(Host host, const OAuthConfig& config, std::string path)
    : host_(host), config_(config), path_(std::move(path)) {}

std::string CredsFileSource::describe() const { return "Gemini CLI credentials " + path_; }

std::vector<std::string> CredsFileSource::secrets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {refreshToken_, config_.clientSecret, lastIssued_, refreshedToken_};
}

std::string CredsFileSource::lastIssued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lastIssued_;
}

int64_t CredsFileSource::cliRuns() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cliRuns_;
}

int64_t CredsFileSource::directRefreshes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return directRefreshes_;
}

void CredsFileSource::fileChanged() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++fileGeneration_;
  refreshedToken_.clear();
  refreshedExpiryMs_ = 0;
  cv_.notify_all();
}

bool CredsFileSource::fresh(const CliCreds& c, int64_t nowMs) const {
  if (c.accessToken.empty()) {
    return false;
  }
  return c.expiryMs == 0 || c.expiryMs - nowMs > config_.refreshMarginMs;
}

google::AccessToken CredsFileSource::issue(const std::string& token, int64_t expiryMs,
                                           int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  lastIssued_ = token;
  google::AccessToken out;
  out.token = token;
  out.expiresInMs = expiryMs > 0 ? std::max<int64_t>(1, expiryMs - nowMs) : 0;
  return out;
}

google::AccessToken CredsFileSource::fetch() {
  int64_t now = host_.wallMs();
  CliCreds creds = readCreds(path_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    refreshToken_ = creds.refreshToken;
    if (!refreshedToken_.empty() && refreshedExpiryMs_ > creds.expiryMs) {
      creds.accessToken = refreshedToken_;
      creds.expiryMs = refreshedExpiryMs_;
    }
  }
  if (fresh(creds, now)) {
    return issue(creds.accessToken, creds.expiryMs, now);
  }
  if (!config_.clientId.empty() && !config_.clientSecret.empty() && !creds.refreshToken.empty()) {
    google::OAuthClient client{
        config_.clientId,
        config_.clientSecret,
        config_.tokenUri,
        {config_.timeouts.connectMs, config_.timeouts.firstByteMs, config_.timeouts.idleMs}};
    try {
      google::TokenGrant g =
          google::refreshGrant(google::httpFnFromHost(host_), client, creds.refreshToken);
      int64_t expiry = g.expiresInMs > 0 ? now + g.expiresInMs : 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        refreshedToken_ = g.accessToken;
        refreshedExpiryMs_ = expiry;
        ++directRefreshes_;
      }
      host_.log(LLMP_LOG_INFO, "refreshed the access token of " + path_ + " at the token endpoint");
      return issue(g.accessToken, expiry, now);
    } catch (const google::InvalidGrant& e) {
      throw Error(LLMP_E_AUTH, 401,
                  std::string(e.what()) + " (credentials " + path_ +
                      "; sign in again with the Gemini CLI)");
    }
  }
  return refreshWithCli(creds, now);
}

google::AccessToken CredsFileSource::refreshWithCli(const CliCreds& stale, int64_t nowMs) {
  const llmp_host_api* api = host_.api();
  if (api == nullptr || !LLMP_HOST_HAS(api, process_spawn) ||
      !LLMP_HOST_HAS(api, process_release)) {
    throw Error(LLMP_E_AUTH, 401,
                "the access token in " + path_ +
                    " is expiring and this host cannot run the Gemini CLI to "
                    "refresh it; configure client_id and client_secret");
  }
  host_.log(LLMP_LOG_INFO, "the access token in " + path_ + " is expiring; running " +
                               config_.geminiCliExecutable + " so that it refreshes the file");
  std::vector<const char*> argv{config_.geminiCliExecutable.c_str()};
  for (const auto& a : config_.geminiCliArgs) {
    argv.push_back(a.c_str());
  }
  const char* env[] = {"GEMINI_CLI_NO_RELAUNCH=true", "NO_BROWSER=true"};
  auto run = std::make_unique<CliRun>();
  run->mutex = &mutex_;
  run->cv = &cv_;
  llmp_process_options opts{};
  opts.struct_size = sizeof(opts);
  opts.argv = argv.data();
  opts.argc = argv.size();
  opts.env = env;
  opts.envc = 2;
  opts.ctx = run.get();
  opts.on_stderr = onCliStderr;
  opts.on_exit = onCliExit;
  llmp_process* proc = nullptr;
  ErrorRecord err;
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation = fileGeneration_;
    ++cliRuns_;
  }
  if (api->process_spawn(api, &opts, &proc, err.sink()) != LLMP_OK || proc == nullptr) {
    if (stale.accessToken.empty() || (stale.expiryMs != 0 && stale.expiryMs <= nowMs)) {
      throw Error(LLMP_E_AUTH, 401,
                  "the access token in " + path_ + " expired and the Gemini CLI (" +
                      config_.geminiCliExecutable + ") could not be started: " + err.message +
                      ". Install it, set gemini_cli_executable, or configure client_id and "
                      "client_secret");
    }
    return issue(stale.accessToken, stale.expiryMs, nowMs);
  }
  std::unique_lock<std::mutex> lock(mutex_);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.cliRefreshTimeoutMs);
  // Wait for a rewrite that holds a fresh token, the CLI's exit, or the timeout.
  while (!run->exited) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      break;
    }
    if (fileGeneration_ != generation) {
      generation = fileGeneration_;
      lock.unlock();
      bool ok = false;
      try {
        ok = fresh(readCreds(path_), host_.wallMs());
      } catch (const Error&) {
        // Mid-rewrite: wait for the next change.
      }
      lock.lock();
      if (ok) {
        break;
      }
    }
  }
  bool exited = run->exited;
  int32_t exitCode = run->exitCode;
  std::string tail = run->stderrTail;
  lock.unlock();
  api->process_release(api, proc);  // stops the CLI if it still runs; no callback after this

  int64_t now = host_.wallMs();
  CliCreds after = readCreds(path_);
  {
    std::lock_guard<std::mutex> l(mutex_);
    refreshToken_ = after.refreshToken;
  }
  if (fresh(after, now)) {
    host_.log(LLMP_LOG_INFO, "the Gemini CLI refreshed " + path_);
    return issue(after.accessToken, after.expiryMs, now);
  }
  if (!after.accessToken.empty() && after.expiryMs > now) {
    host_.log(LLMP_LOG_WARN,
              "the Gemini CLI did not refresh " + path_ + "; using the old token until it expires");
    return issue(after.accessToken, after.expiryMs, now);
  }
  std::string why = exited ? "it exited with status " + std::to_string(exitCode)
                           : "it did not finish within " +
                                 std::to_string(config_.cliRefreshTimeoutMs / 1000) + " s";
  throw Error(LLMP_E_AUTH, 401,
              "the access token in " + path_ + " expired and running the Gemini CLI (" +
                  config_.geminiCliExecutable + ") did not refresh it: " + why +
                  ". Run `gemini` once to sign in again, or configure client_id and "
                  "client_secret");
}

PersonalBackend::PersonalBackend(Host host, OAuthConfig config, const EnvFn& env)
    : host_(host), config_(std::move(config)), caller_(host_, config_) {
  path_ = resolveCredsPath(config_.credsPath, env);
  readCreds(path_);  // validates at startup with a clear message
  source_ = std::make_shared<CredsFileSource>(host_, config_, path_);
  Host h = host_;
  tokens_ = std::make_unique<google::TokenCache>(source_, config_.refreshMarginMs,
                                                 [h]() { return h.monotonicMs(); });
  const llmp_host_api* api = host_.api();
  if (api != nullptr && LLMP_HOST_HAS(api, file_watch)) {
    ErrorRecord err;
    if (api->file_watch(api, toBytes(path_), onFileChange, this, &watch_, err.sink()) != LLMP_OK) {
      watch_ = nullptr;
      host_.log(LLMP_LOG_WARN, "cannot watch " + path_ + " (" + err.message +
                                   "); a token the Gemini CLI writes is used at the next refresh");
    }
  }
  host_.log(LLMP_LOG_INFO, "backend '" + config_.instance + "' (" + config_.type +
                               "): Code Assist at " + config_.endpoint + ", credentials " + path_ +
                               (config_.clientId.empty() ? ", refresh through the Gemini CLI"
                                                         : ", refresh at " + config_.tokenUri));
}

PersonalBackend::~PersonalBackend() {
  const llmp_host_api* api = host_.api();
  if (watch_ != nullptr && api != nullptr && LLMP_HOST_HAS(api, file_unwatch)) {
    api->file_unwatch(api, watch_);
  }
}

void LLMP_ABI PersonalBackend::onFileChange(void* ctx, llmp_bytes) {
  auto* self = static_cast<PersonalBackend*>(ctx);
  try {
    self->source_->fileChanged();
    self->tokens_->invalidate(self->source_->lastIssued());
    self->host_.log(LLMP_LOG_INFO, self->path_ + " changed; its token is used from now on");
  } catch (...) {
    // A host thread: nothing may escape.
  }
}

std::vector<std::string> PersonalBackend::secrets() const {
  std::vector<std::string> s = tokens_->secrets();
  return s;
}

code_assist::SetupResult PersonalBackend::ensureSetup() {
  std::lock_guard<std::mutex> lock(setupMutex_);
  if (setup_) {
    return *setup_;
  }
  const bool plan = config_.type == kTypePlan;
  auto result = caller_.setup(
      [this] { return tokens_->get(); }, [this](const std::string& t) { tokens_->invalidate(t); },
      plan ? code_assist::TierPolicy::PaidPlan : code_assist::TierPolicy::FreeTier,
      plan ? config_.projectId : std::string(), secrets());
  if (plan && result.tierId == "free-tier") {
    throw Error(LLMP_E_FORBIDDEN, 403,
                "backend '" + config_.instance +
                    "' (gemini-oauth-plan): this Google account is on the free tier of Gemini "
                    "Code Assist, not a paid plan; use a gemini-oauth-free backend for it");
  }
  caller_.log(LLMP_LOG_INFO,
              "backend '" + config_.instance + "': Code Assist ready, project " + result.project +
                  ", tier " + result.tierId + (result.onboarded ? " (onboarded now)" : ""),
              secrets());
  setup_ = result;
  return result;
}

llmp_status PersonalBackend::generate(const llmp_generate_request& request,
                                      const llmp_event_sink* sink) {
  const bool stream = (request.flags & LLMP_GENERATE_STREAM) != 0;
  code_assist::SetupResult setup = ensureSetup();
  const std::string body = caller_.generateBody(request, setup.project);
  for (int attempt = 0;; ++attempt) {
    std::string token = tokens_->get();
    auto outcome = caller_.generate(token, body, stream, sink, secrets());
    if (outcome.ok()) {
      return LLMP_OK;
    }
    if (outcome.cancelled) {
      return LLMP_E_CANCELLED;
    }
    if (outcome.transport == LLMP_OK && outcome.httpStatus == 401 && attempt == 0 &&
        outcome.emitted == 0) {
      caller_.log(LLMP_LOG_WARN,
                  "Code Assist refused the access token (401); reading " + path_ + " again",
                  secrets());
      tokens_->invalidate(token);
      continue;
    }
    caller_.throwOutcome(outcome, secrets());
  }
}

std::string PersonalBackend::countTokens(const llmp_generate_request& request) {
  ensureSetup();
  std::string token = tokens_->get();
  HttpResponse resp = caller_.countTokens(request, token, secrets());
  if (resp.status == 401) {
    tokens_->invalidate(token);
    resp = caller_.countTokens(request, tokens_->get(), secrets());
  }
  if (resp.status != 200) {
    caller_.throwUpstream(resp.status, resp.body, secrets());
  }
  return caller_.normalizeCount(resp.body);
}

std::string PersonalBackend::listModels() const {
  return caller_.modelList(config_.type == kTypePlan
                               ? "through Gemini Code Assist with your Google plan"
                               : "through Gemini Code Assist, free tier");
}

std::string PersonalBackend::health() const {
  Json out = {{"type", config_.type},
              {"endpoint", config_.endpoint},
              {"credentials", path_},
              {"refresh", config_.clientId.empty() ? "gemini-cli" : "token-endpoint"}};
  {
    std::lock_guard<std::mutex> lock(setupMutex_);
    out["onboarded"] = setup_.has_value();
    if (setup_) {
      out["tier"] = setup_->tierId;
      out["project"] = setup_->project;
    }
  }
  int64_t remaining = tokens_->remainingMs();
  out["tokenValidForSeconds"] = remaining > 0 ? remaining / 1000 : 0;
  out["ok"] = remaining > 0 || tokens_->refreshCount() == 0;
  out["cliRefreshes"] = source_->cliRuns();
  out["directRefreshes"] = source_->directRefreshes();
  return redactSecrets(dumpJson(out), secrets());
}

}  // namespace llmp::plugins::gemini_oauth
