// A fake Antigravity upstream (the Code Assist host family as Antigravity uses it,
// shared/protocols/antigravity.md) with a fake OAuth token endpoint, on one 127.0.0.1 port.
//
//   POST /v1internal:loadCodeAssist          {currentTier, cloudaicompanionProject} (or not
//                                            onboarded: allowedTiers, then onboardUser)
//   POST /v1internal:onboardUser             {done: true, response: {cloudaicompanionProject}}
//   POST /v1internal:fetchAvailableModels    {models: {<id>: {...}}} (with one internal id)
//   POST /v1internal:generateContent         {response: {...}, traceId}
//   POST /v1internal:streamGenerateContent?alt=sse   SSE of wrapped chunks
//   POST /v1internal:countTokens             {totalTokens}
//   POST /token                              refresh_token grant for the configured client
//   /__fake/requests, /__fake/reset, /__fake/fail, /__fake/token   control (node tests)
//
// It checks what a real upstream would refuse and answers 400 naming the problem: the
// Antigravity body fields (userAgent, requestType, requestId, request.sessionId, project), for
// Claude models the VALIDATED function-calling mode, `parameters` (not parametersJsonSchema),
// and in later turns the signed thinking in front of each tool call and functionResponse ids
// matching the call ids it issued. Gemini answers carry signatures on the function call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fake_http.hpp"

namespace llmp::fakes::antigravity {

// method, path, query, headers, body and header(name) come from RecordedRequest.
struct Recorded : RecordedRequest {
  std::string kind;  // "generateContent", "streamGenerateContent", "token", ...
};

struct Options {
  uint16_t port = 0;
  std::string project = "fake-project-1";
  bool onboarded = true;
  std::vector<std::string> validTokens;  // accepted bearer tokens
  std::string clientId, clientSecret, refreshToken;  // the refresh grant it accepts
  int tokenExpiresIn = 3600;
};

struct Failure {
  std::string method;  // "generateContent", "streamGenerateContent", "countTokens", "*", ...
  int status = 429;
  std::string message = "fake failure";
  int times = 1;
};

class FakeAntigravity {
 public:
  explicit FakeAntigravity(Options options = {});
  ~FakeAntigravity();
  FakeAntigravity(const FakeAntigravity&) = delete;
  FakeAntigravity& operator=(const FakeAntigravity&) = delete;

  void start();
  void stop();
  uint16_t port() const;
  std::string baseUrl() const;

  void addValidToken(const std::string& token);
  void fail(Failure failure);
  void reset();
  std::vector<Recorded> requests() const;
  int count(const std::string& kind) const;
  std::vector<std::string> issuedTokens() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Test helpers: state.vscdb files the way the Antigravity app writes them.
enum class StateFormat { Unified, Jetski, AuthStatus };
// Writes (creates or replaces) an ItemTable with the token record in `format`; expirySeconds is
// epoch seconds (ignored for AuthStatus). Throws std::runtime_error on SQLite failure.
void writeStateDb(const std::string& path, StateFormat format, const std::string& accessToken,
                  const std::string& refreshToken, int64_t expirySeconds,
                  const std::string& email = "dev@example.com");

}  // namespace llmp::fakes::antigravity
