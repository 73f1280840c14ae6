#include "fake_code_assist.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

namespace llmp::fakes::code_assist {

using Json = nlohmann::json;

namespace {

std::string lastUserText(const Json& request) {
  std::string text;
  auto contents = request.find("contents");
  if (contents == request.end() || !contents->is_array()) {
    return text;
  }
  for (const auto& c : *contents) {
    if (!c.is_object() || c.value("role", "user") != "user") {
      continue;
    }
    auto parts = c.find("parts");
    if (parts == c.end() || !parts->is_array()) {
      continue;
    }
    std::string t;
    for (const auto& p : *parts) {
      if (p.is_object() && p.contains("text") && p["text"].is_string()) {
        t += p["text"].get<std::string>();
      }
    }
    if (!t.empty()) {
      text = t;
    }
  }
  return text;
}

}  // namespace

struct FakeCodeAssist::State {
  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  Options options;
  bool onboarded = false;
  std::string onboardedProject;
  std::map<std::string, int> operations;  // name -> polls so far
  std::vector<Recorded> recorded;
  std::vector<Failure> failures;
  std::set<std::string> validTokens;
  std::vector<std::string> issued;
  std::string lastTokenError;
  int holdAfter = -1;
  uint64_t releases = 0;
  uint64_t releasesUsed = 0;
  int chunksSent = 0;
  bool stopping = false;
  int counter = 0;

  bool takeFailure(const std::string& method, Failure* out) {
    for (auto it = failures.begin(); it != failures.end(); ++it) {
      if (it->method == method) {
        *out = *it;
        if (--it->times <= 0) {
          failures.erase(it);
        }
        return true;
      }
    }
    return false;
  }
};

namespace {

using State = FakeCodeAssist::State;

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<State> s) : s_(std::move(s)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    Recorded rec;
    static_cast<RecordedRequest&>(rec) = readRequest(req);
    rec.kind = kindOf(rec);
    if (rec.path.rfind("/__fake/", 0) == 0) {
      control(rec, resp);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      s_->recorded.push_back(rec);
    }
    try {
      route(rec, resp);
    } catch (const std::exception& e) {
      if (!resp.sent()) {
        sendJson(resp, 500, googleError(500, std::string("fake failure: ") + e.what(), "", ""));
      }
    }
  }

 private:
  static std::string kindOf(const Recorded& rec) {
    if (rec.path == "/token") {
      return "token";
    }
    if (rec.path == "/computeMetadata/v1/instance/service-accounts/default/token") {
      return "metadata";
    }
    size_t colon = rec.path.find(':');
    if (colon != std::string::npos && rec.path.find('/', 1) == std::string::npos) {
      return rec.path.substr(colon + 1);
    }
    if (rec.path.find("/operations/") != std::string::npos) {
      return "operation";
    }
    return "";
  }

  static void sendJson(Poco::Net::HTTPServerResponse& resp, int status, const Json& body,
                       const HeaderPairs& extra = {}) {
    std::string text = body.dump();
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/json; charset=UTF-8");
    for (const auto& [k, v] : extra) {
      resp.set(k, v);
    }
    resp.sendBuffer(text.data(), text.size());
  }

  void control(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    std::unique_lock<std::mutex> lock(s_->mutex);
    if (rec.path == "/__fake/requests") {
      Json arr = Json::array();
      for (const auto& r : s_->recorded) {
        Json headers = Json::object();
        for (const auto& [k, v] : r.headers) {
          headers[k] = v;
        }
        arr.push_back({{"method", r.method},
                       {"path", r.path},
                       {"query", r.query},
                       {"kind", r.kind},
                       {"headers", headers},
                       {"body", r.body}});
      }
      lock.unlock();
      sendJson(resp, 200, arr);
      return;
    }
    if (rec.path == "/__fake/reset") {
      s_->recorded.clear();
      s_->failures.clear();
      s_->lastTokenError.clear();
      lock.unlock();
      sendJson(resp, 200, Json::object());
      return;
    }
    if (rec.path == "/__fake/fail") {
      Json j = Json::parse(rec.body, nullptr, false);
      if (j.is_object()) {
        Failure f;
        f.method = j.value("method", "generateContent");
        f.status = j.value("status", 500);
        f.message = j.value("message", "fake failure");
        f.retryDelay = j.value("retryDelay", "");
        f.reason = j.value("reason", "");
        f.times = j.value("times", 1);
        f.afterChunks = j.value("afterChunks", -1);
        s_->failures.push_back(f);
      }
      lock.unlock();
      sendJson(resp, 200, Json::object());
      return;
    }
    lock.unlock();
    sendJson(resp, 404, googleError(404, "unknown control endpoint", "", ""));
  }

