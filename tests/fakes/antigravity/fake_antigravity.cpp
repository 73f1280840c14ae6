#include "fake_antigravity.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

namespace llmp::fakes::antigravity {

using Json = nlohmann::json;

struct FakeAntigravity::State {
  std::mutex mutex;
  Options options;
  std::set<std::string> tokens;
  std::vector<std::string> issued;
  std::vector<Recorded> recorded;
  std::vector<Failure> failures;
  bool onboarded = true;
  int counter = 0;
  std::set<std::string> signatures;  // thinking signatures issued
  std::set<std::string> callIds;     // Claude tool-call ids issued
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

namespace {

using State = FakeAntigravity::State;

const std::vector<std::pair<std::string, Json>>& modelTable() {
  static const std::vector<std::pair<std::string, Json>> models = {
      {"gemini-3-flash", {{"displayName", "Gemini 3 Flash"}, {"maxTokens", 1048576}, {"maxOutputTokens", 65536}}},
      {"gemini-3-pro-high", {{"displayName", "Gemini 3 Pro (High)"}, {"maxTokens", 1048576}, {"maxOutputTokens", 65535}}},
      {"claude-sonnet-4-5", {{"displayName", "Claude Sonnet 4.5"}, {"maxTokens", 200000}, {"maxOutputTokens", 64000}}},
      {"claude-sonnet-4-5-thinking", {{"displayName", "Claude Sonnet 4.5 (Thinking)"}, {"maxTokens", 200000}, {"maxOutputTokens", 64000}}},
      {"claude-opus-4-5-thinking", {{"displayName", "Claude Opus 4.5 (Thinking)"}, {"maxTokens", 200000}, {"maxOutputTokens", 64000}}},
      {"chat_20706", {{"displayName", "internal"}}},
  };
  return models;
}

bool knownModel(const std::string& id) {
  for (const auto& [name, info] : modelTable()) {
    if (name == id) {
      return true;
    }
  }
  return false;
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<State> s) : s_(std::move(s)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    Recorded rec;
    static_cast<RecordedRequest&>(rec) = readRequest(req);
    size_t colon = rec.path.find(':');
    rec.kind = rec.path == "/token" ? "token"
               : colon != std::string::npos ? rec.path.substr(colon + 1)
                                            : "";
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
        send(resp, 500, googleError(500, std::string("fake failure: ") + e.what()));
      }
    }
  }

 private:
  static void send(Poco::Net::HTTPServerResponse& resp, int status, const Json& body) {
    std::string text = body.dump();
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/json; charset=UTF-8");
    resp.sendBuffer(text.data(), text.size());
  }

  void control(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    std::lock_guard<std::mutex> lock(s_->mutex);
    Json body = Json::object();
    if (!rec.body.empty()) {
      body = Json::parse(rec.body, nullptr, false);
    }
    if (rec.path == "/__fake/requests") {
      Json arr = Json::array();
      for (const auto& r : s_->recorded) {
        Json headers = Json::object();
        for (const auto& [k, v] : r.headers) {
          std::string lower = k;
          std::transform(lower.begin(), lower.end(), lower.begin(),
                         [](unsigned char c) { return std::tolower(c); });
          headers[lower] = v;
        }
        arr.push_back({{"method", r.method}, {"path", r.path}, {"query", r.query},
                       {"kind", r.kind}, {"headers", headers}, {"body", r.body}});
      }
      send(resp, 200, arr);
    } else if (rec.path == "/__fake/reset") {
      s_->recorded.clear();
      s_->failures.clear();
      send(resp, 200, Json::object());
    } else if (rec.path == "/__fake/fail" && body.is_object()) {
      Failure f;
      f.method = body.value("method", std::string("*"));
      f.status = body.value("status", 429);
      f.times = body.value("times", 1);
      f.message = body.value("message", std::string("fake failure"));
      s_->failures.push_back(f);
      send(resp, 200, Json::object());
    } else if (rec.path == "/__fake/token" && body.is_object()) {
      s_->tokens.insert(body.value("token", std::string()));
      send(resp, 200, Json::object());
    } else {
      send(resp, 404, googleError(404, "unknown control endpoint"));
    }
  }

