#include "backend.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/code_assist_call.hpp>
#include <llmp/cpp/code_assist_models.hpp>
#include <llmp/cpp/google_errors.hpp>
#include <llmp/cpp/json.hpp>

namespace llmp::plugins::gemini_cloud {

namespace {

constexpr const char* kUserAgent = "llm-proxy gemini-cli-cloud-project";

using code_assist::hostPortOf;

}  // namespace

CloudBackend::CloudBackend(Host host, CloudConfig config, const EnvFn& env)
    : host_(host), config_(std::move(config)) {
  google::AdcOptions adc;
  adc.credentialsFile = config_.credentialsFile;
  adc.metadata = config_.metadata;
  adc.tokenUriOverride = config_.tokenUri;
  adc.getenv = [env](const char* name) -> const char* { return env ? env(name) : nullptr; };
  creds_ = google::discoverAdc(adc);

  google::HttpTimeouts timeouts{config_.timeouts.connectMs, config_.timeouts.firstByteMs,
                                config_.timeouts.idleMs};
  Host h = host_;
  auto wallSeconds = [h]() -> int64_t {
    return h.api() != nullptr && LLMP_HOST_HAS(h.api(), wall_ms) ? h.wallMs() / 1000 : 0;
  };
  std::function<int64_t()> wall;
  if (host_.api() != nullptr && LLMP_HOST_HAS(host_.api(), wall_ms)) {
    wall = wallSeconds;
  }
  auto source = google::makeTokenSource(creds_, google::httpFnFromHost(host_),
                                        google::codeAssistScopes(), timeouts, wall);
  google::TokenCache::Clock mono;
  if (host_.api() != nullptr && LLMP_HOST_HAS(host_.api(), monotonic_ms)) {
    mono = [h]() { return h.monotonicMs(); };
  }
  tokens_ = std::make_unique<google::TokenCache>(std::move(source), config_.refreshMarginMs,
                                                 std::move(mono));
  hostPort_ = hostPortOf(config_.endpoint);
  log(LLMP_LOG_INFO, "backend '" + config_.instance + "': Code Assist at " + config_.endpoint +
                         "/" + config_.apiVersion + ", project " + config_.projectId +
                         ", credentials: " + tokens_->describe());
}

void CloudBackend::log(int32_t level, const std::string& message) const {
  host_.log(level, redactSecrets(message, secrets()));
}

std::vector<std::string> CloudBackend::secrets() const { return tokens_->secrets(); }

HttpRequest CloudBackend::baseRequest(const std::string& method, const std::string& url,
                                      const std::string& token) const {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.headers = {{"Authorization", "Bearer " + token},
                 {"Content-Type", "application/json"},
                 {"User-Agent", kUserAgent}};
  if (!creds_.quotaProjectId.empty()) {
    req.headers.emplace_back("x-goog-user-project", creds_.quotaProjectId);
  }
  req.connectTimeoutMs = config_.timeouts.connectMs;
  req.firstByteTimeoutMs = config_.timeouts.firstByteMs;
  req.idleTimeoutMs = config_.timeouts.idleMs;
  return req;
}

void CloudBackend::throwTransport(llmp_status st, const ErrorRecord& err) const {
  std::string detail = redactSecrets(err.message, secrets());
  if (st == LLMP_E_TIMEOUT) {
    throw Error(LLMP_E_TIMEOUT, 504,
                "Code Assist at " + hostPort_ + " timed out" +
                    (detail.empty() ? std::string() : ": " + detail));
  }
  if (st == LLMP_E_CANCELLED) {
    throw Error(LLMP_E_CANCELLED, 499, "the request was cancelled");
  }
  throw Error(LLMP_E_UNAVAILABLE, 502,
              "could not reach Code Assist at " + hostPort_ +
                  (detail.empty() ? std::string() : ": " + detail));
}

void CloudBackend::throwUpstream(int32_t status, const std::string& body) const {
  MappedError m = mapGoogleHttpError(status, body, "Code Assist", secrets());
  std::string message = m.message;
  if (status == 403) {
    message += ". " + code_assist::projectAdvice(config_.projectId);
  }
  throw Error(m.code, m.httpStatus, message, m.body, m.retryAfterMs);
}

HttpResponse CloudBackend::callBuffered(const std::string& method, const std::string& url,
                                        const std::string& body) {
  for (int attempt = 0;; ++attempt) {
    std::string token = tokens_->get();
    HttpRequest req = baseRequest(method, url, token);
    req.body = body;
    HttpResponse resp;
    ErrorRecord err;
    llmp_status st = host_.fetch(req, &resp, &err);
    if (st != LLMP_OK) {
      throwTransport(st, err);
    }
    if (resp.status == 401 && attempt == 0) {
      // The token was revoked or expired early: fetch a new one once.
      log(LLMP_LOG_WARN, "Code Assist refused the access token (401); fetching a new one");
      tokens_->invalidate(token);
      continue;
    }
    return resp;
  }
}

code_assist::SetupResult CloudBackend::ensureSetup() {
  std::unique_lock<std::mutex> lock(setupMutex_);
  while (!setup_ && setupRunning_) {
    uint64_t gen = setupGeneration_;
    setupCv_.wait(lock, [&] { return setupGeneration_ != gen; });
    if (!setup_ && setupError_ != nullptr) {
      std::rethrow_exception(setupError_);
    }
  }
  if (setup_) {
    return *setup_;
  }
  setupRunning_ = true;
  lock.unlock();
  std::exception_ptr error;
  code_assist::SetupResult result;
  try {
    code_assist::SetupOptions opts;
    opts.project = config_.projectId;
    opts.policy = code_assist::TierPolicy::UserProject;
    opts.pollIntervalMs = config_.onboardPollIntervalMs;
    opts.maxPolls = config_.onboardMaxPolls;
    opts.log = [this](int32_t level, std::string_view m) { log(level, std::string(m)); };
    auto call = [this](const std::string& method, const std::string& url,
                       const std::string& body) { return callBuffered(method, url, body); };
    result = code_assist::setupUser(call, config_.endpoint, config_.apiVersion, opts);
    log(LLMP_LOG_INFO, "backend '" + config_.instance + "': Code Assist ready, project " +
                           result.project + ", tier " + result.tierId +
                           (result.onboarded ? " (onboarded now)" : ""));
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  setupRunning_ = false;
  ++setupGeneration_;
  setupError_ = error;
  if (error == nullptr) {
    setup_ = result;
  }
  setupCv_.notify_all();
  if (error != nullptr) {
    std::rethrow_exception(error);
  }
  return result;
}

llmp_status CloudBackend::generate(const llmp_generate_request& request,
                                   const llmp_event_sink* sink) {
  const bool stream = (request.flags & LLMP_GENERATE_STREAM) != 0;
  std::string model = code_assist::bareModel(view(request.model));
  code_assist::SetupResult setup = ensureSetup();

  code_assist::Envelope env;
  env.model = model;
  env.project = setup.project;
  env.userPromptId = code_assist::newUserPromptId();
  env.sessionId = request.session_id.len > 0 ? str(request.session_id) : code_assist::newUuid();
  const std::string body = code_assist::wrapGenerateRequest(view(request.ir), env);
  const std::string url =
      code_assist::methodUrl(config_.endpoint, config_.apiVersion,
                             stream ? "streamGenerateContent" : "generateContent") +
      (stream ? "?alt=sse" : "");

  for (int attempt = 0;; ++attempt) {
    std::string token = tokens_->get();
    HttpRequest req = baseRequest("POST", url, token);
    req.bodyView = body;  // outlives the call: no copy of the prompt
    if (stream) {
      req.headers.emplace_back("Accept", "text/event-stream");
    }
    // gemini-cli logs and skips malformed chunks; so do we.
    code_assist::GenerateOutcome o = code_assist::runGenerate(
        host_, std::move(req), stream, sink, secrets(),
        [this](std::string_view m) { log(LLMP_LOG_WARN, std::string(m)); });
    if (o.cancelled) {
      return LLMP_E_CANCELLED;
    }
    if (o.streamError) {
      throw *o.streamError;
    }
    if (o.transport != LLMP_OK) {
      if (o.transport == LLMP_E_CANCELLED) {
        return LLMP_E_CANCELLED;
      }
      ErrorRecord err = o.transportError;
      if (o.emitted > 0) {
        err.message = "the stream broke off after " + std::to_string(o.emitted) + " chunks" +
                      (err.message.empty() ? "" : ": " + err.message);
      }
      throwTransport(o.transport, err);
    }
    if (o.httpStatus == 401 && attempt == 0 && o.emitted == 0) {
      log(LLMP_LOG_WARN, "Code Assist refused the access token (401); fetching a new one");
      tokens_->invalidate(token);
      continue;
    }
    if (o.httpStatus != 200) {
      throwUpstream(o.httpStatus, o.errorBody);
    }
    if (o.malformed) {
      throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                  "Code Assist answered generateContent with a body that is not a JSON object");
    }
    if (o.emitted == 0) {
      throw Error(LLMP_E_UPSTREAM_HTTP, 502, "Code Assist ended the stream without a response");
    }
    return LLMP_OK;
  }
}

std::string CloudBackend::countTokens(const llmp_generate_request& request) {
  std::string model = code_assist::bareModel(view(request.model));
  std::string body = code_assist::wrapCountTokensRequest(view(request.ir), model);
  HttpResponse resp = callBuffered(
      "POST", code_assist::methodUrl(config_.endpoint, config_.apiVersion, "countTokens"), body);
  if (resp.status != 200) {
    throwUpstream(resp.status, resp.body);
  }
  auto doc = parseJson(resp.body);
  if (!doc || !doc->is_object()) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                "Code Assist answered countTokens with a body that is not a JSON object");
  }
  if (!doc->contains("totalTokens")) {
    (*doc)["totalTokens"] = 0;  // gemini-cli reads a missing count as 0
  }
  return dumpJson(*doc);
}

std::string CloudBackend::listModels() const {
  return code_assist::modelListJson(
      config_.models, "through Gemini Code Assist, billed to your Google Cloud project");
}

std::string CloudBackend::health() const {
  Json out = {{"type", kBackendType},
              {"project", config_.projectId},
              {"endpoint", config_.endpoint},
              {"credentials", std::string(google::credentialKindName(creds_.kind))},
              {"credentialsSource", tokens_->describe()}};
  {
    std::lock_guard<std::mutex> lock(setupMutex_);
    out["onboarded"] = setup_.has_value();
    if (setup_) {
      out["tier"] = setup_->tierId;
    }
  }
  int64_t remaining = tokens_->remainingMs();
  out["tokenValidForSeconds"] = remaining > 0 ? remaining / 1000 : 0;
  out["ok"] = remaining > 0 || tokens_->refreshCount() == 0;
  return redactSecrets(dumpJson(out), secrets());
}

}  // namespace llmp::plugins::gemini_cloud
