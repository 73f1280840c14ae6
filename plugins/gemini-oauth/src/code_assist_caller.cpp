#include "code_assist_caller.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/code_assist_models.hpp>
#include <llmp/cpp/google_errors.hpp>
#include <llmp/cpp/json.hpp>

namespace llmp::plugins::gemini_oauth {

namespace {
constexpr const char* kUserAgent = "llm-proxy gemini-oauth";

using code_assist::hostPortOf;
}  // namespace

void CodeAssistCaller::log(int32_t level, const std::string& message,
                           const std::vector<std::string>& secrets) const {
  host_.log(level, redactSecrets(message, secrets));
}

HttpRequest CodeAssistCaller::request(const std::string& method, const std::string& url,
                                      const std::string& token) const {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.headers = {{"Authorization", "Bearer " + token},
                 {"Content-Type", "application/json"},
                 {"User-Agent", kUserAgent}};
  req.connectTimeoutMs = config_.timeouts.connectMs;
  req.firstByteTimeoutMs = config_.timeouts.firstByteMs;
  req.idleTimeoutMs = config_.timeouts.idleMs;
  return req;
}

std::string CodeAssistCaller::generateBody(const llmp_generate_request& request,
                                           const std::string& project) const {
  code_assist::Envelope env;
  env.model = code_assist::bareModel(view(request.model));
  env.project = project;
  env.userPromptId = code_assist::newUserPromptId();
  env.sessionId = request.session_id.len > 0 ? str(request.session_id) : code_assist::newUuid();
  return code_assist::wrapGenerateRequest(view(request.ir), env);
}

std::string CodeAssistCaller::generateUrl(bool stream) const {
  return code_assist::methodUrl(config_.endpoint, config_.apiVersion,
                                stream ? "streamGenerateContent" : "generateContent") +
         (stream ? "?alt=sse" : "");
}

code_assist::GenerateOutcome CodeAssistCaller::generate(
    const std::string& token, const std::string& body, bool stream, const llmp_event_sink* sink,
    const std::vector<std::string>& secrets) const {
  HttpRequest req = request("POST", generateUrl(stream), token);
  req.bodyView = body;  // outlives the call: no copy of the prompt
  if (stream) {
    req.headers.emplace_back("Accept", "text/event-stream");
  }
  return code_assist::runGenerate(host_, std::move(req), stream, sink, secrets, [&](std::string_view m) {
    log(LLMP_LOG_WARN, std::string(m), secrets);
  });
}

void CodeAssistCaller::throwUpstream(int32_t status, const std::string& body,
                                     const std::vector<std::string>& secrets) const {
  MappedError m = mapGoogleHttpError(status, body, "Code Assist", secrets);
  throw Error(m.code, m.httpStatus, m.message, m.body, m.retryAfterMs);
}

void CodeAssistCaller::throwOutcome(const code_assist::GenerateOutcome& o,
                                    const std::vector<std::string>& secrets) const {
  if (o.cancelled) {
    throw Error(LLMP_E_CANCELLED, 499, "the client went away");
  }
  if (o.streamError) {
    throw *o.streamError;
  }
  std::string hp = hostPortOf(config_.endpoint);
  if (o.transport != LLMP_OK) {
    std::string detail = redactSecrets(o.transportError.message, secrets);
    if (o.emitted > 0) {
      detail = "the stream broke off after " + std::to_string(o.emitted) + " chunks" +
               (detail.empty() ? "" : ": " + detail);
    }
    if (o.transport == LLMP_E_TIMEOUT) {
      throw Error(LLMP_E_TIMEOUT, 504, "Code Assist at " + hp + " timed out: " + detail);
    }
    if (o.transport == LLMP_E_CANCELLED) {
      throw Error(LLMP_E_CANCELLED, 499, "the request was cancelled");
    }
    throw Error(LLMP_E_UNAVAILABLE, 502, "could not reach Code Assist at " + hp + ": " + detail);
  }
  if (o.httpStatus != 200) {
    throwUpstream(o.httpStatus, o.errorBody, secrets);
  }
  if (o.malformed) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                "Code Assist answered generateContent with a body that is not a JSON object");
  }
  throw Error(LLMP_E_UPSTREAM_HTTP, 502, "Code Assist ended the stream without a response");
}

HttpResponse CodeAssistCaller::call(const std::string& method, const std::string& url,
                                    const std::string& body, const std::string& token,
                                    const std::vector<std::string>& secrets) const {
  HttpRequest req = request(method, url, token);
  req.body = body;
  HttpResponse resp;
  ErrorRecord err;
  llmp_status st = host_.fetch(req, &resp, &err);
  if (st != LLMP_OK) {
    std::string hp = hostPortOf(config_.endpoint);
    std::string detail = redactSecrets(err.message, secrets);
    if (st == LLMP_E_TIMEOUT) {
      throw Error(LLMP_E_TIMEOUT, 504, "Code Assist at " + hp + " timed out: " + detail);
    }
    throw Error(LLMP_E_UNAVAILABLE, 502, "could not reach Code Assist at " + hp + ": " + detail);
  }
  return resp;
}

code_assist::SetupResult CodeAssistCaller::setup(
    const std::function<std::string()>& token,
    const std::function<void(const std::string&)>& invalidate, code_assist::TierPolicy policy,
    const std::string& project, const std::vector<std::string>& secrets) const {
  code_assist::SetupOptions opts;
  opts.project = project;
  opts.policy = policy;
  opts.pollIntervalMs = config_.onboardPollIntervalMs;
  opts.maxPolls = config_.onboardMaxPolls;
  opts.log = [&](int32_t level, std::string_view m) { log(level, std::string(m), secrets); };
  auto fn = [&](const std::string& method, const std::string& url, const std::string& body) {
    std::string t = token();
    HttpResponse resp = call(method, url, body, t, secrets);
    if (resp.status == 401 && invalidate) {
      invalidate(t);
      resp = call(method, url, body, token(), secrets);
    }
    return resp;
  };
  return code_assist::setupUser(fn, config_.endpoint, config_.apiVersion, opts);
}

HttpResponse CodeAssistCaller::countTokens(const llmp_generate_request& request,
                                           const std::string& token,
                                           const std::vector<std::string>& secrets) const {
  std::string model = code_assist::bareModel(view(request.model));
  std::string body = code_assist::wrapCountTokensRequest(view(request.ir), model);
  return call("POST", code_assist::methodUrl(config_.endpoint, config_.apiVersion, "countTokens"),
              body, token, secrets);
}

std::string CodeAssistCaller::normalizeCount(const std::string& body) const {
  auto doc = parseJson(body);
  if (!doc || !doc->is_object()) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                "Code Assist answered countTokens with a body that is not a JSON object");
  }
  if (!doc->contains("totalTokens")) {
    (*doc)["totalTokens"] = 0;  // gemini-cli reads a missing count as 0
  }
  return dumpJson(*doc);
}

std::string CodeAssistCaller::modelList(const std::string& description) const {
  return code_assist::modelListJson(config_.models, description);
}

}  // namespace llmp::plugins::gemini_oauth
