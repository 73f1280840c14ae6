#include "fake_google_oauth.hpp"
#include "fake_http.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

namespace llmp::fakes::google_oauth {

using Json = nlohmann::json;

struct FakeGoogleOAuth::State {
  Options options;
  mutable std::mutex mutex;
  std::deque<std::string> nextUsers;
  std::map<std::string, std::pair<std::string, std::string>> codes;  // code -> (email, redirect)
  std::map<std::string, std::string> refreshTokens;                  // token -> email
  std::set<std::string> revoked;
  std::map<std::string, std::string> accessTokens;  // token -> email
  std::map<std::string, int> counts;
  std::vector<Recorded> requests;
  int failStatus = 0, failTimes = 0;
  int counter = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<FakeGoogleOAuth::State> s) : s_(std::move(s)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    RecordedRequest raw = readRequest(req);
    Recorded rec;
    rec.method = std::move(raw.method);
    rec.path = std::move(raw.path);
    rec.query = std::move(raw.query);
    rec.authorization = raw.header("Authorization");
    rec.body = std::move(raw.body);
    {
      std::lock_guard<std::mutex> lock(s_->mutex);
      if (s_->requests.size() < 1000) {
        s_->requests.push_back(rec);
      }
    }
    if (rec.path.rfind("/__fake/", 0) == 0) {
      return control(rec, resp);
    }
    if (rec.path == "/o/oauth2/v2/auth" && rec.method == "GET") {
      return authorize(rec, resp);
    }
    if (rec.path == "/token" && rec.method == "POST") {
      return token(rec, resp);
    }
    if (rec.path == "/oauth2/v2/userinfo") {
      return userinfo(rec, resp);
    }
    send(resp, 404, {{"error", "not_found"}});
  }

 private:
  static void send(Poco::Net::HTTPServerResponse& resp, int status, const Json& body) {
    std::string text = body.dump();
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/json");
    resp.setContentLength(static_cast<std::streamsize>(text.size()));
    resp.send() << text;
  }

  std::string newToken(const char* prefix) {
    return std::string(prefix) + std::to_string(++s_->counter);
  }

  void authorize(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    auto p = parseForm(rec.query);
    std::lock_guard<std::mutex> lock(s_->mutex);
    ++s_->counts["auth"];
    if (p["client_id"] != s_->options.clientId) {
      return send(resp, 400,
                  {{"error", "invalid_client"}, {"error_description", "unknown client_id"}});
    }
    if (p["response_type"] != "code" || p["redirect_uri"].empty() ||
        p["scope"].find("https://www.googleapis.com/auth/cloud-platform") == std::string::npos) {
      return send(resp, 400,
                  {{"error", "invalid_request"},
                   {"error_description",
                    "needs response_type=code, redirect_uri and "
                    "the cloud-platform scope"}});
    }
    std::string email = "user1@example.com";
    if (!s_->nextUsers.empty()) {
      email = s_->nextUsers.front();
      s_->nextUsers.pop_front();
    }
    std::string code = newToken("fake-code-");
    s_->codes[code] = {email, p["redirect_uri"]};
    std::string location = p["redirect_uri"] + "?code=" + code + "&state=" + p["state"] +
                           "&scope=" + "https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform";
    resp.setStatus(Poco::Net::HTTPResponse::HTTP_FOUND);
    resp.set("Location", location);
    resp.setContentLength(0);
    resp.send();
  }

  Json issue(const std::string& email, bool withRefresh) {
    std::string at = newToken("fake-at-");
    s_->accessTokens[at] = email;
    Json out = {{"access_token", at},
                {"expires_in", s_->options.expiresIn},
                {"token_type", "Bearer"},
                {"scope",
                 "https://www.googleapis.com/auth/cloud-platform "
                 "https://www.googleapis.com/auth/userinfo.email openid"}};
    if (withRefresh) {
      std::string rt = newToken("fake-rt-");
      s_->refreshTokens[rt] = email;
      out["refresh_token"] = rt;
    }
    return out;
  }

  void token(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    auto f = parseForm(rec.body);
    std::lock_guard<std::mutex> lock(s_->mutex);
    if (s_->failTimes > 0) {
      --s_->failTimes;
      return send(resp, s_->failStatus, {{"error", "backend_error"}});
    }
    if (f["client_id"] != s_->options.clientId || f["client_secret"] != s_->options.clientSecret) {
      return send(resp, 401, {{"error", "invalid_client"}, {"error_description", "Unauthorized"}});
    }
    const std::string grant = f["grant_type"];
    if (grant == "authorization_code") {
      ++s_->counts["code"];
      auto it = s_->codes.find(f["code"]);
      if (it == s_->codes.end() || it->second.second != f["redirect_uri"]) {
        return send(resp, 400,
                    {{"error", "invalid_grant"}, {"error_description", "Malformed auth code."}});
      }
      std::string email = it->second.first;
      s_->codes.erase(it);
      return send(resp, 200, issue(email, true));
    }
    if (grant == "refresh_token") {
      ++s_->counts["refresh"];
      auto it = s_->refreshTokens.find(f["refresh_token"]);
      if (it == s_->refreshTokens.end() || s_->revoked.count(it->first) ||
          s_->revoked.count(it->second)) {
        return send(resp, 400,
                    {{"error", "invalid_grant"},
                     {"error_description", "Token has been expired or revoked."}});
      }
      return send(resp, 200, issue(it->second, false));
    }
    send(resp, 400, {{"error", "unsupported_grant_type"}});
  }