  bool authorized(const Recorded& rec) {
    std::string auth = rec.header("Authorization");
    if (auth.size() <= 7 || !iequals(auth.substr(0, 7), "Bearer ")) {
      return false;
    }
    std::string token = auth.substr(7);
    std::lock_guard<std::mutex> lock(s_->mutex);
    return s_->options.acceptAnyToken || s_->validTokens.count(token) > 0;
  }

  void route(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    if (rec.kind == "token") {
      return token(rec, resp);
    }
    if (rec.kind == "metadata") {
      return metadata(rec, resp);
    }
    if (rec.kind.empty()) {
      return sendJson(resp, 404, googleError(404, "no such method: " + rec.path, "", ""));
    }
    Failure f;
    bool failing;
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      failing = s_->takeFailure(rec.kind, &f);
    }
    if (failing && f.afterChunks < 0) {
      return sendJson(resp, f.status, googleError(f.status, f.message, f.retryDelay, f.reason));
    }
    if (!authorized(rec)) {
      return sendJson(resp, 401,
                      googleError(401,
                                  "Request had invalid authentication credentials. Expected "
                                  "OAuth 2 access token.",
                                  "", ""));
    }
    Json body;
    if (rec.method == "POST") {
      body = Json::parse(rec.body, nullptr, false);
      if (!body.is_object()) {
        return sendJson(resp, 400, googleError(400, "Invalid JSON payload received.", "", ""));
      }
    }
    if (rec.kind == "loadCodeAssist") {
      return loadCodeAssist(body, resp);
    }
    if (rec.kind == "onboardUser") {
      return onboardUser(body, resp);
    }
    if (rec.kind == "operation") {
      return operation(rec, resp);
    }
    if (rec.kind == "generateContent" || rec.kind == "streamGenerateContent") {
      return generate(rec, body, resp, failing ? &f : nullptr);
    }
    if (rec.kind == "countTokens") {
      auto r = body.find("request");
      if (r == body.end() || !r->is_object() || !r->contains("contents") ||
          r->value("model", "").rfind("models/", 0) != 0) {
        return sendJson(resp, 400,
                        googleError(400, "countTokens needs request.model (models/...) and "
                                         "request.contents", "", ""));
      }
      std::string text = lastUserText(*r);
      int words = 0;
      bool in = false;
      for (char c : text) {
        bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
        if (!space && !in) {
          ++words;
        }
        in = !space;
      }
      return sendJson(resp, 200, {{"totalTokens", words}});
    }
    if (rec.kind == "retrieveUserQuota") {
      return sendJson(resp, 200,
                      {{"buckets",
                        {{{"remainingAmount", "1000"},
                          {"remainingFraction", 1.0},
                          {"resetTime", "2099-01-01T00:00:00Z"},
                          {"tokenType", "REQUESTS"},
                          {"modelId", "gemini-2.5-pro"}}}}});
    }
    if (rec.kind == "listExperiments") {
      return sendJson(resp, 200, {{"experimentIds", Json::array()}, {"flags", Json::array()}});
    }
    sendJson(resp, 404, googleError(404, "Method not found: " + rec.kind, "", ""));
  }

  void loadCodeAssist(const Json& body, Poco::Net::HTTPServerResponse& resp) {
    std::string project = body.value("cloudaicompanionProject", "");
    std::unique_lock<std::mutex> lock(s_->mutex);
    TierMode mode = s_->options.tierMode;
    Json out = Json::object();
    if (mode == TierMode::Onboarded || s_->onboarded) {
      std::string tier = s_->options.onboardedTierId;
      out["currentTier"] = {{"id", tier},
                            {"name", tier},
                            {"userDefinedCloudaicompanionProject", tier != "free-tier"},
                            {"hasOnboardedPreviously", true}};
      std::string p = s_->onboarded && !s_->onboardedProject.empty() ? s_->onboardedProject
                                                                       : project;
      // Like the real service, a caller without a project of its own (gemini-cli's free tier)
      // gets a managed one: gemini-cli needs it to continue.
      out["cloudaicompanionProject"] = p.empty() ? "fake-managed-project" : p;
      lock.unlock();
      return sendJson(resp, 200, out);
    }
    Json allowed = Json::array();
    auto tier = [](const char* id, bool isDefault, bool userProject) {
      return Json{{"id", id},
                  {"name", id},
                  {"isDefault", isDefault},
                  {"userDefinedCloudaicompanionProject", userProject}};
    };
    switch (mode) {
      case TierMode::StandardTier:
        allowed.push_back(tier("free-tier", false, false));
        allowed.push_back(tier("standard-tier", true, true));
        break;
      case TierMode::EnterpriseTier:
        allowed.push_back(tier("standard-tier", true, true));
        allowed.push_back(tier("enterprise-tier", false, true));
        break;
      case TierMode::FreeTier:
        allowed.push_back(tier("free-tier", true, false));
        break;
      default:
        out["ineligibleTiers"] = {{{"tierId", "standard-tier"},
                                   {"reasonCode", "INELIGIBLE_ACCOUNT"},
                                   {"reasonMessage",
                                    "The project has no Gemini Code Assist license."}}};
        break;
    }
    out["allowedTiers"] = allowed;
    lock.unlock();
    sendJson(resp, 200, out);
  }

  void onboardUser(const Json& body, Poco::Net::HTTPServerResponse& resp) {
    std::string tierId = body.value("tierId", "");
    std::string project = body.value("cloudaicompanionProject", "");
    std::unique_lock<std::mutex> lock(s_->mutex);
    if (tierId == "free-tier" && !project.empty()) {
      lock.unlock();
      return sendJson(resp, 412, googleError(412, "Precondition Failed", "", ""));
    }
    if (tierId != "free-tier" && project.empty()) {
      lock.unlock();
      return sendJson(resp, 400, googleError(400, "cloudaicompanionProject is required", "", ""));
    }
    std::string name = "operations/onboard-" + std::to_string(s_->operations.size() + 1);
    s_->operations[name] = 0;
    s_->options.onboardedTierId = tierId;
    s_->onboardedProject = project.empty() ? "managed-free-project" : project;
    bool doneNow = s_->options.onboardPolls <= 0;
    if (doneNow) {
      s_->onboarded = true;
    }
    lock.unlock();
    Json lro = {{"name", name}, {"done", doneNow}};
    if (doneNow) {
      lro["response"] = {{"cloudaicompanionProject", {{"id", project}}}};
    }
    sendJson(resp, 200, lro);
  }

  void operation(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    std::string name = rec.path.substr(rec.path.find("/operations/") + 1);
    std::unique_lock<std::mutex> lock(s_->mutex);
    auto it = s_->operations.find(name);
    if (it == s_->operations.end()) {
      lock.unlock();
      return sendJson(resp, 404, googleError(404, "operation not found: " + name, "", ""));
    }
    int polls = ++it->second;
    bool done = polls >= s_->options.onboardPolls;
    if (done) {
      s_->onboarded = true;
    }
    std::string project = s_->onboardedProject;
    lock.unlock();
    Json lro = {{"name", name}, {"done", done}};
    if (done) {
      lro["response"] = {
          {"@type", "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse"},
          {"cloudaicompanionProject", {{"id", project}, {"name", project}}}};
    }
    sendJson(resp, 200, lro);
  }

  void generate(const Recorded& rec, const Json& body, Poco::Net::HTTPServerResponse& resp,
                const Failure* midStream) {
    auto r = body.find("request");
    if (!body.contains("model") || !body["model"].is_string() || r == body.end() ||
        !r->is_object() || !r->contains("contents")) {
      return sendJson(resp, 400,
                      googleError(400, "the envelope needs model and request.contents", "", ""));
    }
    std::string model = body["model"].get<std::string>();
    if (model.rfind("models/", 0) == 0) {
      return sendJson(resp, 400, googleError(400, "model must be a bare id", "", ""));
    }
    if (!body.contains("project")) {
      return sendJson(resp, 403,
                      googleError(403, "The caller does not have permission (no project)", "",
                                  ""));
    }
    std::string text = "echo: " + lastUserText(*r);
    std::string trace;
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      trace = "trace-" + std::to_string(++s_->counter);
    }
    auto wrap = [&](const std::string& piece, bool last) {
      Json cand = {{"content", {{"role", "model"}, {"parts", {{{"text", piece}}}}}}, {"index", 0}};
      if (last) {
        cand["finishReason"] = "STOP";
      }
      Json response = {{"candidates", {cand}}, {"modelVersion", model}};
      if (last) {
        response["usageMetadata"] = {{"promptTokenCount", 3},
                                     {"candidatesTokenCount", 4},
                                     {"totalTokenCount", 7}};
      }
      return Json{{"response", response}, {"traceId", trace}};
    };
    if (rec.kind == "generateContent") {
      return sendJson(resp, 200, wrap(text, true));
    }
    int n;
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      n = std::max(1, s_->options.streamChunks);
    }
    std::vector<std::string> pieces;
    size_t per = std::max<size_t>(1, (text.size() + n - 1) / n);
    for (size_t i = 0; i < text.size(); i += per) {
      pieces.push_back(text.substr(i, per));
    }
    resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    resp.setContentType("text/event-stream");
    resp.setChunkedTransferEncoding(true);
    std::ostream& out = resp.send();
    out.flush();
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (midStream != nullptr && static_cast<int>(i) == midStream->afterChunks) {
        out << "data: "
            << googleError(midStream->status, midStream->message, midStream->retryDelay,
                           midStream->reason)
                   .dump()
            << "\r\n\r\n";
        out.flush();
        return;
      }
      {
        std::unique_lock<std::mutex> lock(s_->mutex);
        if (s_->holdAfter >= 0 && static_cast<int>(i) == s_->holdAfter) {
          // A release() that came before this stream reached its hold still counts: each
          // release lets one held stream go on.
          s_->cv.wait(lock, [&] {
            return s_->releases > s_->releasesUsed || s_->stopping || s_->holdAfter < 0;
          });
          if (s_->stopping) {
            return;
          }
          if (s_->releases > s_->releasesUsed) {
            ++s_->releasesUsed;
          }
        }
        // Counted before the write: a client may see the chunk before this thread runs again.
        ++s_->chunksSent;
      }
      s_->cv.notify_all();
      out << "data: " << wrap(pieces[i], i + 1 == pieces.size()).dump() << "\r\n\r\n";
      out.flush();
    }
  }

  void token(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    int delay;
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      delay = s_->options.tokenDelayMs;
    }
    if (delay > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
    Failure f;
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      if (s_->takeFailure("token", &f)) {
        s_->lastTokenError = "scripted failure";
        return sendJson(resp, f.status,
                        {{"error", f.status >= 500 ? "internal_failure" : "invalid_grant"},
                         {"error_description", f.message}});
      }
    }
    auto form = parseForm(rec.body);
    std::string grant = form["grant_type"];
    std::string error;
    std::string prefix;
    if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      error = verifyJwt(form["assertion"]);
      // OpenSSL keeps error state per thread; this Poco pool thread outlives the test, so free
      // it now rather than have LeakSanitizer report it at exit.
      OPENSSL_thread_stop();
      prefix = "ya29.fake-sa-";
    } else if (grant == "refresh_token") {
      std::lock_guard<std::mutex> lock(s_->mutex);
      const Options& o = s_->options;
      if (o.refreshToken.empty() || form["refresh_token"] != o.refreshToken) {
        error = "Token has been expired or revoked.";
      } else if (form["client_id"] != o.clientId || form["client_secret"] != o.clientSecret) {
        error = "The OAuth client was not found.";
      }
      prefix = "ya29.fake-user-";
    } else {
      error = "Unsupported grant_type: " + grant;
    }
    std::lock_guard<std::mutex> lock(s_->mutex);
    if (!error.empty()) {
      s_->lastTokenError = error;
      Json e = {{"error", grant.empty() ? "unsupported_grant_type" : "invalid_grant"},
                {"error_description", error}};
      std::string text = e.dump();
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
      resp.setContentType("application/json");
      resp.sendBuffer(text.data(), text.size());
      return;
    }
    s_->lastTokenError.clear();
    std::string tok = prefix + std::to_string(++s_->counter) + "-" +
                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    s_->issued.push_back(tok);
    s_->validTokens.insert(tok);
    Json out = {{"access_token", tok},
                {"expires_in", s_->options.tokenExpiresIn},
                {"token_type", "Bearer"}};
    std::string text = out.dump();
    resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    resp.setContentType("application/json");
    resp.sendBuffer(text.data(), text.size());
  }

  // Returns "" when the assertion is a valid RS256 JWT for the configured service account.
  std::string verifyJwt(const std::string& jwt) {
    size_t d1 = jwt.find('.');
    size_t d2 = d1 == std::string::npos ? d1 : jwt.find('.', d1 + 1);
    if (d2 == std::string::npos) {
      return "Invalid JWT: not three segments";
    }
    bool ok1, ok2, ok3;
    std::string header = base64UrlDecode(jwt.substr(0, d1), &ok1);
    std::string claims = base64UrlDecode(jwt.substr(d1 + 1, d2 - d1 - 1), &ok2);
    std::string sig = base64UrlDecode(jwt.substr(d2 + 1), &ok3);
    if (!ok1 || !ok2 || !ok3) {
      return "Invalid JWT: bad base64url";
    }
    Json h = Json::parse(header, nullptr, false);
    Json c = Json::parse(claims, nullptr, false);
    if (!h.is_object() || !c.is_object()) {
      return "Invalid JWT: header or claims not JSON";
    }
    if (h.value("alg", "") != "RS256") {
      return "Invalid JWT: alg must be RS256";
    }
    std::string email, pem, aud;
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      email = s_->options.serviceAccountEmail;
      pem = s_->options.publicKeyPem;
    }
    if (pem.empty()) {
      return "no service account registered";
    }
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr) {
      ERR_clear_error();
      return "bad public key";
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::string input = jwt.substr(0, d2);
    bool valid = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                 EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()),
                                  sig.size(), reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    ERR_clear_error();
    if (!valid) {
      return "Invalid JWT Signature.";
    }
    if (!c["iss"].is_string() || c["iss"].get<std::string>() != email) {
      return "Invalid JWT: iss is not the service account";
    }
    if (!c["scope"].is_string() ||
        c["scope"].get<std::string>().find("https://www.googleapis.com/auth/cloud-platform") ==
            std::string::npos) {
      return "Invalid JWT: scope lacks cloud-platform";
    }
    std::string expectedAud = "http://127.0.0.1:" + std::to_string(port_()) + "/token";
    if (!c["aud"].is_string() || c["aud"].get<std::string>() != expectedAud) {
      return "Invalid JWT: aud must be " + expectedAud;
    }
    if (!c["iat"].is_number_integer() || !c["exp"].is_number_integer()) {
      return "Invalid JWT: iat and exp must be integers";
    }
    int64_t iat = c["iat"].get<int64_t>();
    int64_t exp = c["exp"].get<int64_t>();
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (iat > now + 300 || iat < now - 3600) {
      return "Invalid JWT: iat is not now";
    }
    if (exp <= iat || exp - iat > 3600) {
      return "Invalid JWT: exp must be after iat and at most one hour later";
    }
    return "";
  }

  void metadata(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    if (rec.header("Metadata-Flavor") != "Google") {
      std::string text = "Missing Metadata-Flavor:Google header.";
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_FORBIDDEN);
      resp.setContentType("text/html");
      resp.sendBuffer(text.data(), text.size());
      return;
    }
    std::lock_guard<std::mutex> lock(s_->mutex);
    std::string tok = "ya29.fake-meta-" + std::to_string(++s_->counter);
    s_->issued.push_back(tok);
    s_->validTokens.insert(tok);
    Json out = {{"access_token", tok},
                {"expires_in", s_->options.tokenExpiresIn},
                {"token_type", "Bearer"}};
    std::string text = out.dump();
    resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    resp.set("Metadata-Flavor", "Google");
    resp.setContentType("application/json");
    resp.sendBuffer(text.data(), text.size());
  }

  uint16_t port_() const {
    std::lock_guard<std::mutex> lock(s_->mutex);
    return s_->options.port;
  }

  std::shared_ptr<State> s_;
};

