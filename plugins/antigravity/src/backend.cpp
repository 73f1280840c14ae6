#include "backend.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/google_errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>
#include <llmp/cpp/sse.hpp>

#include <openssl/sha.h>

#include <chrono>
#include <thread>

#include "request.hpp"

namespace llmp::plugins::antigravity {

namespace {

constexpr size_t kMaxErrorBody = 1 << 20;
constexpr int64_t kThinkingTtlMs = 24LL * 3600 * 1000;

using code_assist::hostPortOf;

std::string sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// The project in a loadCodeAssist / onboardUser answer: a string, or an object with "id".
std::string projectOf(const Json& doc) {
  for (const char* key : {"cloudaicompanionProject", "projectId", "project"}) {
    auto it = doc.find(key);
    if (it == doc.end()) {
      continue;
    }
    if (it->is_string() && !it->get_ref<const std::string&>().empty()) {
      return it->get<std::string>();
    }
    if (it->is_object()) {
      auto id = it->find("id");
      if (id != it->end() && id->is_string() && !id->get_ref<const std::string&>().empty()) {
        return id->get<std::string>();
      }
    }
  }
  return {};
}

std::string frontendOf(const llmp_generate_request& request) {
  if (request.metadata.len == 0) {
    return {};
  }
  auto doc = parseJson(view(request.metadata));
  if (!doc || !doc->is_object()) {
    return {};
  }
  return doc->value("frontend", std::string());
}

}  // namespace

AntigravityBackend::AntigravityBackend(Host host, AntigravityConfig config)
    : host_(host), config_(std::move(config)) {
  Host h = host_;
  StoreTokenSource::WallClock wall;
  if (host_.api() != nullptr && LLMP_HOST_HAS(host_.api(), wall_ms)) {
    wall = [h]() { return h.wallMs(); };
  }
  source_ = std::make_shared<StoreTokenSource>(config_, google::httpFnFromHost(host_), wall);
  google::TokenCache::Clock mono;
  if (host_.api() != nullptr && LLMP_HOST_HAS(host_.api(), monotonic_ms)) {
    mono = [h]() { return h.monotonicMs(); };
  }
  tokens_ = std::make_unique<google::TokenCache>(source_, config_.refreshMarginMs, std::move(mono));
  project_ = config_.projectId;
  std::string hosts;
  for (const auto& u : config_.hosts) {
    hosts += (hosts.empty() ? "" : " -> ") + u;
  }
  log(LLMP_LOG_INFO, "backend '" + config_.instance + "' (" + kBackendType + "): hosts " + hosts +
                         ", token from " + source_->describe() +
                         (config_.clientId.empty() ? " (no OAuth client configured: no refresh)"
                                                   : ""));
}

void AntigravityBackend::log(int32_t level, const std::string& message) const {
  host_.log(level, redactSecrets(message, secrets()));
}

std::vector<std::string> AntigravityBackend::secrets() const { return tokens_->secrets(); }

void AntigravityBackend::throwUpstream(int32_t status, const std::string& body,
                                       const std::string& host) const {
  MappedError m = mapGoogleHttpError(status, body, "Antigravity (" + hostPortOf(host) + ")",
                                     secrets());
  std::string message = m.message;
  if (status == 401) {
    message += ". The access token from " + source_->describe() +
               " was refused; open the Antigravity app so it signs in again";
  }
  throw Error(m.code, m.httpStatus, message, m.body, m.retryAfterMs);
}

AntigravityBackend::Reply AntigravityBackend::post(const std::string& method,
                                                   const std::string& body,
                                                   const ChunkFn& onEvent, int* emitted,
                                                   bool* cancelled) {
  const bool stream = static_cast<bool>(onEvent);
  Reply last;
  ErrorRecord lastTransport;
  llmp_status lastTransportStatus = LLMP_OK;
  bool refreshedAfter401 = false;
  for (size_t i = 0; i < config_.hosts.size(); ++i) {
    const std::string& base = config_.hosts[i];
    std::string token = tokens_->get();
    HttpRequest req;
    req.method = "POST";
    req.url = base + "/" + config_.apiVersion + ":" + method;
    req.headers = {{"Authorization", "Bearer " + token},
                   {"Content-Type", "application/json"},
                   {"Accept", stream ? "text/event-stream" : "application/json"},
                   {"User-Agent", config_.userAgent}};
    req.body = body;
    req.connectTimeoutMs = config_.timeouts.connectMs;
    req.firstByteTimeoutMs = config_.timeouts.firstByteMs;
    req.idleTimeoutMs = config_.timeouts.idleMs;
    if (stream) {
      req.flags |= LLMP_HTTP_BODY_ON_IO_THREAD;  // on_body only parses and emits
    }

    Reply reply;
    reply.host = base;
    SseParser parser;
    ErrorRecord err;
    int before = emitted != nullptr ? *emitted : 0;
    llmp_status st = host_.fetch(
        req,
        [&](int32_t s, const llmp_header*, size_t) {
          reply.status = s;
          return true;
        },
        [&](std::string_view chunk) {
          if (stream && reply.status == 200) {
            return parser.feed(chunk, [&](std::string_view, std::string_view data) {
              return onEvent(data);
            });
          }
          if (reply.body.size() < kMaxErrorBody || reply.status == 200) {
            reply.body.append(chunk);
          }
          return true;
        },
        &err);
    if (cancelled != nullptr && *cancelled) {
      return reply;
    }
    if (st == LLMP_OK && stream && reply.status == 200) {
      parser.finish([&](std::string_view, std::string_view data) { return onEvent(data); });
    }
    const bool nothingSent = emitted == nullptr || *emitted == before;
    if (st != LLMP_OK) {
      if (st == LLMP_E_CANCELLED) {
        throw Error(LLMP_E_CANCELLED, 499, "the request was cancelled");
      }
      if (!nothingSent) {
        throw Error(LLMP_E_UNAVAILABLE, 502,
                    "the Antigravity stream from " + hostPortOf(base) + " broke off: " +
                        redactSecrets(err.message, secrets()));
      }
      lastTransport = err;
      lastTransportStatus = st;
      last = Reply{};
      last.host = base;
      log(LLMP_LOG_WARN, "Antigravity host " + hostPortOf(base) + " unreachable (" +
                             redactSecrets(err.message, secrets()) + ")" +
                             (i + 1 < config_.hosts.size() ? "; trying the next host" : ""));
      continue;
    }
    if (reply.status == 401 && !refreshedAfter401) {
      refreshedAfter401 = true;
      log(LLMP_LOG_WARN, "Antigravity refused the access token (401); reading a new one");
      tokens_->invalidate(token);
      --i;  // same host again
      continue;
    }
    if (reply.status == 429) {
      log(LLMP_LOG_WARN, "Antigravity host " + hostPortOf(base) + " answered 429" +
                             (i + 1 < config_.hosts.size() ? "; trying the next host" : ""));
      last = std::move(reply);
      lastTransportStatus = LLMP_OK;
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      lastHost_ = base;
    }
    return reply;
  }
  if (last.status != 0) {
    return last;  // every host answered 429: the caller maps the last one
  }
  std::string detail = redactSecrets(lastTransport.message, secrets());
  if (lastTransportStatus == LLMP_E_TIMEOUT) {
    throw Error(LLMP_E_TIMEOUT, 504,
                "Antigravity timed out on every host" + (detail.empty() ? "" : ": " + detail));
  }
  throw Error(LLMP_E_UNAVAILABLE, 502,
              "could not reach Antigravity on any host" + (detail.empty() ? "" : ": " + detail));
}

std::string AntigravityBackend::ensureProject() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!project_.empty()) {
      return project_;
    }
  }
  std::lock_guard<std::mutex> setup(setupMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!project_.empty()) {
      return project_;
    }
  }
  const Json metadata = {
      {"ideType", "ANTIGRAVITY"}, {"platform", "PLATFORM_UNSPECIFIED"}, {"pluginType", "GEMINI"}};
  Reply load = post("loadCodeAssist", dumpJson(Json{{"metadata", metadata}}), {}, nullptr, nullptr);
  if (load.status != 200) {
    throwUpstream(load.status, load.body, load.host);
  }
  auto doc = parseJson(load.body);
  if (!doc || !doc->is_object()) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502, "Antigravity answered loadCodeAssist with no JSON object");
  }
  std::string project = projectOf(*doc);
  if (project.empty()) {
    // Not onboarded yet: the default allowed tier, else the current one, else free-tier.
    std::string tier;
    if (auto allowed = doc->find("allowedTiers"); allowed != doc->end() && allowed->is_array()) {
      for (const auto& t : *allowed) {
        if (t.is_object() && t.value("isDefault", false)) {
          tier = t.value("id", std::string());
        }
      }
    }
    if (tier.empty()) {
      if (auto current = doc->find("currentTier"); current != doc->end() && current->is_object()) {
        tier = current->value("id", std::string());
      }
    }
    if (tier.empty()) {
      tier = "free-tier";
    }
    std::string body = dumpJson(Json{{"tierId", tier}, {"metadata", metadata}});
    for (int attempt = 0; attempt < config_.onboardAttempts && project.empty(); ++attempt) {
      if (attempt > 0 && config_.onboardIntervalMs > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(config_.onboardIntervalMs));
      }
      Reply onboard = post("onboardUser", body, {}, nullptr, nullptr);
      if (onboard.status != 200) {
        throwUpstream(onboard.status, onboard.body, onboard.host);
      }
      auto lro = parseJson(onboard.body);
      if (lro && lro->is_object() && lro->value("done", false)) {
        auto response = lro->find("response");
        if (response != lro->end() && response->is_object()) {
          project = projectOf(*response);
        }
        if (project.empty()) {
          break;
        }
      }
    }
    if (project.empty()) {
      throw Error(LLMP_E_FORBIDDEN, 403,
                  "Antigravity gave this account no Code Assist project (tier " + tier +
                      "); sign in to the Antigravity app once so it onboards the account, or "
                      "set project_id");
    }
    log(LLMP_LOG_INFO, "backend '" + config_.instance + "': onboarded to tier " + tier);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  project_ = project;
  log(LLMP_LOG_INFO, "backend '" + config_.instance + "': Antigravity project " + project);
  return project_;
}