  bool takeFailure(const std::string& kind, Failure* out) {
    std::lock_guard<std::mutex> lock(s_->mutex);
    for (auto it = s_->failures.begin(); it != s_->failures.end(); ++it) {
      if (it->method == kind || it->method == "*") {
        *out = *it;
        if (--it->times <= 0) {
          s_->failures.erase(it);
        }
        return true;
      }
    }
    return false;
  }

  void route(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    if (rec.kind == "token") {
      token(rec, resp);
      return;
    }
    Failure failure;
    if (takeFailure(rec.kind, &failure)) {
      send(resp, failure.status, googleError(failure.status, failure.message));
      return;
    }
    std::string auth = rec.header("Authorization");
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      if (auth.rfind("Bearer ", 0) != 0 || s_->tokens.count(auth.substr(7)) == 0) {
        send(resp, 401, googleError(401, "Request had invalid authentication credentials."));
        return;
      }
    }
    Json body = Json::parse(rec.body, nullptr, false);
    if (!body.is_object()) {
      send(resp, 400, googleError(400, "body is not JSON"));
      return;
    }
    if (rec.kind == "loadCodeAssist") {
      std::lock_guard<std::mutex> lock(s_->mutex);
      if (body["metadata"].value("ideType", std::string()) != "ANTIGRAVITY") {
        send(resp, 400, googleError(400, "metadata.ideType must be ANTIGRAVITY"));
      } else if (s_->onboarded) {
        send(resp, 200, {{"currentTier", {{"id", "free-tier"}}},
                         {"cloudaicompanionProject", s_->options.project}});
      } else {
        send(resp, 200, {{"allowedTiers", Json::array({{{"id", "free-tier"}, {"isDefault", true}}})}});
      }
    } else if (rec.kind == "onboardUser") {
      std::lock_guard<std::mutex> lock(s_->mutex);
      s_->onboarded = true;
      send(resp, 200, {{"done", true},
                       {"response", {{"cloudaicompanionProject", {{"id", s_->options.project}}}}}});
    } else if (rec.kind == "fetchAvailableModels") {
      Json models = Json::object();
      for (const auto& [id, info] : modelTable()) {
        models[id] = info;
      }
      send(resp, 200, {{"models", models}});
    } else if (rec.kind == "countTokens") {
      Json req = body.value("request", Json::object());
      size_t words = 0;
      for (const auto& c : req.value("contents", Json::array())) {
        for (const auto& p : c.value("parts", Json::array())) {
          std::istringstream in(p.value("text", std::string()));
          std::string w;
          while (in >> w) {
            ++words;
          }
        }
      }
      if (req.value("model", std::string()).rfind("models/", 0) != 0) {
        send(resp, 400, googleError(400, "countTokens: request.model must be models/<id>"));
        return;
      }
      send(resp, 200, {{"totalTokens", words}});
    } else if (rec.kind == "generateContent" || rec.kind == "streamGenerateContent") {
      generate(rec, body, resp);
    } else {
      send(resp, 404, googleError(404, "unknown method " + rec.kind));
    }
  }

  // The problem a real upstream would have with this body, or "".
  std::string validate(const Json& body) {
    std::lock_guard<std::mutex> lock(s_->mutex);
    if (body.value("userAgent", std::string()) != "antigravity") {
      return "userAgent must be \"antigravity\"";
    }
    if (body.value("requestType", std::string()) != "agent") {
      return "requestType must be \"agent\"";
    }
    if (body.value("requestId", std::string()).rfind("agent-", 0) != 0) {
      return "requestId must look like agent-<uuid>";
    }
    if (body.value("project", std::string()) != s_->options.project) {
      return "project must be " + s_->options.project;
    }
    const Json& req = body.value("request", Json::object());
    if (!body.contains("request") || !body["request"].is_object()) {
      return "request is missing";
    }
    std::string session = req.value("sessionId", std::string());
    if (session.size() < 2 || session[0] != '-') {
      return "request.sessionId must be -<int63>";
    }
    if (req.contains("safetySettings")) {
      return "request.safetySettings is not accepted";
    }
    std::string model = body.value("model", std::string());
    if (!knownModel(model)) {
      return "404:Requested entity was not found: model " + model;
    }
    bool claude = model.rfind("claude-", 0) == 0;
    bool tools = false;
    for (const auto& t : req.value("tools", Json::array())) {
      for (const auto& d : t.value("functionDeclarations", Json::array())) {
        tools = true;
        if (claude && d.contains("parametersJsonSchema")) {
          return "Claude: parametersJsonSchema is not supported, use parameters";
        }
      }
    }
    if (claude && tools &&
        req.value("toolConfig", Json::object())
                .value("functionCallingConfig", Json::object())
                .value("mode", std::string()) != "VALIDATED") {
      return "Claude: toolConfig.functionCallingConfig.mode must be VALIDATED";
    }
    // History: tool calls must come back with their signed thinking and ids.
    for (const auto& c : req.value("contents", Json::array())) {
      const Json parts = c.value("parts", Json::array());
      for (size_t i = 0; i < parts.size(); ++i) {
        const Json& p = parts[i];
        if (p.contains("functionCall")) {
          if (claude) {
            std::string id = p["functionCall"].value("id", std::string());
            if (s_->callIds.count(id) == 0) {
              return "Claude: tool_use id '" + id + "' was not issued";
            }
            bool signedThinking = i > 0 && parts[i - 1].value("thought", false) &&
                                  s_->signatures.count(parts[i - 1].value("thoughtSignature", std::string())) > 0;
            if (model.find("-thinking") != std::string::npos && !signedThinking) {
              return "Claude: each tool_use in an assistant turn must follow its signed thinking "
                     "block (signature missing or invalid)";
            }
            if (signedThinking && parts[i - 1].value("text", std::string()).empty()) {
              return "Claude: the thinking block text is missing";
            }
          } else {
            std::string sig = p.value("thoughtSignature", std::string());
            if (s_->signatures.count(sig) == 0) {
              return "Gemini: functionCall part is missing its thought_signature";
            }
          }
        }
        if (p.contains("functionResponse") && claude) {
          std::string id = p["functionResponse"].value("id", std::string());
          if (s_->callIds.count(id) == 0) {
            return "Claude: tool_result id '" + id + "' does not match a tool_use";
          }
        }
      }
    }
    return "";
  }

  void generate(const Recorded& rec, const Json& body, Poco::Net::HTTPServerResponse& resp) {
    std::string problem = validate(body);
    if (!problem.empty()) {
      int status = 400;
      if (problem.rfind("404:", 0) == 0) {
        status = 404;
        problem.erase(0, 4);
      }
      send(resp, status, googleError(status, problem));
      return;
    }
    const std::string model = body["model"];
    const Json& req = body["request"];
    const bool claude = model.rfind("claude-", 0) == 0;
    const bool thinking = model.find("-thinking") != std::string::npos ||
                          (!claude && req.value("generationConfig", Json::object())
                                          .value("thinkingConfig", Json::object())
                                          .value("includeThoughts", false));
    int n;
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      n = ++s_->counter;
    }
    // What to answer: the tool's result, a tool call, or plain text.
    const Json contents = req.value("contents", Json::array());
    Json lastParts = contents.empty() ? Json::array() : contents.back().value("parts", Json::array());
    std::string toolResult, userText;
    for (const auto& p : lastParts) {
      if (p.contains("functionResponse")) {
        toolResult = p["functionResponse"].value("response", Json::object()).dump();
      } else if (p.contains("text") && !p.value("thought", false)) {
        userText += p["text"].get<std::string>();
      }
    }
    std::string toolName;
    Json args = Json::object();
    for (const auto& t : req.value("tools", Json::array())) {
      for (const auto& d : t.value("functionDeclarations", Json::array())) {
        if (toolName.empty()) {
          toolName = d.value("name", std::string());
          Json params = d.value("parameters", d.value("parametersJsonSchema", Json::object()));
          for (const auto& r : params.value("required", Json::array())) {
            args[r.get<std::string>()] = "Paris";
          }
        }
      }
    }
    Json parts = Json::array();
    std::string sig = (claude ? "csig-" : "gsig-") + std::to_string(n) + "-" + model;
    if (thinking) {
      parts.push_back({{"text", "Let me think about " + (toolResult.empty() ? userText : toolResult) + "."},
                       {"thought", true},
                       {"thoughtSignature", sig}});
    }
    std::string finish = "STOP";
    if (toolResult.empty() && !toolName.empty()) {
      Json call = {{"name", toolName}, {"args", args}};
      Json part = Json::object();
      if (claude) {
        std::string id = "toolu_fake_" + std::to_string(n);
        call["id"] = id;
        std::lock_guard<std::mutex> lock(s_->mutex);
        s_->callIds.insert(id);
      }
      part["functionCall"] = call;
      if (!claude) {
        part["thoughtSignature"] = sig;
      }
      parts.push_back(part);
    } else if (!toolResult.empty()) {
      parts.push_back({{"text", "The tool said " + toolResult}});
    } else {
      parts.push_back({{"text", "Hello from " + model + ": " + userText}});
    }
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      s_->signatures.insert(sig);
    }
    Json usage = {{"promptTokenCount", 7}, {"candidatesTokenCount", 5}, {"totalTokenCount", 12}};
    auto wrap = [&](Json ps, bool last) {
      Json candidate = {{"content", {{"role", "model"}, {"parts", ps}}}, {"index", 0}};
      if (last) {
        candidate["finishReason"] = finish;
      }
      Json response = {{"candidates", Json::array({candidate})}, {"modelVersion", model},
                       {"responseId", "resp-" + std::to_string(n)}};
      if (last) {
        response["usageMetadata"] = usage;
      }
      return Json{{"response", response}, {"traceId", "trace-" + std::to_string(n)}};
    };
    if (rec.kind == "generateContent") {
      send(resp, 200, wrap(parts, true));
      return;
    }
    resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    resp.setContentType("text/event-stream");
    resp.setChunkedTransferEncoding(true);
    std::ostream& out = resp.send();
    // One event per part; a text part split in two, like a real stream.
    std::vector<Json> events;
    for (const auto& p : parts) {
      if (p.contains("text") && !p.value("thought", false)) {
        std::string text = p["text"];
        size_t half = text.size() / 2;
        events.push_back(Json::array({{{"text", text.substr(0, half)}}}));
        events.push_back(Json::array({{{"text", text.substr(half)}}}));
      } else {
        events.push_back(Json::array({p}));
      }
    }
    for (size_t i = 0; i < events.size(); ++i) {
      out << "data: " << wrap(events[i], i + 1 == events.size()).dump() << "\r\n\r\n";
      out.flush();
    }
  }

  void token(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    std::map<std::string, std::string> form = parseForm(rec.body);
    std::lock_guard<std::mutex> lock(s_->mutex);
    const Options& o = s_->options;
    if (form["grant_type"] != "refresh_token" || o.refreshToken.empty() ||
        form["refresh_token"] != o.refreshToken || form["client_id"] != o.clientId ||
        form["client_secret"] != o.clientSecret) {
      send(resp, 400, {{"error", "invalid_grant"},
                       {"error_description", "Token has been expired or revoked."}});
      return;
    }
    std::string fresh = "ya29.fake-refreshed-" + std::to_string(++s_->counter);
    s_->tokens.insert(fresh);
    s_->issued.push_back(fresh);
    send(resp, 200, {{"access_token", fresh}, {"expires_in", o.tokenExpiresIn},
                     {"token_type", "Bearer"}});
  }

  std::shared_ptr<State> s_;
};

