// gemini-oauth-plan and gemini-oauth-free: one Google account, the Gemini CLI's cached OAuth
// credentials (oauth_creds.json). The file is watched, so a token the Gemini CLI writes is used
// at once; before the token expires it is refreshed directly at the token endpoint (when an OAuth
// client is configured) or by running the Gemini CLI so that it rewrites the file. Thread-safe.
#pragma once

#include <llmp/backend.h>

#include <condition_variable>
#include <llmp/cpp/google_oauth.hpp>
#include <llmp/cpp/host.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "code_assist_caller.hpp"
#include "config.hpp"
#include "creds_file.hpp"

namespace llmp::plugins::gemini_oauth {

// Tokens from oauth_creds.json; refreshes as described above. fetch() blocks while the Gemini
// CLI runs, so requests wait for the fresh token.
class CredsFileSource : public google::TokenSource {
 public:
  CredsFileSource(Host host, const OAuthConfig& config, std::string path);
  google::AccessToken fetch() override;
  std::string describe() const override;
  std::vector<std::string> secrets() const override;

  // The watch saw the file change: forget a token refreshed in memory, wake a CLI wait.
  void fileChanged();
  std::string lastIssued() const;
  int64_t cliRuns() const;
  int64_t directRefreshes() const;

 private:
  google::AccessToken issue(const std::string& token, int64_t expiryMs, int64_t nowMs);
  google::AccessToken refreshWithCli(const CliCreds& stale, int64_t nowMs);
  bool fresh(const CliCreds& c, int64_t nowMs) const;

  Host host_;
  const OAuthConfig& config_;
  std::string path_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t fileGeneration_ = 0;
  std::string refreshedToken_;  // from a direct refresh, until the file changes
  int64_t refreshedExpiryMs_ = 0;
  std::string lastIssued_;
  std::string refreshToken_;
  int64_t cliRuns_ = 0;
  int64_t directRefreshes_ = 0;
};

class PersonalBackend {
 public:
  // Finds and validates the credentials file (throws llmp::Error naming the paths tried) and
  // watches it. No network call happens here.
  PersonalBackend(Host host, OAuthConfig config, const EnvFn& env);
  ~PersonalBackend();
  PersonalBackend(const PersonalBackend&) = delete;
  PersonalBackend& operator=(const PersonalBackend&) = delete;

  llmp_status generate(const llmp_generate_request& request, const llmp_event_sink* sink);
  std::string countTokens(const llmp_generate_request& request);
  std::string listModels() const;
  std::string health() const;
  const std::string& credsPath() const { return path_; }

 private:
  code_assist::SetupResult ensureSetup();
  std::vector<std::string> secrets() const;
  static void LLMP_ABI onFileChange(void* ctx, llmp_bytes path);

  Host host_;
  OAuthConfig config_;
  std::string path_;
  std::shared_ptr<CredsFileSource> source_;
  std::unique_ptr<google::TokenCache> tokens_;
  CodeAssistCaller caller_;
  llmp_file_watch* watch_ = nullptr;
  mutable std::mutex setupMutex_;
  std::optional<code_assist::SetupResult> setup_;
};

}  // namespace llmp::plugins::gemini_oauth
