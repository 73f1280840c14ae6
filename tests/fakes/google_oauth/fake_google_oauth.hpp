// A fake Google OAuth 2.0 server on 127.0.0.1 for tests (google-auth.md §1):
//   GET  /o/oauth2/v2/auth     checks client_id, redirect_uri, response_type=code, scope; issues a
//                              code for the next signed-in user and answers 302 to
//                              redirect_uri?code=...&state=... (the browser step)
//   POST /token                grant_type=authorization_code (code, client_id, client_secret,
//                              redirect_uri must match) and grant_type=refresh_token; a revoked
//                              or unknown refresh token answers 400 {"error":"invalid_grant"}
//   GET  /oauth2/v2/userinfo   {"email", "verified_email"} for a Bearer token it issued
//   /__fake/...                control endpoints for node tests (see fake_google_oauth_main.cpp)
// Access tokens look like "fake-at-<n>"; each maps to the e-mail it was issued for.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace llmp::fakes::google_oauth {

struct Options {
  uint16_t port = 0;
  std::string clientId = "fake-oauth-client.apps.googleusercontent.com";
  std::string clientSecret = "fake-oauth-client-secret";
  int expiresIn = 3600;  // seconds, for every issued access token
};

struct Recorded {
  std::string method;
  std::string path;
  std::string query;
  std::string body;
  std::string authorization;
};

class FakeGoogleOAuth {
 public:
  explicit FakeGoogleOAuth(Options options = {});
  ~FakeGoogleOAuth();
  FakeGoogleOAuth(const FakeGoogleOAuth&) = delete;
  FakeGoogleOAuth& operator=(const FakeGoogleOAuth&) = delete;

  void start();
  void stop();
  uint16_t port() const;
  std::string baseUrl() const;
  std::string authUrl() const;      // baseUrl() + "/o/oauth2/v2/auth"
  std::string tokenUrl() const;     // baseUrl() + "/token"
  std::string userinfoUrl() const;  // baseUrl() + "/oauth2/v2/userinfo"

  // The e-mail the next authorization signs in (default user1@example.com); a queue.
  void pushUser(const std::string& email);
  // A refresh token the token endpoint accepts for `email` (e.g. one written into a creds file).
  void addRefreshToken(const std::string& refreshToken, const std::string& email);
  // Every refresh token of the e-mail (or this one token) answers invalid_grant from now on.
  void revoke(const std::string& emailOrRefreshToken);
  void setExpiresIn(int seconds);
  // Answer the next `times` token requests with HTTP `status` (a transient failure).
  void failToken(int status, int times);

  std::string emailOfAccessToken(const std::string& token) const;
  std::map<std::string, std::string> accessTokens() const;  // token -> e-mail
  int count(const std::string& what) const;                 // "auth", "code", "refresh", "userinfo"
  std::vector<Recorded> requests() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace llmp::fakes::google_oauth
