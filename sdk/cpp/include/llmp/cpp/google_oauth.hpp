// Google OAuth 2.0 access tokens for plugins: the token grants Google's endpoints accept
// (refresh_token for users, RFC 7523 JWT-bearer for service accounts, the GCE metadata server)
// and a thread-safe cache that refreshes a token before it expires, one refresh at a time while
// other callers wait for it. Wire facts: shared/protocols/google-auth.md §1.4, §3, §4.
//
// Nothing here ever puts a token, refresh token, client secret or private key into an exception
// message or a log line.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "host.hpp"

namespace llmp::google {

// The scopes gemini-cli asks for (Code Assist accepts tokens with these).
const std::vector<std::string>& codeAssistScopes();

inline constexpr const char* kDefaultTokenUri = "https://oauth2.googleapis.com/token";

// A blocking HTTP exchange: fills *response and returns LLMP_OK when a whole response (any HTTP
// status) arrived; otherwise a transport status with details in *err.
using HttpFn = std::function<llmp_status(const HttpRequest&, HttpResponse*, ErrorRecord*)>;
// An HttpFn over the host's HTTP client.
HttpFn httpFnFromHost(Host host);

struct AccessToken {
  std::string token;
  int64_t expiresInMs = 0;  // lifetime as the issuer reported it (0 = unknown)
};

// Where tokens come from. fetch() performs one network exchange and throws llmp::Error
// (LLMP_E_AUTH for a refusal, LLMP_E_UNAVAILABLE / LLMP_E_TIMEOUT for transport problems).
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual AccessToken fetch() = 0;
  // A description safe for logs and messages, e.g. "service account svc@p.iam... (key file
  // /etc/sa.json)".
  virtual std::string describe() const = 0;
  // Strings that must never appear in output (the token source's own secrets).
  virtual std::vector<std::string> secrets() const { return {}; }
};

struct HttpTimeouts {
  uint32_t connectMs = 0;
  uint32_t firstByteMs = 0;
  uint32_t idleMs = 0;
};

// grant_type=refresh_token against tokenUri with the client's id/secret (authorized_user ADC
// files, Gemini CLI OAuth credentials).
class RefreshTokenSource : public TokenSource {
 public:
  RefreshTokenSource(HttpFn http, std::string tokenUri, std::string clientId,
                     std::string clientSecret, std::string refreshToken, std::string origin,
                     HttpTimeouts timeouts = {});
  AccessToken fetch() override;
  std::string describe() const override;
  std::vector<std::string> secrets() const override { return {clientSecret_, refreshToken_}; }

 private:
  HttpFn http_;
  std::string tokenUri_, clientId_, clientSecret_, refreshToken_, origin_;
  HttpTimeouts timeouts_;
};

// What the JWT-bearer grant needs from a service-account key file.
struct ServiceAccountKey {
  std::string clientEmail;
  std::string privateKey;  // PKCS#8 (or PKCS#1) PEM
  std::string privateKeyId;
  std::string tokenUri = kDefaultTokenUri;
  std::string projectId;
};

// Builds the signed assertion: header {"alg":"RS256","typ":"JWT"[,"kid"]}, claims iss, scope,
// aud = tokenUri, iat = nowSeconds, exp = iat + lifetimeSeconds. Throws llmp::Error
// (LLMP_E_INVALID) naming `origin` and the field private_key when the key cannot be loaded.
std::string makeServiceAccountJwt(const ServiceAccountKey& key,
                                  const std::vector<std::string>& scopes, int64_t nowSeconds,
                                  std::string_view origin, int64_t lifetimeSeconds = 3600);

// Checks that the key's private_key is a loadable RSA key; throws like makeServiceAccountJwt.
void validatePrivateKey(const ServiceAccountKey& key, std::string_view origin);

// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with an RS256 assertion.
class ServiceAccountSource : public TokenSource {
 public:
  using Clock = std::function<int64_t()>;  // wall clock, Unix epoch seconds
  ServiceAccountSource(HttpFn http, ServiceAccountKey key, std::vector<std::string> scopes,
                       std::string origin, Clock wallSeconds = {}, HttpTimeouts timeouts = {});
  AccessToken fetch() override;
  std::string describe() const override;
  std::vector<std::string> secrets() const override { return {key_.privateKey}; }

 private:
  HttpFn http_;
  ServiceAccountKey key_;
  std::vector<std::string> scopes_;
  std::string origin_;
  Clock wallSeconds_;
  HttpTimeouts timeouts_;
};

inline constexpr const char* kDefaultMetadataUrl = "http://169.254.169.254";

// GET {baseUrl}/computeMetadata/v1/instance/service-accounts/default/token?scopes=... with
// Metadata-Flavor: Google; the answer must carry the same header.
class MetadataServerSource : public TokenSource {
 public:
  MetadataServerSource(HttpFn http, std::string baseUrl, std::vector<std::string> scopes,
                       HttpTimeouts timeouts = {});
  AccessToken fetch() override;
  std::string describe() const override;

 private:
  HttpFn http_;
  std::string baseUrl_;
  std::vector<std::string> scopes_;
  HttpTimeouts timeouts_;
};

// Parses a token endpoint answer. 2xx with access_token -> the token; anything else throws
// llmp::Error: LLMP_E_AUTH for 400/401/403 (with the OAuth error code and description, never the
// request's secrets), LLMP_E_UNAVAILABLE for 5xx, LLMP_E_UPSTREAM_HTTP otherwise. `what` names
// the exchange for messages ("token endpoint http://.../token").
AccessToken parseTokenResponse(int32_t status, std::string_view body, std::string_view what);

// Caches one access token; thread-safe. get() returns the cached token while more than `margin`
// of its lifetime remains; otherwise exactly one caller refreshes (without holding the lock
// during the exchange) and every concurrent caller waits for that result. A failed refresh is
// reported to every waiter; while the old token has not really expired yet it is still returned
// (the refresh is retried on the next call).
class TokenCache {
 public:
  using Clock = std::function<int64_t()>;  // monotonic milliseconds
  TokenCache(std::shared_ptr<TokenSource> source, int64_t refreshMarginMs, Clock monotonicMs);

  std::string get();
  // Forgets the token (e.g. after the upstream answered 401), unless it already changed from
  // `rejectedToken`.
  void invalidate(const std::string& rejectedToken);

  int64_t refreshCount() const;
  // Milliseconds until the cached token expires (negative when expired / none).
  int64_t remainingMs() const;
  std::string describe() const { return source_->describe(); }
  // The current token and the source's secrets, for redaction.
  std::vector<std::string> secrets() const;

 private:
  std::shared_ptr<TokenSource> source_;
  int64_t marginMs_;
  Clock now_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string token_;
  int64_t expiresAtMs_ = 0;
  int64_t refreshAtMs_ = 0;
  bool refreshing_ = false;
  uint64_t generation_ = 0;         // bumped after each finished refresh attempt
  std::exception_ptr lastError_;    // the error of the last failed attempt
  int64_t refreshes_ = 0;
};

// application/x-www-form-urlencoded encoding of one value.
std::string formEncode(std::string_view value);
// base64url without padding.
std::string base64UrlEncode(std::string_view data);

}  // namespace llmp::google