using Factory = HandlerFactory<Handler, State>;

// Protobuf writing for the state database records.
std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string lenField(uint32_t field, const std::string& data) {
  return varint((static_cast<uint64_t>(field) << 3) | 2) + varint(data.size()) + data;
}
std::string varintField(uint32_t field, uint64_t v) {
  return varint(static_cast<uint64_t>(field) << 3) + varint(v);
}
std::string base64(const std::string& data) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += {a[(n >> 18) & 63], a[(n >> 12) & 63], a[(n >> 6) & 63], a[n & 63]};
  }
  if (i < data.size()) {
    uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) {
      n |= static_cast<unsigned char>(data[i + 1]) << 8;
    }
    out += {a[(n >> 18) & 63], a[(n >> 12) & 63], i + 1 < data.size() ? a[(n >> 6) & 63] : '=',
            '='};
  }
  return out;
}

}  // namespace

FakeAntigravity::FakeAntigravity(Options options) : state_(std::make_shared<State>()) {
  state_->options = std::move(options);
  state_->onboarded = state_->options.onboarded;
  for (const auto& t : state_->options.validTokens) {
    state_->tokens.insert(t);
  }
}

FakeAntigravity::~FakeAntigravity() { stop(); }

void FakeAntigravity::start() {
  state_->server = startServer(new Factory(state_), &state_->options.port, 32);
}

