// The installed-app ("loopback") OAuth 2.0 flow Google accounts use, for plugins that sign users
// in themselves (gemini-oauth-auto, Antigravity): the authorization URL, a one-shot callback
// server on 127.0.0.1, the authorization-code and refresh-token grants with `invalid_grant`
// told apart, and the e-mail from userinfo. Wire facts: shared/protocols/google-auth.md §1.
// No token or secret ever appears in an exception message.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "google_oauth.hpp"

namespace llmp::google {

inline constexpr const char* kDefaultAuthUri = "https://accounts.google.com/o/oauth2/v2/auth";
inline constexpr const char* kDefaultUserinfoUri = "https://www.googleapis.com/oauth2/v2/userinfo";

// What a successful grant returned.
struct TokenGrant {
  std::string accessToken;
  std::string refreshToken;  // empty when the endpoint sent none (keep the old one)
  int64_t expiresInMs = 0;
  std::string scope;
};

// The refresh token is dead (revoked, expired, wrong client): the user must sign in again.
class InvalidGrant : public Error {
 public:
  explicit InvalidGrant(const std::string& message) : Error(LLMP_E_AUTH, 401, message) {}
};

struct OAuthClient {
  std::string clientId;
  std::string clientSecret;
  std::string tokenUri = kDefaultTokenUri;
  HttpTimeouts timeouts;
};

// {authUri}?access_type=offline&prompt=consent&scope=...&state=...&response_type=code&client_id=...
// &redirect_uri=...
std::string authorizationUrl(std::string_view authUri, std::string_view clientId,
                             std::string_view redirectUri, std::string_view state,
                             const std::vector<std::string>& scopes);

// 32 random bytes, hex (the `state` gemini-cli sends).
std::string randomState();

// grant_type=authorization_code. Throws InvalidGrant for {"error":"invalid_grant"}, otherwise
// like parseTokenResponse.
TokenGrant exchangeCode(const HttpFn& http, const OAuthClient& client, std::string_view code,
                        std::string_view redirectUri);
// grant_type=refresh_token. Throws InvalidGrant for {"error":"invalid_grant"}.
TokenGrant refreshGrant(const HttpFn& http, const OAuthClient& client,
                        std::string_view refreshToken);
// GET userinfo with the token; returns the e-mail. Throws llmp::Error when there is none.
std::string fetchEmail(const HttpFn& http, std::string_view userinfoUri,
                       std::string_view accessToken, const HttpTimeouts& timeouts = {});

// A one-shot HTTP server on 127.0.0.1 for the OAuth redirect. Bind with port 0 for a free port.
class LoopbackCallback {
 public:
  struct Result {
    std::string code;
    std::string error;  // the `error` query parameter, or why the callback was refused
  };
  // Binds at once; throws llmp::Error(LLMP_E_UNAVAILABLE) when it cannot.
  LoopbackCallback(std::string_view host, uint16_t port, std::string path = "/oauth2callback");
  ~LoopbackCallback();
  LoopbackCallback(const LoopbackCallback&) = delete;
  LoopbackCallback& operator=(const LoopbackCallback&) = delete;

  uint16_t port() const { return port_; }
  std::string redirectUri() const;  // http://127.0.0.1:<port><path>

  // Serves requests until one reaches `path` or the timeout passes (throws LLMP_E_TIMEOUT).
  // Requests to other paths (a browser's /favicon.ico) get 404 and are ignored. A callback with
  // the wrong `state` answers 400 "State mismatch" and returns Result{error}. For a callback
  // with a code, `finish(code)` runs before the browser gets its answer; it returns the page
  // text (or throws, and the browser sees the message).
  Result wait(std::string_view expectedState, int64_t timeoutMs,
              const std::function<std::string(const std::string& code)>& finish);

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::string path_;
};

// Query string helpers.
std::string queryParam(std::string_view query, std::string_view name);  // decoded, "" if absent
std::string percentDecode(std::string_view s);

}  // namespace llmp::google