using Factory = HandlerFactory<Handler, State>;

}  // namespace

namespace {
std::mutex g_serversMutex;
std::map<const FakeCodeAssist*, std::unique_ptr<Poco::Net::HTTPServer>> g_servers;
}  // namespace

FakeCodeAssist::FakeCodeAssist(Options options) : state_(std::make_shared<State>()) {
  state_->options = std::move(options);
}

FakeCodeAssist::~FakeCodeAssist() { stop(); }

void FakeCodeAssist::start() {
  uint16_t port = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    port = state_->options.port;
    state_->stopping = false;
  }
  auto server = startServer(new Factory(state_), &port, 64, 256);
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->options.port = port;
  }
  std::lock_guard<std::mutex> lock(g_serversMutex);
  g_servers[this] = std::move(server);
}

void FakeCodeAssist::stop() {
  std::unique_ptr<Poco::Net::HTTPServer> server;
  {
    std::lock_guard<std::mutex> lock(g_serversMutex);
    auto it = g_servers.find(this);
    if (it == g_servers.end()) {
      return;
    }
    server = std::move(it->second);
    g_servers.erase(it);
  }
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  server->stopAll(true);
}

uint16_t FakeCodeAssist::port() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->options.port;
}

std::string FakeCodeAssist::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::string FakeCodeAssist::tokenUrl() const { return baseUrl() + "/token"; }

