// The gemini-oauth backends on the host's real services (HTTP client, kv, timers, file watch,
// processes) against the fake Google OAuth server and the fake Code Assist server: the
// credentials file rewritten mid-run, refresh before expiry (token endpoint and Gemini CLI),
// tiers, the account pool's strategies, rotation on 429, invalid_grant, background refresh, and
// the loopback callback of `accounts add`.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_oauth_flow.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "account_store.hpp"
#include "auto_backend.hpp"
#include "fake_code_assist.hpp"
#include "fake_google_oauth.hpp"
#include "personal_backend.hpp"
#include "services/host_services.h"

namespace go = llmp::plugins::gemini_oauth;
namespace ca = llmp::fakes::code_assist;
namespace fo = llmp::fakes::google_oauth;
using llmp::Json;

namespace {

std::string tempDir() {
  char tmpl[] = "/tmp/llmp-oauth-backend-XXXXXX";
  return ::mkdtemp(tmpl);
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void writeCreds(const std::string& path, const std::string& access, int64_t expiryMs,
                const std::string& refresh = "1//creds-refresh") {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << Json{
      {"access_token", access},
      {"refresh_token", refresh},
      {"token_type", "Bearer"},
      {"expiry_date",
       expiryMs}}.dump(2);
  ::rename(tmp.c_str(), path.c_str());
}

go::EnvFn noEnv() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

struct Env {
  llmp::host::HostServices services;
  const llmp_host_api* api = services.apiFor("dev.llmp.gemini-oauth");
  ca::FakeCodeAssist codeAssist{[] {
    ca::Options o;
    o.acceptAnyToken = true;
    o.onboardPolls = 1;
    return o;
  }()};
  fo::FakeGoogleOAuth oauth;
  std::string dir = tempDir();

  Env() {
    codeAssist.start();
    oauth.start();
  }

  Json baseConfig() const {
    return {{"code_assist_endpoint", codeAssist.baseUrl()},
            {"token_uri", oauth.tokenUrl()},
            {"auth_uri", oauth.authUrl()},
            {"userinfo_uri", oauth.userinfoUrl()},
            {"onboard_poll_interval_ms", 1}};
  }
  Json withClient(Json c) const {
    c["client_id"] = "fake-oauth-client.apps.googleusercontent.com";
    c["client_secret"] = "fake-oauth-client-secret";
    return c;
  }
  go::OAuthConfig config(const char* type, const Json& c) const {
    return go::parseConfig(type, "test", c.dump(), noEnv());
  }

  // The bearer token of the last generate call the fake received.
  std::string lastBearer(const std::string& kind = "generateContent") const {
    auto reqs = codeAssist.requests();
    for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) {
      if (it->kind == kind) {
        return it->header("Authorization").substr(7);
      }
    }
    return "";
  }
  Json lastBody(const std::string& kind = "generateContent") const {
    auto reqs = codeAssist.requests();
    for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) {
      if (it->kind == kind) {
        return Json::parse(it->body);
      }
    }
    return nullptr;
  }
};

struct Call {
  std::string ir = R"({"contents":[{"role":"user","parts":[{"text":"hello there"}]}]})";
  std::string model = "gemini-2.5-flash";
  std::string session;
  llmp_generate_request request() const {
    llmp_generate_request r{};
    r.struct_size = sizeof(r);
    r.model = llmp::toBytes(model);
    r.ir = llmp::toBytes(ir);
    r.session_id = llmp::toBytes(session);
    return r;
  }
};

template <class Backend>
std::string generateText(Backend& b, const std::string& session = "") {
  Call call;
  call.session = session;
  std::string chunks;
  llmp::EventSinkFn sink([&](uint32_t kind, std::string_view data) {
    if (kind == LLMP_EVENT_CHUNK) {
      chunks.append(data);
    }
    return LLMP_OK;
  });
  llmp_generate_request r = call.request();
  EXPECT_EQ(b.generate(r, sink.sink()), LLMP_OK);
  return chunks;
}