std::vector<std::string> AntigravityBackend::knownModels() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fetchedModels_.empty()) {
    return config_.models.empty() ? defaultModels() : config_.models;
  }
  std::vector<std::string> ids;
  for (const auto& m : fetchedModels_) {
    ids.push_back(m.id);
  }
  return ids;
}

std::optional<std::string> AntigravityBackend::recallThinking(const std::string& signature) const {
  if (host_.api() == nullptr || !LLMP_HOST_HAS(host_.api(), kv_get)) {
    return std::nullopt;
  }
  return host_.kvGet("antigravity:thinking:" + sha256Hex(signature));
}

void AntigravityBackend::rememberThinking(const std::string& signature,
                                          const std::string& text) const {
  if (text.empty() || host_.api() == nullptr || !LLMP_HOST_HAS(host_.api(), kv_set)) {
    return;
  }
  host_.kvSet("antigravity:thinking:" + sha256Hex(signature), text, kThinkingTtlMs);
}

llmp_status AntigravityBackend::generate(const llmp_generate_request& request,
                                         const llmp_event_sink* sink) {
  const bool stream = (request.flags & LLMP_GENERATE_STREAM) != 0;
  auto ir = parseJson(view(request.ir));
  if (!ir || !ir->is_object()) {
    throw Error(LLMP_E_INVALID, 400, "the request is not a JSON object");
  }
  ModelChoice model = resolveModel(view(request.model), thinkingRequested(*ir),
                                   config_.modelAliases, knownModels());
  std::string project = ensureProject();

  BodyOptions opts;
  opts.model = model.upstream;
  opts.claude = model.claude;
  opts.thinkingModel = model.thinking;
  opts.project = project;
  opts.requestId = newRequestId();
  opts.sessionId = sessionIdFor(view(request.session_id), *ir);
  opts.defaultThinkingBudget = config_.thinkingBudget;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& m : fetchedModels_) {
      if (m.id == model.upstream) {
        opts.maxOutputTokens = m.outputTokenLimit;
      }
    }
  }
  opts.thinkingFor = [this](const std::string& sig) { return recallThinking(sig); };
  const std::string body = buildGenerateBody(view(request.ir), opts);

  // Anthropic clients get signatures on thinking blocks; the others keep them on tool calls.
  ThoughtTracker tracker(frontendOf(request) != "anthropic",
                         [this](const std::string& sig, const std::string& text) {
                           rememberThinking(sig, text);
                         });
  int emitted = 0;
  bool cancelled = false;
  std::optional<Error> streamError;
  auto onEvent = [&](std::string_view data) -> bool {
    code_assist::Unwrapped u = code_assist::unwrapResponse(data);
    if (u.kind == code_assist::Unwrapped::Response) {
      if (emit(sink, LLMP_EVENT_CHUNK, tracker.process(u.json)) != LLMP_OK) {
        cancelled = true;
        return false;
      }
      ++emitted;
      return true;
    }
    if (u.kind == code_assist::Unwrapped::Error) {
      GoogleError ge = parseGoogleError(u.json);
      int32_t code = ge.code >= 400 && ge.code <= 599 ? ge.code : 500;
      MappedError m = mapGoogleHttpError(code, u.json, "Antigravity", secrets());
      streamError.emplace(m.code, m.httpStatus, m.message + " (mid-stream)", m.body,
                          m.retryAfterMs);
      return false;
    }
    log(LLMP_LOG_WARN, "Antigravity sent a stream event that is not a JSON object; skipped");
    return true;
  };

  Reply reply = post(stream ? "streamGenerateContent?alt=sse" : "generateContent", body,
                     stream ? ChunkFn(onEvent) : ChunkFn(), &emitted, &cancelled);
  if (cancelled) {
    return LLMP_E_CANCELLED;
  }
  if (streamError) {
    throw *streamError;
  }
  if (reply.status != 200) {
    throwUpstream(reply.status, reply.body, reply.host);
  }
  if (stream) {
    if (emitted == 0) {
      throw Error(LLMP_E_UPSTREAM_HTTP, 502, "Antigravity ended the stream without a response");
    }
    return LLMP_OK;
  }
  code_assist::Unwrapped u = code_assist::unwrapResponse(reply.body);
  if (u.kind == code_assist::Unwrapped::Error) {
    GoogleError ge = parseGoogleError(u.json);
    throwUpstream(ge.code >= 400 && ge.code <= 599 ? ge.code : 500, u.json, reply.host);
  }
  if (u.kind != code_assist::Unwrapped::Response) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                "Antigravity answered generateContent with a body that is not a JSON object");
  }
  return emit(sink, LLMP_EVENT_CHUNK, tracker.process(u.json)) == LLMP_OK ? LLMP_OK
                                                                          : LLMP_E_CANCELLED;
}