void FakeCodeAssist::setTierMode(TierMode mode) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->options.tierMode = mode;
  state_->onboarded = false;
}

void FakeCodeAssist::addValidToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->validTokens.insert(token);
}

void FakeCodeAssist::fail(Failure failure) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->failures.push_back(std::move(failure));
}

void FakeCodeAssist::setStreamChunks(int n) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->options.streamChunks = n;
}

void FakeCodeAssist::setTokenExpiresIn(int seconds) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->options.tokenExpiresIn = seconds;
}

void FakeCodeAssist::setTokenDelayMs(int ms) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->options.tokenDelayMs = ms;
}

void FakeCodeAssist::configureServiceAccount(const std::string& email,
                                             const std::string& publicKeyPem) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->options.serviceAccountEmail = email;
  state_->options.publicKeyPem = publicKeyPem;
}

void FakeCodeAssist::configureAuthorizedUser(const std::string& clientId,
                                             const std::string& clientSecret,
                                             const std::string& refreshToken) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->options.clientId = clientId;
  state_->options.clientSecret = clientSecret;
  state_->options.refreshToken = refreshToken;
}

void FakeCodeAssist::holdStreamsAfter(int chunks) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->holdAfter = chunks;
}

void FakeCodeAssist::release() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    ++state_->releases;
  }
  state_->cv.notify_all();
}