// Polls until pred() holds (file watch and timers run on host threads); no timing assertion.
template <class Pred>
bool eventually(Pred pred, int maxMs = 10000) {
  for (int waited = 0; waited < maxMs; waited += 20) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace

// ---- gemini-oauth-plan / -free -------------------------------------------------------------

TEST(PersonalBackend, ARewrittenCredsFileIsUsedAtOnce) {
  Env env;
  std::string creds = env.dir + "/oauth_creds.json";
  writeCreds(creds, "ya29.first", nowMs() + 3600 * 1000);
  Json c = env.baseConfig();
  c["oauth_creds_path"] = creds;
  go::PersonalBackend b(llmp::Host(env.api), env.config(go::kTypePlan, c), noEnv());
  EXPECT_NE(generateText(b).find("echo: hello there"), std::string::npos);
  EXPECT_EQ(env.lastBearer(), "ya29.first");
  EXPECT_EQ(env.lastBody()["project"], "fake-managed-project");

  writeCreds(creds, "ya29.second", nowMs() + 3600 * 1000);
  EXPECT_TRUE(eventually([&] {
    generateText(b);
    return env.lastBearer() == "ya29.second";
  })) << "the rewritten token was never used";
  std::string health = b.health();
  EXPECT_EQ(health.find("ya29."), std::string::npos) << health;
  EXPECT_NE(health.find("standard-tier"), std::string::npos) << health;
}

TEST(PersonalBackend, RefreshesBeforeExpiryAtTheTokenEndpointWhenAClientIsConfigured) {
  Env env;
  std::string creds = env.dir + "/oauth_creds.json";
  env.oauth.addRefreshToken("1//creds-refresh", "me@example.com");
  writeCreds(creds, "ya29.almost-expired", nowMs() + 60 * 1000);  // inside the 300 s margin
  Json c = env.withClient(env.baseConfig());
  c["oauth_creds_path"] = creds;
  go::PersonalBackend b(llmp::Host(env.api), env.config(go::kTypeFree, c), noEnv());
  generateText(b);
  EXPECT_EQ(env.oauth.count("refresh"), 1);
  EXPECT_EQ(env.oauth.emailOfAccessToken(env.lastBearer()), "me@example.com");
  generateText(b);
  EXPECT_EQ(env.oauth.count("refresh"), 1) << "the fresh token is cached";
}

TEST(PersonalBackend, RefreshesThroughTheGeminiCliWhenNoClientIsConfigured) {
  Env env;
  std::string creds = env.dir + "/oauth_creds.json";
  writeCreds(creds, "ya29.stale", nowMs() - 1000);  // already expired
  // A stand-in for `gemini`: rewrites the credentials file as the real CLI does on refresh.
  std::string script = env.dir + "/fake-gemini";
  std::ofstream(script) << "#!/bin/sh\n"
                           "cat > '" +
                               creds +
                               ".new' <<EOF\n"
                               "{\"access_token\":\"ya29.from-cli\",\"refresh_token\":\"1//r\","
                               "\"expiry_date\":" +
                               std::to_string(nowMs() + 3600 * 1000) +
                               "}\n"
                               "EOF\n"
                               "mv '" +
                               creds + ".new' '" + creds + "'\necho OK\n";
  ::chmod(script.c_str(), 0755);
  Json c = env.baseConfig();
  c["oauth_creds_path"] = creds;
  c["gemini_cli_executable"] = script;
  go::PersonalBackend b(llmp::Host(env.api), env.config(go::kTypePlan, c), noEnv());
  generateText(b);
  EXPECT_EQ(env.lastBearer(), "ya29.from-cli");
  EXPECT_NE(b.health().find("\"cliRefreshes\":1"), std::string::npos) << b.health();
}

TEST(PersonalBackend, ACliThatCannotRefreshGivesAClearError) {
  Env env;
  std::string creds = env.dir + "/oauth_creds.json";
  writeCreds(creds, "ya29.stale", nowMs() - 1000);
  Json c = env.baseConfig();
  c["oauth_creds_path"] = creds;
  c["gemini_cli_executable"] = "/bin/false";
  go::PersonalBackend b(llmp::Host(env.api), env.config(go::kTypeFree, c), noEnv());
  Call call;
  llmp::EventSinkFn sink([](uint32_t, std::string_view) { return LLMP_OK; });
  llmp_generate_request r = call.request();
  try {
    b.generate(r, sink.sink());
    FAIL();
  } catch (const llmp::Error& e) {
    EXPECT_EQ(e.code(), LLMP_E_AUTH);
    EXPECT_NE(std::string(e.what()).find("did not refresh"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("ya29.stale"), std::string::npos);
  }
}

TEST(PersonalBackend, FreeOnboardsToTheFreeTierWithoutAProject) {
  Env env;
  env.codeAssist.setTierMode(ca::TierMode::StandardTier);  // free-tier offered, not the default
  std::string creds = env.dir + "/oauth_creds.json";
  writeCreds(creds, "ya29.t", nowMs() + 3600 * 1000);
  Json c = env.baseConfig();
  c["oauth_creds_path"] = creds;
  go::PersonalBackend b(llmp::Host(env.api), env.config(go::kTypeFree, c), noEnv());
  generateText(b);
  Json onboard = env.lastBody("onboardUser");
  EXPECT_EQ(onboard["tierId"], "free-tier");
  EXPECT_FALSE(onboard.contains("cloudaicompanionProject"));
  EXPECT_EQ(env.lastBody()["project"], "managed-free-project");
}

TEST(PersonalBackend, PlanRefusesAFreeTierAccount) {
  Env env;
  env.codeAssist.setTierMode(ca::TierMode::FreeTier);
  std::string creds = env.dir + "/oauth_creds.json";
  writeCreds(creds, "ya29.t", nowMs() + 3600 * 1000);
  Json c = env.baseConfig();
  c["oauth_creds_path"] = creds;
  go::PersonalBackend b(llmp::Host(env.api), env.config(go::kTypePlan, c), noEnv());
  Call call;
  llmp::EventSinkFn sink([](uint32_t, std::string_view) { return LLMP_OK; });
  llmp_generate_request r = call.request();
  try {
    b.generate(r, sink.sink());
    FAIL();
  } catch (const llmp::Error& e) {
    EXPECT_EQ(e.httpStatus(), 403);
    EXPECT_NE(std::string(e.what()).find("free tier"), std::string::npos) << e.what();
  }
}

TEST(PersonalBackend, MissingCredentialsAreReportedAtCreate) {
  Env env;
  Json c = env.baseConfig();
  c["oauth_creds_path"] = env.dir + "/nope.json";
  try {
    go::PersonalBackend b(llmp::Host(env.api), env.config(go::kTypePlan, c), noEnv());
    FAIL();
  } catch (const llmp::Error& e) {
    EXPECT_NE(std::string(e.what()).find(env.dir + "/nope.json"), std::string::npos);
  }
}

// ---- gemini-oauth-auto -----------------------------------------------------------------------

namespace {

// Accounts a, b, c with valid tokens issued by the fake (so the fake knows their e-mails).
void addAccounts(Env& env, const std::string& dir, std::vector<std::string> ids,
                 int64_t expiryMs = 0) {
  go::AccountStore store(dir);
  for (const auto& id : ids) {
    std::string rt = "1//rt-" + id;
    env.oauth.addRefreshToken(rt, id + "@example.com");
    go::Account a;
    a.id = id;
    a.email = id + "@example.com";
    a.refreshToken = rt;
    a.accessToken = "at-" + id;
    a.expiryMs = expiryMs != 0 ? expiryMs : nowMs() + 3600 * 1000;
    a.projectId = "proj-" + id;
    a.updatedMs = 1;
    store.save(a);
  }
}

std::unique_ptr<go::AutoBackend> makeAuto(Env& env, const std::string& strategy,
                                          Json extra = Json::object()) {
  Json c = env.withClient(env.baseConfig());
  c["accounts_dir"] = env.dir + "/accounts";
  extra["selection_strategy"] = strategy;
  c["extra"] = extra;
  return std::make_unique<go::AutoBackend>(llmp::Host(env.api), env.config(go::kTypeAuto, c));
}

}  // namespace

TEST(AutoBackend, FirstAvailableRotatesOnRateLimitAndRestsTheAccount) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a", "b", "c"});
  auto b = makeAuto(env, "first-available");
  generateText(*b);
  EXPECT_EQ(env.lastBearer(), "at-a");
  env.codeAssist.fail({"generateContent", 429, "quota", "30s", "RATE_LIMIT_EXCEEDED", 1});
  generateText(*b);
  EXPECT_EQ(env.lastBearer(), "at-b") << "the 429 moved the request to the next account";
  EXPECT_GT(b->restingMs("a"), 20000);
  generateText(*b);
  EXPECT_EQ(env.lastBearer(), "at-b") << "a still rests";
  Json h = Json::parse(b->health());
  EXPECT_EQ(h["accounts"]["resting"], 1);
  EXPECT_EQ(h["accounts"]["valid"], 2);
  EXPECT_EQ(b->health().find("at-"), std::string::npos) << "no token in the health view";
}

TEST(AutoBackend, AllAccountsRateLimitedGives429WithTheEarliestRetry) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a", "b"});
  auto b = makeAuto(env, "round-robin");
  env.codeAssist.fail({"generateContent", 429, "quota", "40s", "RATE_LIMIT_EXCEEDED", 1});
  env.codeAssist.fail({"generateContent", 429, "quota", "20s", "RATE_LIMIT_EXCEEDED", 1});
  Call call;
  llmp::EventSinkFn sink([](uint32_t, std::string_view) { return LLMP_OK; });
  llmp_generate_request r = call.request();
  try {
    b->generate(r, sink.sink());
    FAIL();
  } catch (const llmp::Error& e) {
    EXPECT_EQ(e.httpStatus(), 429);
    EXPECT_GT(e.retryAfterMs(), 10000);
    EXPECT_LE(e.retryAfterMs(), 20000);
  }
}