  void userinfo(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    std::lock_guard<std::mutex> lock(s_->mutex);
    ++s_->counts["userinfo"];
    std::string token =
        rec.authorization.rfind("Bearer ", 0) == 0 ? rec.authorization.substr(7) : "";
    auto it = s_->accessTokens.find(token);
    if (it == s_->accessTokens.end()) {
      return send(resp, 401, {{"error", {{"code", 401}, {"message", "Invalid Credentials"}}}});
    }
    send(resp, 200, {{"id", "1000"}, {"email", it->second}, {"verified_email", true}});
  }

  void control(const Recorded& rec, Poco::Net::HTTPServerResponse& resp) {
    Json body = Json::parse(rec.body.empty() ? "{}" : rec.body, nullptr, false);
    if (!body.is_object()) {
      body = Json::object();
    }
    std::lock_guard<std::mutex> lock(s_->mutex);
    if (rec.path == "/__fake/next-user") {
      s_->nextUsers.push_back(body.value("email", "user1@example.com"));
    } else if (rec.path == "/__fake/refresh-token") {
      s_->refreshTokens[body.value("refresh_token", "")] = body.value("email", "user1@example.com");
    } else if (rec.path == "/__fake/revoke") {
      s_->revoked.insert(body.value("email", body.value("refresh_token", "")));
    } else if (rec.path == "/__fake/expires-in") {
      s_->options.expiresIn = body.value("seconds", 3600);
    } else if (rec.path == "/__fake/fail-token") {
      s_->failStatus = body.value("status", 503);
      s_->failTimes = body.value("times", 1);
    } else if (rec.path == "/__fake/state") {
      Json tokens = Json::object();
      for (auto& [t, e] : s_->accessTokens) {
        tokens[t] = e;
      }
      Json counts = Json::object();
      for (auto& [k, v] : s_->counts) {
        counts[k] = v;
      }
      return send(resp, 200, {{"accessTokens", tokens}, {"counts", counts}});
    } else {
      return send(resp, 404, {{"error", "unknown control endpoint"}});
    }
    send(resp, 200, Json::object());
  }

  std::shared_ptr<FakeGoogleOAuth::State> s_;
};

using Factory = HandlerFactory<Handler, FakeGoogleOAuth::State>;

}  // namespace

FakeGoogleOAuth::FakeGoogleOAuth(Options options) : state_(std::make_shared<State>()) {
  state_->options = std::move(options);
}

FakeGoogleOAuth::~FakeGoogleOAuth() { stop(); }

void FakeGoogleOAuth::start() {
  state_->port = state_->options.port;
  state_->server = startServer(new Factory(state_), &state_->port, 16);
}

void FakeGoogleOAuth::stop() {
  if (state_->server) {
    state_->server->stopAll(true);
    state_->server.reset();
  }
}

uint16_t FakeGoogleOAuth::port() const { return state_->port; }
std::string FakeGoogleOAuth::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port());
}
std::string FakeGoogleOAuth::authUrl() const { return baseUrl() + "/o/oauth2/v2/auth"; }
std::string FakeGoogleOAuth::tokenUrl() const { return baseUrl() + "/token"; }
std::string FakeGoogleOAuth::userinfoUrl() const { return baseUrl() + "/oauth2/v2/userinfo"; }

void FakeGoogleOAuth::pushUser(const std::string& email) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->nextUsers.push_back(email);
}

void FakeGoogleOAuth::addRefreshToken(const std::string& refreshToken, const std::string& email) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->refreshTokens[refreshToken] = email;
}

void FakeGoogleOAuth::revoke(const std::string& emailOrRefreshToken) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->revoked.insert(emailOrRefreshToken);
}

void FakeGoogleOAuth::setExpiresIn(int seconds) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->options.expiresIn = seconds;
}

void FakeGoogleOAuth::failToken(int status, int times) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->failStatus = status;
  state_->failTimes = times;
}

std::string FakeGoogleOAuth::emailOfAccessToken(const std::string& token) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto it = state_->accessTokens.find(token);
  return it == state_->accessTokens.end() ? "" : it->second;
}

std::map<std::string, std::string> FakeGoogleOAuth::accessTokens() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->accessTokens;
}

int FakeGoogleOAuth::count(const std::string& what) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto it = state_->counts.find(what);
  return it == state_->counts.end() ? 0 : it->second;
}

std::vector<Recorded> FakeGoogleOAuth::requests() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->requests;
}

}  // namespace llmp::fakes::google_oauth
