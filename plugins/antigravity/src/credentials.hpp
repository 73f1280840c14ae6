// Where an antigravity-oauth backend gets its Google access token:
//  - the Antigravity app's state database (state.vscdb, a VS Code style SQLite key-value store,
//    table ItemTable(key, value)). Records read, newest format first:
//      antigravityUnifiedStateSync.oauthToken   base64 protobuf topic {1: {1: sentinel key,
//                                               2: {1: base64 OAuthTokenInfo}}}
//      jetskiStateSync.agentManagerInitState    base64 protobuf, field 6 = OAuthTokenInfo
//      antigravityAuthStatus                    JSON {"apiKey": <access token>, "email", ...}
//    OAuthTokenInfo = {1: access_token, 2: token_type, 3: refresh_token, 4: {1: expiry seconds}}.
//    (Layout reverse-engineered by CLIProxyAPI; subject to change.)
//  - a credentials file written by the project's own OAuth flow (the oauth_creds.json shape:
//    access_token, refresh_token, expiry_date in epoch ms).
// Tokens are refreshed with Antigravity's OAuth client when its id and secret are configured.
// Nothing here puts a token or secret into a message.
#pragma once

#include <llmp/cpp/google_oauth.hpp>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace llmp::plugins::antigravity {

struct StoredToken {
  std::string accessToken;
  std::string refreshToken;
  int64_t expiryMs = 0;  // epoch ms; 0 = unknown
  std::string email;
  std::string clientId, clientSecret;  // only from a credentials file that carries them
  std::string origin;  // e.g. "state.vscdb /x/state.vscdb (antigravityAuthStatus)"
};

// Reads the token from a state database. Throws llmp::Error(LLMP_E_AUTH, 401) naming the path
// when the file is missing, unreadable, or holds no signed-in account.
StoredToken readStateDb(const std::string& path);
// Reads a credentials file; throws like readStateDb.
StoredToken readCredentialsFile(const std::string& path);

// Minimal protobuf reading, exposed for tests: the length-delimited / varint fields with number
// `field` at the top level of `message` (empty when absent or the message is malformed).
std::vector<std::string> protoBytesFields(std::string_view message, uint32_t field);
bool protoVarintField(std::string_view message, uint32_t field, uint64_t* out);
std::string base64Decode(std::string_view text, bool* ok);
std::string base64Encode(std::string_view data);
// Decodes an OAuthTokenInfo message (fields above) into `out`; false when it has no token.
bool parseOAuthTokenInfo(std::string_view message, StoredToken* out);

// A TokenSource over the configured store: returns the stored access token while it is valid
// beyond the refresh margin, refreshes it with the OAuth client when it is about to expire (and
// a refresh token and client values exist), and otherwise reports the expiry clearly.
class StoreTokenSource : public google::TokenSource {
 public:
  using WallClock = std::function<int64_t()>;  // epoch ms
  StoreTokenSource(AntigravityConfig config, google::HttpFn http, WallClock wallMs);
  google::AccessToken fetch() override;
  std::string describe() const override;
  std::vector<std::string> secrets() const override;

  // The database path in use (the first existing candidate, or the configured one).
  std::string location() const;
  int64_t refreshes() const;

 private:
  StoredToken load() const;

  AntigravityConfig config_;
  google::HttpFn http_;
  WallClock wallMs_;
  mutable std::mutex mutex_;
  std::vector<std::string> seenSecrets_;
  int64_t refreshes_ = 0;
};

}  // namespace llmp::plugins::antigravity
