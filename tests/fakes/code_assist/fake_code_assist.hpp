// A fake Google Code Assist server (cloudcode-pa.googleapis.com, v1internal) with a fake OAuth
// token endpoint and a fake GCE metadata server, all on one 127.0.0.1 port, for tests.
//
//   POST /v1internal:loadCodeAssist     tier state per TierMode (onboarded after onboardUser)
//   POST /v1internal:onboardUser        a long-running operation, done after `onboardPolls` GETs
//   GET  /v1internal/operations/<id>    polls it
//   POST /v1internal:generateContent    {response: {...echo...}, traceId}
//   POST /v1internal:streamGenerateContent?alt=sse   SSE of wrapped chunks
//   POST /v1internal:countTokens        {totalTokens}
//   POST /v1internal:retrieveUserQuota, :listExperiments   what gemini-cli calls as well
//   POST /token                         grant_type jwt-bearer (RS256 verified with the public
//                                       key the test registers) and refresh_token
//   GET  /computeMetadata/v1/instance/service-accounts/default/token   (Metadata-Flavor: Google)
//   /__fake/...                         control endpoints for node tests (see fake_code_assist_main)
// Every Code Assist call must carry `Authorization: Bearer <token>` with a token this fake
// issued or one registered with addValidToken (unless acceptAnyToken). Requests are recorded.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fake_http.hpp"

namespace llmp::fakes::code_assist {

using HeaderPairs = llmp::fakes::HeaderPairs;

// method, path, query, headers, body and header(name) come from RecordedRequest.
struct Recorded : RecordedRequest {
  // The Code Assist method ("generateContent", ...), "operation", "token", "metadata", or "".
  std::string kind;
};

enum class TierMode {
  Onboarded,     // currentTier = onboardedTierId, cloudaicompanionProject = the request's project
  StandardTier,  // not onboarded; allowedTiers: free-tier, standard-tier (default)
  EnterpriseTier,  // not onboarded; allowedTiers: standard-tier, enterprise-tier
  FreeTier,      // not onboarded; allowedTiers: free-tier only
  NoneAllowed,   // not onboarded; no allowed tier, an ineligible tier with a reason
};

struct Options {
  uint16_t port = 0;
  TierMode tierMode = TierMode::Onboarded;
  std::string onboardedTierId = "standard-tier";
  int onboardPolls = 2;  // operation GETs answered done:false before done:true
  bool acceptAnyToken = false;
  int streamChunks = 3;
  // Token endpoint.
  std::string serviceAccountEmail;  // expected iss
  std::string publicKeyPem;         // verifies the JWT signature
  std::string clientId, clientSecret, refreshToken;  // the authorized_user refresh grant
  int tokenExpiresIn = 3600;
  int tokenDelayMs = 0;  // delay before answering a token request
};

// One scripted failure: the next `times` calls of `method` (e.g. "generateContent",
// "streamGenerateContent", "countTokens", "loadCodeAssist", "onboardUser", "token") answer
// `status` with a Google error body.
struct Failure {
  std::string method;
  int status = 500;
  std::string message = "fake failure";
  std::string retryDelay;  // e.g. "7s": adds google.rpc.RetryInfo
  std::string reason;      // adds google.rpc.ErrorInfo (domain cloudcode-pa.googleapis.com)
  int times = 1;
  // Streaming methods only: >= 0 sends that many normal chunks (HTTP 200), then the error body
  // as an SSE event, then ends the stream.
  int afterChunks = -1;
};

class FakeCodeAssist {
 public:
  explicit FakeCodeAssist(Options options = {});
  ~FakeCodeAssist();
  FakeCodeAssist(const FakeCodeAssist&) = delete;
  FakeCodeAssist& operator=(const FakeCodeAssist&) = delete;

  void start();
  void stop();
  uint16_t port() const;
  std::string baseUrl() const;   // http://127.0.0.1:<port>
  std::string tokenUrl() const;  // baseUrl() + "/token" (also the JWT aud it expects)

  // Scripting.
  void setTierMode(TierMode mode);
  void addValidToken(const std::string& token);
  void fail(Failure failure);
  void setStreamChunks(int n);
  void setTokenExpiresIn(int seconds);
  void setTokenDelayMs(int ms);
  void configureServiceAccount(const std::string& email, const std::string& publicKeyPem);
  void configureAuthorizedUser(const std::string& clientId, const std::string& clientSecret,
                               const std::string& refreshToken);
  // Streams pause after `chunks` chunks until release() (or stop()); -1 = no hold.
  void holdStreamsAfter(int chunks);
  void release();
  void reset();  // forgets requests, failures, issued tokens; onboarding state back to the mode

  // Observation.
  std::vector<Recorded> requests() const;
  int count(std::string_view kind) const;  // recorded requests of a kind
  std::vector<std::string> issuedTokens() const;
  std::string lastTokenError() const;  // why the token endpoint last refused, "" if it did not
  int chunksSent() const;
  bool waitForChunks(int n, int timeoutMs) const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Test helpers (OpenSSL): a fresh 2048-bit RSA key pair as PEM (PKCS#8 private, SPKI public).
struct KeyPair {
  std::string privatePem;
  std::string publicPem;
};
KeyPair generateRsaKeyPair();

// The JSON text of a service-account key file whose token_uri is `tokenUri`.
std::string serviceAccountJson(const std::string& email, const std::string& privatePem,
                               const std::string& tokenUri, const std::string& projectId = "p");

}  // namespace llmp::fakes::code_assist
