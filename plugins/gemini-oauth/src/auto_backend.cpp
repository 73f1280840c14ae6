#include "auto_backend.hpp"

#include <algorithm>
#include <climits>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/google_errors.hpp>
#include <llmp/cpp/google_oauth_flow.hpp>
#include <llmp/cpp/json.hpp>

namespace llmp::plugins::gemini_oauth {

namespace {
constexpr int64_t kMinValidityMs = 60 * 1000;
constexpr int64_t kMaxBackoffMs = 300 * 1000;
}  // namespace

AutoBackend::AutoBackend(Host host, OAuthConfig config)
    : host_(host),
      config_(std::move(config)),
      store_(config_.accountsDir),
      caller_(host_, config_) {
  Host h = host_;
  std::string rrKey = "dev.llmp.gemini-oauth:" + config_.instance + ":rr";
  selector_ = std::make_unique<Selector>(
      config_.strategy, config_.affinityMaxEntries, config_.affinityTtlMs,
      [h, rrKey]() { return h.kvIncr(rrKey, 1) - 1; },
      [this](size_t n) {
        std::lock_guard<std::mutex> lock(randomMutex_);
        return std::uniform_int_distribution<size_t>(0, n - 1)(random_);
      });
  reloadIfChanged();
  size_t n;
  {
    std::lock_guard<std::mutex> lock(poolMutex_);
    n = slots_.size();
  }
  host_.log(n == 0 ? LLMP_LOG_WARN : LLMP_LOG_INFO,
            "backend '" + config_.instance + "' (gemini-oauth-auto): " + std::to_string(n) +
                " account(s) in " + config_.accountsDir + ", strategy " + config_.strategy +
                (n == 0 ? "; add one with `llm-proxy accounts add`" : ""));
  const llmp_host_api* api = host_.api();
  if (api != nullptr && LLMP_HOST_HAS(api, timer_start)) {
    auto period = static_cast<uint64_t>(config_.refreshCheckIntervalMs);
    if (api->timer_start(api, std::min<uint64_t>(period, 1000), period, onTimer, this, &timer_) !=
        LLMP_OK) {
      timer_ = nullptr;
    }
  }
}

AutoBackend::~AutoBackend() {
  const llmp_host_api* api = host_.api();
  if (timer_ != nullptr && api != nullptr && LLMP_HOST_HAS(api, timer_cancel)) {
    api->timer_cancel(api, timer_);
  }
}

void LLMP_ABI AutoBackend::onTimer(void* ctx) {
  try {
    static_cast<AutoBackend*>(ctx)->tick();
  } catch (...) {
    // A host thread: nothing may escape.
  }
}

std::string AutoBackend::restKey(const std::string& id) const {
  return "dev.llmp.gemini-oauth:" + config_.instance + ":rest:" + id;
}

void AutoBackend::persist(const Account& a) {
  try {
    store_.save(a);
  } catch (const Error& e) {
    host_.log(LLMP_LOG_ERROR, "cannot save account " + a.id + ": " + e.what());
  }
}

void AutoBackend::reloadIfChanged() {
  int64_t stamp = store_.dirStamp();
  std::lock_guard<std::mutex> lock(poolMutex_);
  if (stamp == stamp_) {
    return;
  }
  stamp_ = stamp;
  std::vector<std::string> skipped;
  std::vector<Account> accounts = store_.loadAll(&skipped);
  for (const auto& s : skipped) {
    host_.log(LLMP_LOG_WARN, "ignoring " + s + ": not a readable account file");
  }
  std::map<std::string, std::shared_ptr<Slot>> next;
  for (auto& a : accounts) {
    auto it = slots_.find(a.id);
    if (it != slots_.end()) {
      auto slot = it->second;
      std::lock_guard<std::mutex> sl(slot->mutex);
      // Another process (the accounts command) rewrote it: take its version.
      if (a.updatedMs > slot->account.updatedMs) {
        bool projectChanged = a.projectId != slot->account.projectId;
        slot->account = a;
        slot->failures = 0;
        slot->nextAttemptMs = 0;
        if (projectChanged) {
          slot->project.clear();
        }
      }
      next[a.id] = slot;
    } else {
      auto slot = std::make_shared<Slot>();
      slot->account = a;
      next[a.id] = slot;
    }
  }
  slots_.swap(next);
}

std::vector<std::shared_ptr<AutoBackend::Slot>> AutoBackend::snapshot() {
  std::lock_guard<std::mutex> lock(poolMutex_);
  std::vector<std::shared_ptr<Slot>> out;
  for (auto& [id, s] : slots_) {
    out.push_back(s);
  }
  return out;
}

std::shared_ptr<AutoBackend::Slot> AutoBackend::find(const std::string& id) {
  std::lock_guard<std::mutex> lock(poolMutex_);
  auto it = slots_.find(id);
  return it == slots_.end() ? nullptr : it->second;
}

std::vector<std::string> AutoBackend::secrets() {
  std::vector<std::string> out{config_.clientSecret};
  for (auto& s : snapshot()) {
    std::lock_guard<std::mutex> lock(s->mutex);
    out.push_back(s->account.accessToken);
    out.push_back(s->account.refreshToken);
  }
  return out;
}

std::string AutoBackend::tokenFor(Slot& slot, int64_t minValidityMs, bool force) {
  std::unique_lock<std::mutex> lock(slot.mutex);
  while (true) {
    if (slot.account.status != "active") {
      throw Error(LLMP_E_AUTH, 401,
                  "account " + slot.account.id + " needs re-authorization (" +
                      (slot.account.lastError.empty() ? "invalid_grant" : slot.account.lastError) +
                      "): run `llm-proxy accounts update " + slot.account.id + "`");
    }
    int64_t now = host_.wallMs();
    if (!force && !slot.account.accessToken.empty() &&
        slot.account.expiryMs - now > minValidityMs) {
      return slot.account.accessToken;
    }
    if (slot.refreshing) {
      slot.cv.wait(lock, [&] { return !slot.refreshing; });
      force = false;  // someone else just refreshed it
      minValidityMs = std::min(minValidityMs, kMinValidityMs);
      continue;
    }
    if (now < slot.nextAttemptMs && !force) {
      if (!slot.account.accessToken.empty() && slot.account.expiryMs > now) {
        return slot.account.accessToken;
      }
      throw Error(LLMP_E_AUTH, 503,
                  "account " + slot.account.id + ": refreshing its token failed (" +
                      slot.lastRefreshError + "); retrying in " +
                      std::to_string((slot.nextAttemptMs - now + 999) / 1000) + " s");
    }
    break;
  }
  if (slot.account.refreshToken.empty()) {
    throw Error(LLMP_E_AUTH, 401,
                "account " + slot.account.id +
                    " has no refresh token: run `llm-proxy accounts "
                    "update " +
                    slot.account.id + "`");
  }
  slot.refreshing = true;
  std::string refreshToken = slot.account.refreshToken;
  std::string id = slot.account.id;
  lock.unlock();
  google::OAuthClient client{
      config_.clientId,
      config_.clientSecret,
      config_.tokenUri,
      {config_.timeouts.connectMs, config_.timeouts.firstByteMs, config_.timeouts.idleMs}};
  auto finish = [&]() {
    slot.refreshing = false;
    slot.cv.notify_all();
  };
  try {
    if (config_.clientId.empty() || config_.clientSecret.empty()) {
      throw Error(LLMP_E_AUTH, 401,
                  "no OAuth client configured to refresh tokens (client_id / client_secret or "
                  "GEMINI_OAUTH_CLIENT_ID / GEMINI_OAUTH_CLIENT_SECRET)");
    }
    google::TokenGrant g =
        google::refreshGrant(google::httpFnFromHost(host_), client, refreshToken);
    int64_t now = host_.wallMs();
    lock.lock();
    slot.account.accessToken = g.accessToken;
    slot.account.expiryMs = now + (g.expiresInMs > 0 ? g.expiresInMs : 3600 * 1000);
    if (!g.refreshToken.empty()) {
      slot.account.refreshToken = g.refreshToken;
    }
    slot.account.updatedMs = now;
    slot.failures = 0;
    slot.nextAttemptMs = 0;
    slot.lastRefreshError.clear();
    persist(slot.account);
    finish();
    host_.log(LLMP_LOG_INFO, "account " + id + ": access token refreshed");
    return slot.account.accessToken;
  } catch (const google::InvalidGrant& e) {
    lock.lock();
    slot.account.status = "needs-reauth";
    slot.account.lastError = "invalid_grant: the refresh token was revoked or expired";
    slot.account.updatedMs = host_.wallMs();
    persist(slot.account);
    finish();
    host_.log(LLMP_LOG_WARN, "account " + id +
                                 " needs re-authorization (invalid_grant); it is out of rotation "
                                 "until `llm-proxy accounts update " +
                                 id + "`");
    throw Error(
        LLMP_E_AUTH, 401,
        "account " + id + " needs re-authorization: run `llm-proxy accounts update " + id + "`");
  } catch (const Error& e) {
    int64_t now = host_.wallMs();
    if (!lock.owns_lock()) {
      lock.lock();
    }
    ++slot.failures;
    int64_t backoff = std::min<int64_t>(kMaxBackoffMs, 1000LL << std::min(slot.failures, 20));
    slot.nextAttemptMs = now + backoff;
    slot.lastRefreshError = redactSecrets(e.what(), {refreshToken, config_.clientSecret});
    finish();
    host_.log(LLMP_LOG_WARN, "account " + id + ": token refresh failed (" + slot.lastRefreshError +
                                 "); next attempt in " + std::to_string(backoff / 1000) + " s");
    if (!slot.account.accessToken.empty() && slot.account.expiryMs > now && !force) {
      return slot.account.accessToken;
    }
    throw;
  }
}

std::string AutoBackend::projectFor(Slot& slot) {
  auto known = [&slot]() -> std::string {
    std::lock_guard<std::mutex> lock(slot.mutex);
    return !slot.account.projectId.empty() ? slot.account.projectId : slot.project;
  };
  if (std::string p = known(); !p.empty()) {
    return p;
  }
  // One setup per account at a time; the slot mutex is never held across the network calls.
  std::lock_guard<std::mutex> setupLock(slot.setupMutex);
  if (std::string p = known(); !p.empty()) {
    return p;
  }
  auto result = caller_.setup([&] { return tokenFor(slot, kMinValidityMs, false); },
                              [&](const std::string&) { tokenFor(slot, kMinValidityMs, true); },
                              code_assist::TierPolicy::GeminiCli, config_.projectId, secrets());
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.project = result.project;
  if (slot.account.projectId.empty()) {
    slot.account.projectId = result.project;
    slot.account.tier = result.tierId;
    slot.account.updatedMs = host_.wallMs();
    persist(slot.account);
  }
  return result.project;
}

int64_t AutoBackend::restingMs(const std::string& id) const {
  auto until = host_.kvGet(restKey(id));
  if (!until) {
    return 0;
  }
  int64_t left = std::strtoll(until->c_str(), nullptr, 10) - host_.wallMs();
  return left > 0 ? left : 0;
}

void AutoBackend::rest(const std::string& id, int64_t ms) {
  if (ms <= 0) {
    return;
  }
  host_.kvSet(restKey(id), std::to_string(host_.wallMs() + ms), ms);
}

std::vector<std::string> AutoBackend::eligible() {
  std::vector<std::string> out;
  int64_t now = host_.wallMs();
  for (auto& s : snapshot()) {
    std::string id;
    {
      std::lock_guard<std::mutex> lock(s->mutex);
      const Account& a = s->account;
      bool usable = a.status == "active" &&
                    (!a.refreshToken.empty() || (!a.accessToken.empty() && a.expiryMs > now));
      if (!usable) {
        continue;
      }
      id = a.id;
    }
    if (restingMs(id) == 0) {
      out.push_back(id);
    }
  }
  return out;
}

void AutoBackend::throwNoAccount() {
  auto all = snapshot();
  if (all.empty()) {
    throw Error(LLMP_E_AUTH, 503,
                "backend '" + config_.instance + "' has no Google accounts in " +
                    config_.accountsDir + ": add one with `llm-proxy accounts add`");
  }
  int64_t minRest = INT64_MAX;
  int resting = 0, reauth = 0;
  for (auto& s : all) {
    std::string id;
    {
      std::lock_guard<std::mutex> lock(s->mutex);
      if (s->account.status != "active") {
        ++reauth;
        continue;
      }
      id = s->account.id;
    }
    int64_t r = restingMs(id);
    if (r > 0) {
      ++resting;
      minRest = std::min(minRest, r);
    }
  }
  if (resting > 0) {
    throw Error(LLMP_E_RATE_LIMITED, 429,
                "all usable accounts of backend '" + config_.instance + "' are rate limited (" +
                    std::to_string(resting) + " resting); the first is available again in " +
                    std::to_string((minRest + 999) / 1000) + " s",
                makeGoogleErrorBody(429, "RESOURCE_EXHAUSTED",
                                    "All accounts are rate limited; retry later.", minRest),
                minRest);
  }
  throw Error(LLMP_E_AUTH, 401,
              "no usable account in backend '" + config_.instance + "': " + std::to_string(reauth) +
                  " need re-authorization (run `llm-proxy accounts list`, then `llm-proxy "
                  "accounts update <id>`)");
}

llmp_status AutoBackend::generate(const llmp_generate_request& request,
                                  const llmp_event_sink* sink) {
  const bool stream = (request.flags & LLMP_GENERATE_STREAM) != 0;
  const std::string session = str(request.session_id);
  reloadIfChanged();
  std::vector<std::string> ids = eligible();
  if (ids.empty()) {
    throwNoAccount();
  }
  std::vector<std::string> order = selector_->order(ids, session, host_.wallMs());
  std::optional<Error> last;
  for (const auto& id : order) {
    auto slot = find(id);
    if (slot == nullptr || restingMs(id) > 0) {
      continue;
    }
    std::string token, project;
    try {
      token = tokenFor(*slot, kMinValidityMs, false);
      project = projectFor(*slot);
    } catch (const Error& e) {
      if (e.code() == LLMP_E_CANCELLED || e.code() == LLMP_E_INVALID) {
        throw;
      }
      caller_.log(LLMP_LOG_WARN, "account " + id + " skipped: " + e.what(), secrets());
      last = e;
      continue;
    }
    const std::string body = caller_.generateBody(request, project);
    code_assist::GenerateOutcome outcome;
    for (int attempt = 0; attempt < 2; ++attempt) {
      outcome = caller_.generate(token, body, stream, sink, secrets());
      if (outcome.ok()) {
        selector_->answered(session, id, host_.wallMs());
        return LLMP_OK;
      }
      if (outcome.cancelled) {
        return LLMP_E_CANCELLED;
      }
      if (outcome.transport == LLMP_OK && outcome.httpStatus == 401 && attempt == 0 &&
          outcome.emitted == 0) {
        try {
          token = tokenFor(*slot, kMinValidityMs, true);
          continue;
        } catch (const Error&) {
          break;
        }
      }
      break;
    }
    // Rotation is only possible before anything reached the client.
    if (outcome.emitted > 0 || outcome.transport != LLMP_OK || outcome.malformed ||
        outcome.streamError) {
      if (outcome.streamError && outcome.emitted == 0 &&
          outcome.streamError->code() == LLMP_E_RATE_LIMITED) {
        int64_t ms = outcome.streamError->retryAfterMs() > 0 ? outcome.streamError->retryAfterMs()
                                                             : config_.defaultRestMs;
        rest(id, ms);
        last = *outcome.streamError;
        continue;
      }
      caller_.throwOutcome(outcome, secrets());
    }
    const int32_t status = outcome.httpStatus;
    MappedError m = mapGoogleHttpError(status, outcome.errorBody, "Code Assist", secrets());
    Error err(m.code, m.httpStatus, "account " + id + ": " + m.message, m.body, m.retryAfterMs);
    if (status == 429) {
      int64_t ms = m.retryAfterMs > 0 ? m.retryAfterMs : config_.defaultRestMs;
      rest(id, ms);
      host_.log(LLMP_LOG_INFO, "account " + id + " is rate limited; it rests " +
                                   std::to_string((ms + 999) / 1000) +
                                   " s and the request moves to the next account");
      last = err;
      continue;
    }
    if (status == 403 || status == 401) {
      host_.log(LLMP_LOG_WARN, "account " + id + " was refused (HTTP " + std::to_string(status) +
                                   "); trying the next account");
      last = err;
      continue;
    }
    throw err;
  }
  if (last && last->code() == LLMP_E_RATE_LIMITED) {
    // Every account tried is resting now: report when the first comes back.
    int64_t minRest = INT64_MAX;
    for (const auto& id : order) {
      int64_t r = restingMs(id);
      if (r > 0) {
        minRest = std::min(minRest, r);
      }
    }
    if (minRest == INT64_MAX) {
      minRest = last->retryAfterMs();
    }
    throw Error(LLMP_E_RATE_LIMITED, 429,
                "every account of backend '" + config_.instance +
                    "' is rate limited; the first is available again in " +
                    std::to_string((std::max<int64_t>(minRest, 0) + 999) / 1000) + " s",
                last->body(), minRest);
  }
  if (last) {
    throw *last;
  }
  throwNoAccount();
}

std::string AutoBackend::countTokens(const llmp_generate_request& request) {
  reloadIfChanged();
  std::vector<std::string> ids = eligible();
  if (ids.empty()) {
    throwNoAccount();
  }
  std::optional<Error> last;
  for (const auto& id : ids) {
    auto slot = find(id);
    if (slot == nullptr) {
      continue;
    }
    try {
      std::string token = tokenFor(*slot, kMinValidityMs, false);
      HttpResponse resp = caller_.countTokens(request, token, secrets());
      if (resp.status == 429 || resp.status == 403 || resp.status == 401) {
        MappedError m = mapGoogleHttpError(resp.status, resp.body, "Code Assist", secrets());
        if (resp.status == 429) {
          rest(id, m.retryAfterMs > 0 ? m.retryAfterMs : config_.defaultRestMs);
        }
        last.emplace(m.code, m.httpStatus, m.message, m.body, m.retryAfterMs);
        continue;
      }
      if (resp.status != 200) {
        caller_.throwUpstream(resp.status, resp.body, secrets());
      }
      return caller_.normalizeCount(resp.body);
    } catch (const Error& e) {
      if (e.code() != LLMP_E_AUTH) {
        throw;
      }
      last = e;
    }
  }
  if (last) {
    throw *last;
  }
  throwNoAccount();
}

std::string AutoBackend::listModels() const {
  return caller_.modelList("through Gemini Code Assist, rotating Google accounts");
}

void AutoBackend::tick() {
  reloadIfChanged();
  int64_t now = host_.wallMs();
  for (auto& s : snapshot()) {
    bool due;
    {
      std::lock_guard<std::mutex> lock(s->mutex);
      const Account& a = s->account;
      due = a.status == "active" && !a.refreshToken.empty() && !s->refreshing &&
            now >= s->nextAttemptMs && a.expiryMs - now <= config_.refreshBufferMs;
    }
    if (!due) {
      continue;
    }
    try {
      tokenFor(*s, config_.refreshBufferMs, true);
    } catch (const Error&) {
      // Logged by tokenFor; the backoff decides the next attempt.
    }
  }
}

std::string AutoBackend::health() {
  reloadIfChanged();
  Json list = Json::array();
  int valid = 0, resting = 0, reauth = 0;
  int64_t now = host_.wallMs();
  for (auto& s : snapshot()) {
    Json entry;
    std::string id;
    {
      std::lock_guard<std::mutex> lock(s->mutex);
      const Account& a = s->account;
      id = a.id;
      entry = {{"id", a.id},
               {"email", a.email},
               {"project", a.projectId},
               {"status", a.status},
               {"tokenValidForSeconds", a.expiryMs > now ? (a.expiryMs - now) / 1000 : 0}};
      if (!s->lastRefreshError.empty()) {
        entry["lastRefreshError"] = s->lastRefreshError;
      }
    }
    int64_t r = restingMs(id);
    if (entry["status"] != "active") {
      ++reauth;
      entry["state"] = "needs-reauth";
    } else if (r > 0) {
      ++resting;
      entry["state"] = "resting";
      entry["restingForSeconds"] = (r + 999) / 1000;
    } else {
      ++valid;
      entry["state"] = "valid";
    }
    list.push_back(entry);
  }
  Json out = {
      {"type", kTypeAuto},
      {"strategy", config_.strategy},
      {"accountsDir", config_.accountsDir},
      {"accounts",
       {{"total", list.size()}, {"valid", valid}, {"resting", resting}, {"needsReauth", reauth}}},
      {"list", list},
      {"ok", valid > 0}};
  return redactSecrets(dumpJson(out), secrets());
}

}  // namespace llmp::plugins::gemini_oauth