void FakeCodeAssist::reset() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->recorded.clear();
    state_->failures.clear();
    state_->issued.clear();
    state_->validTokens.clear();
    state_->lastTokenError.clear();
    state_->onboarded = false;
    state_->operations.clear();
    state_->holdAfter = -1;  // held streams go on (see the hold's wait)
    state_->chunksSent = 0;
    state_->releases = state_->releasesUsed;
  }
  state_->cv.notify_all();
}

std::vector<Recorded> FakeCodeAssist::requests() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->recorded;
}

int FakeCodeAssist::count(std::string_view kind) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  int n = 0;
  for (const auto& r : state_->recorded) {
    if (r.kind == kind) {
      ++n;
    }
  }
  return n;
}

std::vector<std::string> FakeCodeAssist::issuedTokens() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->issued;
}

std::string FakeCodeAssist::lastTokenError() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->lastTokenError;
}

int FakeCodeAssist::chunksSent() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->chunksSent;
}

bool FakeCodeAssist::waitForChunks(int n, int timeoutMs) const {
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->cv.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                             [&] { return state_->chunksSent >= n; });
}

KeyPair generateRsaKeyPair() {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  if (pkey == nullptr) {
    throw std::runtime_error("RSA key generation failed");
  }
  KeyPair out;
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(priv, &mem);
  out.privatePem.assign(mem->data, mem->length);
  BIO_free(priv);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, pkey);
  BIO_get_mem_ptr(pub, &mem);
  out.publicPem.assign(mem->data, mem->length);
  BIO_free(pub);
  EVP_PKEY_free(pkey);
  return out;
}

std::string serviceAccountJson(const std::string& email, const std::string& privatePem,
                               const std::string& tokenUri, const std::string& projectId) {
  Json j = {{"type", "service_account"},
            {"project_id", projectId},
            {"private_key_id", "0123456789abcdef"},
            {"private_key", privatePem},
            {"client_email", email},
            {"client_id", "123456789012345678901"},
            {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
            {"token_uri", tokenUri},
            {"universe_domain", "googleapis.com"}};
  return j.dump(2);
}

}  // namespace llmp::fakes::code_assist