std::string AntigravityBackend::countTokens(const llmp_generate_request& request) {
  auto ir = parseJson(view(request.ir));
  bool thinking = ir && ir->is_object() && thinkingRequested(*ir);
  ModelChoice model =
      resolveModel(view(request.model), thinking, config_.modelAliases, knownModels());
  std::string body = code_assist::wrapCountTokensRequest(view(request.ir), model.upstream);
  Reply reply = post("countTokens", body, {}, nullptr, nullptr);
  if (reply.status != 200) {
    throwUpstream(reply.status, reply.body, reply.host);
  }
  auto doc = parseJson(reply.body);
  if (!doc || !doc->is_object()) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                "Antigravity answered countTokens with a body that is not a JSON object");
  }
  if (!doc->contains("totalTokens")) {
    (*doc)["totalTokens"] = 0;
  }
  return dumpJson(*doc);
}

std::string AntigravityBackend::listModels() {
  int64_t now = host_.api() != nullptr && LLMP_HOST_HAS(host_.api(), monotonic_ms)
                    ? host_.monotonicMs()
                    : 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!fetchedModels_.empty() && modelsFetchedAtMs_ >= 0 &&
        now - modelsFetchedAtMs_ < config_.modelListTtlMs) {
      return modelListJson(fetchedModels_);
    }
  }
  try {
    std::string project;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      project = project_;
    }
    Json body = project.empty() ? Json::object() : Json{{"project", project}};
    Reply reply = post("fetchAvailableModels", dumpJson(body), {}, nullptr, nullptr);
    if (reply.status == 200) {
      auto models = parseAvailableModels(reply.body);
      if (!models.empty()) {
        std::lock_guard<std::mutex> lock(mutex_);
        fetchedModels_ = models;
        modelsFetchedAtMs_ = now;
        return modelListJson(models);
      }
      log(LLMP_LOG_WARN, "Antigravity fetchAvailableModels listed no models; using the static list");
    } else {
      log(LLMP_LOG_WARN, "Antigravity fetchAvailableModels answered HTTP " +
                             std::to_string(reply.status) + "; using the static list");
    }
  } catch (const Error& e) {
    log(LLMP_LOG_WARN, std::string("Antigravity model list unavailable (") + e.what() +
                           "); using the static list");
  }
  return modelListJson(staticModels(config_.models.empty() ? defaultModels() : config_.models));
}

std::string AntigravityBackend::health() const {
  Json out = {{"type", kBackendType}, {"tokenSource", source_->describe()}};
  Json hosts = Json::array();
  for (const auto& h : config_.hosts) {
    hosts.push_back(h);
  }
  out["hosts"] = hosts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    out["project"] = project_;
    out["lastHost"] = lastHost_;
    out["modelsFetched"] = !fetchedModels_.empty();
  }
  out["canRefresh"] = !config_.clientId.empty() && !config_.clientSecret.empty();
  int64_t remaining = tokens_->remainingMs();
  out["tokenValidForSeconds"] = remaining > 0 ? remaining / 1000 : 0;
  out["ok"] = remaining > 0 || tokens_->refreshCount() == 0;
  return redactSecrets(dumpJson(out), secrets());
}

}  // namespace llmp::plugins::antigravity
