// gemini-oauth-auto: a pool of Google accounts signed in with `llm-proxy accounts add`, one JSON
// file each. Tokens are refreshed in the background before they expire (one refresh at a time
// per account, backoff on failure); invalid_grant takes an account out of rotation until
// `accounts update`. Requests pick an account by the selection strategy; a 429 rests that account
// for its retry delay (state in the host kv) and the request moves on to the next eligible one at
// once, as does a 403 (project permission). Thread-safe.
#pragma once

#include <llmp/backend.h>

#include <condition_variable>
#include <llmp/cpp/host.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "account_store.hpp"
#include "code_assist_caller.hpp"
#include "config.hpp"
#include "selection.hpp"

namespace llmp::plugins::gemini_oauth {

class AutoBackend {
 public:
  // Loads the accounts (none is allowed: requests then say how to add one) and starts the
  // background refresh timer.
  AutoBackend(Host host, OAuthConfig config);
  ~AutoBackend();
  AutoBackend(const AutoBackend&) = delete;
  AutoBackend& operator=(const AutoBackend&) = delete;

  llmp_status generate(const llmp_generate_request& request, const llmp_event_sink* sink);
  std::string countTokens(const llmp_generate_request& request);
  std::string listModels() const;
  std::string health();

  // One background pass: reload changed account files, refresh tokens within the buffer.
  void tick();
  // Milliseconds the account still rests (0 when it does not).
  int64_t restingMs(const std::string& id) const;

 private:
  struct Slot {
    Account account;
    std::mutex mutex;
    std::condition_variable cv;
    bool refreshing = false;
    int failures = 0;
    int64_t nextAttemptMs = 0;
    std::string lastRefreshError;
    std::mutex setupMutex;  // serializes setup; taken before `mutex`, never inside it
    std::string project;    // discovered through setup (guarded by `mutex`)
  };

  void reloadIfChanged();
  std::vector<std::shared_ptr<Slot>> snapshot();
  std::shared_ptr<Slot> find(const std::string& id);
  // A token valid for at least minValidityMs, refreshing when needed (force: even if valid).
  std::string tokenFor(Slot& slot, int64_t minValidityMs, bool force);
  std::string projectFor(Slot& slot);
  void rest(const std::string& id, int64_t ms);
  std::vector<std::string> eligible();
  [[noreturn]] void throwNoAccount();
  std::vector<std::string> secrets();
  void persist(const Account& a);
  std::string restKey(const std::string& id) const;
  static void LLMP_ABI onTimer(void* ctx);

  Host host_;
  OAuthConfig config_;
  AccountStore store_;
  CodeAssistCaller caller_;
  std::unique_ptr<Selector> selector_;
  std::mutex poolMutex_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
  int64_t stamp_ = -1;
  std::mutex randomMutex_;
  std::mt19937 random_{std::random_device{}()};
  llmp_timer* timer_ = nullptr;
};

}  // namespace llmp::plugins::gemini_oauth