void FakeAntigravity::stop() {
  if (state_->server) {
    state_->server->stopAll(true);
    state_->server.reset();
  }
}

uint16_t FakeAntigravity::port() const { return state_->options.port; }
std::string FakeAntigravity::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

void FakeAntigravity::addValidToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->tokens.insert(token);
}

void FakeAntigravity::fail(Failure failure) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->failures.push_back(std::move(failure));
}

void FakeAntigravity::reset() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->recorded.clear();
  state_->failures.clear();
}

std::vector<Recorded> FakeAntigravity::requests() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->recorded;
}

int FakeAntigravity::count(const std::string& kind) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return static_cast<int>(std::count_if(state_->recorded.begin(), state_->recorded.end(),
                                        [&](const Recorded& r) { return r.kind == kind; }));
}

std::vector<std::string> FakeAntigravity::issuedTokens() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->issued;
}

void writeStateDb(const std::string& path, StateFormat format, const std::string& accessToken,
                  const std::string& refreshToken, int64_t expirySeconds,
                  const std::string& email) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot create " + path + ": " + message);
  }
  auto exec = [&](const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err != nullptr ? err : "?";
      sqlite3_free(err);
      sqlite3_close(db);
      throw std::runtime_error("sqlite: " + message);
    }
  };
  exec("CREATE TABLE IF NOT EXISTS ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)");
  std::string info = lenField(1, accessToken) + lenField(2, "Bearer") +
                     lenField(3, refreshToken) +
                     lenField(4, varintField(1, static_cast<uint64_t>(expirySeconds)));
  std::vector<std::pair<std::string, std::string>> rows;
  Json status = {{"name", "Dev"}, {"email", email}};
  if (format == StateFormat::Unified) {
    std::string row = lenField(1, base64(info));
    std::string entry = lenField(1, "oauthTokenInfoSentinelKey") + lenField(2, row);
    rows.emplace_back("antigravityUnifiedStateSync.oauthToken", base64(lenField(1, entry)));
  } else if (format == StateFormat::Jetski) {
    rows.emplace_back("jetskiStateSync.agentManagerInitState",
                      base64(lenField(5, "other-state") + lenField(6, info)));
  } else {
    status["apiKey"] = accessToken;
  }
  rows.emplace_back("antigravityAuthStatus", status.dump());
  rows.emplace_back("antigravityOnboarding", "true");
  for (const auto& [key, value] : rows) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO ItemTable (key, value) VALUES (?1, ?2)", -1, &stmt,
                       nullptr);
    sqlite3_bind_text(stmt, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, value.c_str(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      sqlite3_close(db);
      throw std::runtime_error("cannot write " + key);
    }
  }
  sqlite3_close(db);
}

}  // namespace llmp::fakes::antigravity