TEST(AutoBackend, APermissionErrorRotatesToo) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a", "b"});
  auto b = makeAuto(env, "first-available");
  env.codeAssist.fail({"generateContent", 403, "The caller does not have permission", "", "", 1});
  generateText(*b);
  EXPECT_EQ(env.lastBearer(), "at-b");
}

TEST(AutoBackend, RoundRobinSpreadsRequests) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a", "b", "c"});
  auto b = makeAuto(env, "round-robin");
  std::set<std::string> used;
  for (int i = 0; i < 3; ++i) {
    generateText(*b, "same-session");
    used.insert(env.lastBearer());
  }
  EXPECT_EQ(used.size(), 3u);
}

TEST(AutoBackend, RandomUsesOnlyPoolAccounts) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a", "b"});
  auto b = makeAuto(env, "random");
  for (int i = 0; i < 6; ++i) {
    generateText(*b);
    std::string t = env.lastBearer();
    EXPECT_TRUE(t == "at-a" || t == "at-b") << t;
  }
}

TEST(AutoBackend, SessionAffinityKeepsEachSessionOnOneAccount) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a", "b", "c"});
  auto b = makeAuto(env, "session-affinity");
  generateText(*b, "s1");
  std::string s1 = env.lastBearer();
  generateText(*b, "s2");
  std::string s2 = env.lastBearer();
  EXPECT_NE(s1, s2);
  for (int i = 0; i < 3; ++i) {
    generateText(*b, "s1");
    EXPECT_EQ(env.lastBearer(), s1);
    generateText(*b, "s2");
    EXPECT_EQ(env.lastBearer(), s2);
  }
}

TEST(AutoBackend, InvalidGrantTakesTheAccountOutOfRotation) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a"}, nowMs() - 1000);  // expired: must refresh
  addAccounts(env, env.dir + "/accounts", {"b"});
  env.oauth.revoke("a@example.com");
  auto b = makeAuto(env, "first-available");
  generateText(*b);
  EXPECT_EQ(env.lastBearer(), "at-b");
  go::Account a = go::AccountStore(env.dir + "/accounts").load("a");
  EXPECT_EQ(a.status, "needs-reauth");
  Json h = Json::parse(b->health());
  EXPECT_EQ(h["accounts"]["needsReauth"], 1);
  int refreshes = env.oauth.count("refresh");
  generateText(*b);
  EXPECT_EQ(env.oauth.count("refresh"), refreshes) << "a is no longer tried";
}

TEST(AutoBackend, BackgroundRefreshBeforeExpiryPersistsTheNewToken) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a"}, nowMs() + 100 * 1000);  // inside the buffer
  auto b = makeAuto(env, "first-available");
  b->tick();
  EXPECT_GE(env.oauth.count("refresh"), 1);
  go::Account a = go::AccountStore(env.dir + "/accounts").load("a");
  EXPECT_EQ(env.oauth.emailOfAccessToken(a.accessToken), "a@example.com");
  EXPECT_GT(a.expiryMs, nowMs() + 3000 * 1000);
  generateText(*b);
  EXPECT_EQ(env.lastBearer(), a.accessToken);
}

TEST(AutoBackend, RefreshFailuresBackOffAndKeepTheStillValidToken) {
  Env env;
  addAccounts(env, env.dir + "/accounts", {"a"}, nowMs() + 100 * 1000);
  auto b = makeAuto(env, "first-available");
  env.oauth.failToken(503, 1);
  b->tick();
  EXPECT_EQ(env.oauth.count("refresh"), 0) << "the failure happened before the grant";
  b->tick();  // within the backoff: no new attempt
  generateText(*b);
  EXPECT_EQ(env.lastBearer(), "at-a");
  EXPECT_NE(b->health().find("lastRefreshError"), std::string::npos);
}

TEST(AutoBackend, AccountsAddedWhileRunningArePickedUp) {
  Env env;
  auto b = makeAuto(env, "first-available");
  Call call;
  llmp::EventSinkFn sink([](uint32_t, std::string_view) { return LLMP_OK; });
  llmp_generate_request r = call.request();
  try {
    b->generate(r, sink.sink());
    FAIL();
  } catch (const llmp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("accounts add"), std::string::npos);
  }
  addAccounts(env, env.dir + "/accounts", {"late"});
  generateText(*b);
  EXPECT_EQ(env.lastBearer(), "at-late");
}

// ---- the loopback callback ------------------------------------------------------------------

namespace {
int httpGet(uint16_t port, const std::string& target) {
  Poco::Net::HTTPClientSession s("127.0.0.1", port);
  Poco::Net::HTTPRequest req("GET", target);
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  s.receiveResponse(resp);
  return resp.getStatus();
}
}  // namespace

TEST(LoopbackCallback, AWrongStateIsRefusedAndOtherPathsAreIgnored) {
  llmp::google::LoopbackCallback cb("127.0.0.1", 0);
  auto browser = std::async(std::launch::async, [&] {
    int favicon = httpGet(cb.port(), "/favicon.ico");
    int wrong = httpGet(cb.port(), "/oauth2callback?code=c1&state=evil");
    return std::make_pair(favicon, wrong);
  });
  bool finished = false;
  auto result = cb.wait("good", 10000, [&](const std::string&) {
    finished = true;
    return std::string("ok");
  });
  auto statuses = browser.get();
  EXPECT_EQ(statuses.first, 404);
  EXPECT_EQ(statuses.second, 400);
  EXPECT_FALSE(finished);
  EXPECT_NE(result.error.find("state mismatch"), std::string::npos);
}

TEST(LoopbackCallback, TheRightStateRunsFinishBeforeTheBrowserGetsItsPage) {
  llmp::google::LoopbackCallback cb("127.0.0.1", 0);
  EXPECT_EQ(cb.redirectUri(), "http://127.0.0.1:" + std::to_string(cb.port()) + "/oauth2callback");
  auto browser = std::async(std::launch::async, [&] {
    return httpGet(cb.port(), "/oauth2callback?code=c%2F1&state=good");
  });
  std::string code;
  auto result = cb.wait("good", 10000, [&](const std::string& c) {
    code = c;
    return std::string("added");
  });
  EXPECT_EQ(browser.get(), 200);
  EXPECT_EQ(result.code, "c/1");
  EXPECT_EQ(code, "c/1");
  EXPECT_TRUE(result.error.empty());
}
