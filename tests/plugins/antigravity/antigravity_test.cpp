// The antigravity-oauth backend's pieces: the state database reader (test-made SQLite files in
// each format the app writes), model-name mapping, the Antigravity body, the token source's
// expiry and refresh rules, and the backend against fake upstreams (host fallback on 429 and on
// a dead host, project discovery, streaming).
#include <gtest/gtest.h>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <unistd.h>

#include "backend.hpp"
#include "config.hpp"
#include "credentials.hpp"
#include "fake_antigravity.hpp"
#include "models.hpp"
#include "request.hpp"

#ifdef LLMP_ANTIGRAVITY_HOST_SERVICES
#include "services/host_services.h"
#endif

namespace {

using llmp::Json;
using namespace llmp::plugins::antigravity;
namespace fake = llmp::fakes::antigravity;

std::string tempPath(const std::string& name) {
  static std::string dir = [] {
    char tmpl[] = "/tmp/llmp-ag-test-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return dir + "/" + name;
}

int64_t nowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

template <typename Fn>
std::string errorOf(Fn&& fn, llmp_status* code = nullptr) {
  try {
    fn();
  } catch (const llmp::Error& e) {
    if (code != nullptr) {
      *code = e.code();
    }
    return e.what();
  }
  return "(no error)";
}

// ---- state database ---------------------------------------------------------------------------

TEST(StateDb, ReadsTheUnifiedOAuthRecord) {
  std::string path = tempPath("unified.vscdb");
  fake::writeStateDb(path, fake::StateFormat::Unified, "ya29.unified", "1//refresh-u",
                     1900000000);
  StoredToken t = readStateDb(path);
  EXPECT_EQ(t.accessToken, "ya29.unified");
  EXPECT_EQ(t.refreshToken, "1//refresh-u");
  EXPECT_EQ(t.expiryMs, 1900000000LL * 1000);
  EXPECT_EQ(t.email, "dev@example.com");
  EXPECT_NE(t.origin.find("antigravityUnifiedStateSync.oauthToken"), std::string::npos);
}

TEST(StateDb, ReadsTheOlderAgentManagerRecord) {
  std::string path = tempPath("jetski.vscdb");
  fake::writeStateDb(path, fake::StateFormat::Jetski, "ya29.jetski", "1//refresh-j", 1800000000);
  StoredToken t = readStateDb(path);
  EXPECT_EQ(t.accessToken, "ya29.jetski");
  EXPECT_EQ(t.refreshToken, "1//refresh-j");
  EXPECT_EQ(t.expiryMs, 1800000000LL * 1000);
}

TEST(StateDb, FallsBackToTheAuthStatusApiKey) {
  std::string path = tempPath("status.vscdb");
  fake::writeStateDb(path, fake::StateFormat::AuthStatus, "ya29.status", "", 0);
  StoredToken t = readStateDb(path);
  EXPECT_EQ(t.accessToken, "ya29.status");
  EXPECT_TRUE(t.refreshToken.empty());
  EXPECT_EQ(t.expiryMs, 0);
}

TEST(StateDb, MissingFileIsAClearAuthError) {
  llmp_status code = LLMP_OK;
  std::string message = errorOf([] { readStateDb(tempPath("nope/state.vscdb")); }, &code);
  EXPECT_EQ(code, LLMP_E_AUTH);
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
  EXPECT_NE(message.find("nope/state.vscdb"), std::string::npos) << message;
  EXPECT_NE(message.find("ANTIGRAVITY_STATE_DB"), std::string::npos) << message;
}

TEST(StateDb, SignedOutDatabaseAndNonDatabaseFilesAreRefused) {
  std::string path = tempPath("empty.vscdb");
  fake::writeStateDb(path, fake::StateFormat::AuthStatus, "", "", 0);
  EXPECT_NE(errorOf([&] { readStateDb(path); }).find("no signed-in account"), std::string::npos);
  std::string junk = tempPath("junk.vscdb");
  std::ofstream(junk) << "this is not sqlite, just text that is long enough to look like a file";
  llmp_status code = LLMP_OK;
  std::string message = errorOf([&] { readStateDb(junk); }, &code);
  EXPECT_EQ(code, LLMP_E_AUTH);
  EXPECT_NE(message.find(junk), std::string::npos) << message;
}

TEST(StateDb, DefaultPathsFollowThePlatformConfigDir) {
  EnvFn env = [](const char* name) -> const char* {
    return std::string(name) == "HOME" ? "/home/dev" : nullptr;
  };
  auto paths = defaultStateDbPaths(env);
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), "/home/dev/.config/Antigravity/User/globalStorage/state.vscdb");
}

TEST(Config, StateDbFromEnvAndBaseUrlOverridesHosts) {
  EnvFn env = [](const char* name) -> const char* {
    std::string n = name;
    return n == "ANTIGRAVITY_STATE_DB" ? "/x/state.vscdb"
           : n == "ANTIGRAVITY_CLIENT_ID" ? "cid"
                                          : nullptr;
  };
  auto cfg = parseConfig("ag", R"({"base_url":"http://127.0.0.1:9/"})", env);
  EXPECT_EQ(cfg.stateDb, "/x/state.vscdb");
  EXPECT_EQ(cfg.clientId, "cid");
  EXPECT_EQ(cfg.hosts, std::vector<std::string>{"http://127.0.0.1:9"});
  auto defaults = parseConfig("ag", "{}", {});
  ASSERT_EQ(defaults.hosts.size(), 2u);
  EXPECT_EQ(defaults.hosts[0], "https://daily-cloudcode-pa.googleapis.com");
  EXPECT_EQ(defaults.hosts[1], "https://cloudcode-pa.googleapis.com");
  EXPECT_NE(errorOf([] { parseConfig("ag", R"({"hosts":["ftp://x"]})", {}); }).find("hosts"),
            std::string::npos);
}

// ---- token source -----------------------------------------------------------------------------

AntigravityConfig configFor(const std::string& db) {
  AntigravityConfig cfg;
  cfg.instance = "ag";
  cfg.stateDb = db;
  cfg.tokenUri = "http://token.test/token";
  return cfg;
}

TEST(TokenSource, ValidTokenIsUsedAsIs) {
  std::string db = tempPath("valid.vscdb");
  fake::writeStateDb(db, fake::StateFormat::Unified, "ya29.valid", "1//r", nowSeconds() + 3600);
  StoreTokenSource source(configFor(db), nullptr, {});
  auto token = source.fetch();
  EXPECT_EQ(token.token, "ya29.valid");
  EXPECT_GT(token.expiresInMs, 3000 * 1000);
}

TEST(TokenSource, ExpiredTokenWithoutClientIsAClearError) {
  std::string db = tempPath("expired.vscdb");
  fake::writeStateDb(db, fake::StateFormat::Unified, "ya29.old", "1//r", nowSeconds() - 60);
  StoreTokenSource source(configFor(db), nullptr, {});
  llmp_status code = LLMP_OK;
  std::string message = errorOf([&] { source.fetch(); }, &code);
  EXPECT_EQ(code, LLMP_E_AUTH);
  EXPECT_NE(message.find("expired at"), std::string::npos) << message;
  EXPECT_NE(message.find("client_id"), std::string::npos) << message;
  EXPECT_EQ(message.find("1//r"), std::string::npos) << "no refresh token in messages";
}

TEST(TokenSource, RefreshesBeforeExpiryWithTheConfiguredClient) {
  std::string db = tempPath("refresh.vscdb");
  fake::writeStateDb(db, fake::StateFormat::Jetski, "ya29.old", "1//r", nowSeconds() + 60);
  AntigravityConfig cfg = configFor(db);
  cfg.clientId = "cid";
  cfg.clientSecret = "csecret";
  std::string sentBody;
  llmp::google::HttpFn http = [&](const llmp::HttpRequest& req, llmp::HttpResponse* resp,
                                  llmp::ErrorRecord*) {
    sentBody = req.body;
    resp->status = 200;
    resp->body = R"({"access_token":"ya29.new","expires_in":3599,"token_type":"Bearer"})";
    return LLMP_OK;
  };
  StoreTokenSource source(cfg, http, {});
  auto token = source.fetch();
  EXPECT_EQ(token.token, "ya29.new");
  EXPECT_NE(sentBody.find("grant_type=refresh_token"), std::string::npos);
  EXPECT_NE(sentBody.find("client_id=cid"), std::string::npos);
  EXPECT_EQ(source.refreshes(), 1);
}

TEST(TokenSource, CredentialsFileFromTheProjectsOwnFlow) {
  std::string file = tempPath("creds.json");
  std::ofstream(file) << R"({"access_token":"ya29.file","refresh_token":"1//f","expiry_date":)"
                      << (nowSeconds() + 3600) * 1000 << "}";
  AntigravityConfig cfg = configFor("");
  cfg.credentialsFile = file;
  StoreTokenSource source(cfg, nullptr, {});
  EXPECT_EQ(source.fetch().token, "ya29.file");
}

// ---- models -----------------------------------------------------------------------------------

TEST(Models, CanonicalClaudeNamesMapToTheEndpointsIds) {
  const auto& known = defaultModels();
  std::map<std::string, std::string> none;
  EXPECT_EQ(resolveModel("claude-sonnet-4-5", false, none, known).upstream, "claude-sonnet-4-5");
  EXPECT_EQ(resolveModel("claude-sonnet-4-5-20250929", false, none, known).upstream,
            "claude-sonnet-4-5");
  EXPECT_EQ(resolveModel("claude-sonnet-4.5", false, none, known).upstream, "claude-sonnet-4-5");
  EXPECT_EQ(resolveModel("claude-4-5-sonnet", false, none, known).upstream, "claude-sonnet-4-5");
  EXPECT_EQ(resolveModel("models/gemini-claude-sonnet-4-5-thinking", false, none, known).upstream,
            "claude-sonnet-4-5-thinking");
  // Thinking asked for -> the thinking variant; only a thinking variant exists -> that one.
  auto thinking = resolveModel("claude-sonnet-4-5", true, none, known);
  EXPECT_EQ(thinking.upstream, "claude-sonnet-4-5-thinking");
  EXPECT_TRUE(thinking.claude);
  EXPECT_TRUE(thinking.thinking);
  EXPECT_EQ(resolveModel("claude-opus-4-5-20251101", false, none, known).upstream,
            "claude-opus-4-5-thinking");
  EXPECT_EQ(resolveModel("claude-opus-4-6", false, none, known).upstream,
            "claude-opus-4-6-thinking");
  // Gemini: preview names, pass-through, alias table.
  EXPECT_EQ(resolveModel("gemini-3-pro-preview", false, none, known).upstream, "gemini-3-pro-high");
  EXPECT_FALSE(resolveModel("gemini-3-flash", true, none, known).claude);
  std::map<std::string, std::string> aliases = {{"fast", "gemini-3-flash"}};
  EXPECT_EQ(resolveModel("fast", false, aliases, known).upstream, "gemini-3-flash");
  llmp_status code = LLMP_OK;
  errorOf([&] { resolveModel("bad model/x", false, none, known); }, &code);
  EXPECT_EQ(code, LLMP_E_INVALID);
}

TEST(Models, AvailableModelsSkipInternalIds) {
  auto models = parseAvailableModels(
      R"({"models":{"claude-sonnet-4-6":{"displayName":"Claude Sonnet 4.6","maxTokens":200000,"maxOutputTokens":64000},"chat_20706":{},"gemini-3-flash":{}}})");
  ASSERT_EQ(models.size(), 2u);
  Json list = Json::parse(modelListJson(models));
  bool sawClaude = false;
  for (const auto& m : list) {
    EXPECT_NE(m["name"], "models/chat_20706");
    if (m["name"] == "models/claude-sonnet-4-6") {
      sawClaude = true;
      EXPECT_EQ(m["outputTokenLimit"], 64000);
    }
  }
  EXPECT_TRUE(sawClaude);
  EXPECT_TRUE(parseAvailableModels("not json").empty());
}

// ---- body -------------------------------------------------------------------------------------

BodyOptions optionsFor(const std::string& model, bool claude, bool thinking) {
  BodyOptions o;
  o.model = model;
  o.claude = claude;
  o.thinkingModel = thinking;
  o.project = "proj-1";
  o.requestId = newRequestId();
  o.sessionId = "-42";
  return o;
}

TEST(Body, CarriesTheAntigravityFields) {
  std::string ir = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}],
    "safetySettings":[{"category":"x","threshold":"BLOCK_NONE"}],"llmpDroppedFields":["a"]})";
  Json body = Json::parse(buildGenerateBody(ir, optionsFor("gemini-3-flash", false, false)));
  EXPECT_EQ(body["model"], "gemini-3-flash");
  EXPECT_EQ(body["userAgent"], "antigravity");
  EXPECT_EQ(body["requestType"], "agent");
  EXPECT_EQ(body["project"], "proj-1");
  EXPECT_EQ(body["requestId"].get<std::string>().rfind("agent-", 0), 0u);
  EXPECT_EQ(body["requestId"].get<std::string>().size(), 6u + 36u);
  EXPECT_EQ(body["request"]["sessionId"], "-42");
  EXPECT_FALSE(body["request"].contains("safetySettings"));
  EXPECT_FALSE(body["request"].contains("llmpDroppedFields"));
  EXPECT_FALSE(body["request"].contains("session_id"));
  EXPECT_FALSE(body.contains("user_prompt_id"));
  EXPECT_EQ(body["request"]["contents"][0]["parts"][0]["text"], "hi");
}

TEST(Body, SessionIdIsStablePerConversation) {
  Json ir = Json::parse(R"({"contents":[{"role":"user","parts":[{"text":"same start"}]}]})");
  std::string a = sessionIdFor("", ir);
  EXPECT_EQ(a, sessionIdFor("", ir));
  EXPECT_EQ(a[0], '-');
  EXPECT_NE(a, sessionIdFor("client-session", ir));
  EXPECT_EQ(sessionIdFor("client-session", ir), sessionIdFor("client-session", Json::object()));
  std::string digits = a.substr(1);
  EXPECT_TRUE(!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos);
}

TEST(Body, ClaudeGetsValidatedCallingAndPlainParameters) {
  std::string ir = R"({"contents":[{"role":"user","parts":[{"text":"weather?"}]}],
    "tools":[{"functionDeclarations":[{"name":"get_weather","parametersJsonSchema":
      {"type":"object","properties":{"city":{"type":"string"}},"required":["city"],
       "additionalProperties":false,"$schema":"x"}}]}],
    "toolConfig":{"functionCallingConfig":{"mode":"AUTO"}},
    "generationConfig":{"maxOutputTokens":2000,"thinkingConfig":{"thinkingBudget":4096}}})";
  Json body = Json::parse(buildGenerateBody(ir, optionsFor("claude-sonnet-4-5-thinking", true, true)));
  const Json& req = body["request"];
  EXPECT_EQ(req["toolConfig"]["functionCallingConfig"]["mode"], "VALIDATED");
  const Json& decl = req["tools"][0]["functionDeclarations"][0];
  EXPECT_FALSE(decl.contains("parametersJsonSchema"));
  EXPECT_EQ(decl["parameters"]["required"][0], "city");
  EXPECT_FALSE(decl["parameters"].contains("additionalProperties"));
  // The budget stays below the output limit.
  EXPECT_EQ(req["generationConfig"]["thinkingConfig"]["includeThoughts"], true);
  EXPECT_LT(req["generationConfig"]["thinkingConfig"]["thinkingBudget"].get<int64_t>(),
            req["generationConfig"]["maxOutputTokens"].get<int64_t>());
  // A non-thinking Claude model gets no thinking config.
  Json plain = Json::parse(buildGenerateBody(ir, optionsFor("claude-sonnet-4-5", true, false)));
  EXPECT_FALSE(plain["request"]["generationConfig"].contains("thinkingConfig"));
}

TEST(Body, ClaudeThinkingSignaturesSitOnThinkingParts) {
  // As the Anthropic front end sends it: signed thinking, and the signature repeated on the call.
  std::string anthropicIr = R"({"contents":[
    {"role":"user","parts":[{"text":"weather?"}]},
    {"role":"model","parts":[{"text":"I should call it","thought":true,"thoughtSignature":"SIG1"},
                             {"functionCall":{"id":"toolu_1","name":"f","args":{}},"thoughtSignature":"SIG1"}]},
    {"role":"user","parts":[{"functionResponse":{"id":"toolu_1","name":"f","response":{"r":1}}}]}]})";
  Json a = Json::parse(buildGenerateBody(anthropicIr, optionsFor("claude-sonnet-4-5-thinking", true, true)));
  const Json& turn = a["request"]["contents"][1]["parts"];
  ASSERT_EQ(turn.size(), 2u);
  EXPECT_EQ(turn[0]["thoughtSignature"], "SIG1");
  EXPECT_EQ(turn[0]["text"], "I should call it");
  EXPECT_FALSE(turn[1].contains("thoughtSignature"));
  EXPECT_EQ(turn[1]["functionCall"]["id"], "toolu_1");

  // As the OpenAI front end sends it: the signature only on the call; the thinking text is
  // recalled and a thinking part goes back in front of the call. The sentinel is dropped.
  std::string openaiIr = R"({"contents":[
    {"role":"user","parts":[{"text":"weather?"}]},
    {"role":"model","parts":[{"functionCall":{"id":"toolu_1","name":"f","args":{}},"thoughtSignature":"SIG1"},
                             {"functionCall":{"id":"toolu_2","name":"f","args":{}},"thoughtSignature":"skip_thought_signature_validator"}]}]})";
  BodyOptions o = optionsFor("claude-sonnet-4-5-thinking", true, true);
  o.thinkingFor = [](const std::string& sig) -> std::optional<std::string> {
    if (sig == "SIG1") {
      return std::string("recalled thinking");
    }
    return std::nullopt;
  };
  Json b = Json::parse(buildGenerateBody(openaiIr, o));
  const Json& parts = b["request"]["contents"][1]["parts"];
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0]["thought"], true);
  EXPECT_EQ(parts[0]["thoughtSignature"], "SIG1");
  EXPECT_EQ(parts[0]["text"], "recalled thinking");
  EXPECT_FALSE(parts[1].contains("thoughtSignature"));
  EXPECT_FALSE(parts[2].contains("thoughtSignature"));
}

TEST(Body, GeminiHistoryLosesThoughtTextButKeepsSignatures) {
  std::string ir = R"({"contents":[{"role":"user","parts":[{"text":"q"}]},
    {"role":"model","parts":[{"text":"thinking","thought":true,"thoughtSignature":"G1"},
                             {"functionCall":{"name":"f","args":{}}}]}]})";
  Json body = Json::parse(buildGenerateBody(ir, optionsFor("gemini-3-flash", false, false)));
  const Json& parts = body["request"]["contents"][1]["parts"];
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0]["thoughtSignature"], "G1");
}

TEST(ThoughtTrackerTest, RemembersThinkingAndSignsCallsForOpenAIClients) {
  std::map<std::string, std::string> remembered;
  ThoughtTracker tracker(true, [&](const std::string& sig, const std::string& text) {
    remembered[sig] = text;
  });
  tracker.process(R"({"candidates":[{"content":{"parts":[{"text":"step one, ","thought":true}]}}]})");
  tracker.process(R"({"candidates":[{"content":{"parts":[{"text":"step two","thought":true,"thoughtSignature":"S"}]}}]})");
  Json out = Json::parse(tracker.process(
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"id":"t1","name":"f","args":{}}}]}}]})"));
  EXPECT_EQ(remembered["S"], "step one, step two");
  EXPECT_EQ(out["candidates"][0]["content"]["parts"][0]["thoughtSignature"], "S");

  ThoughtTracker anthropic(false, nullptr);
  anthropic.process(R"({"candidates":[{"content":{"parts":[{"text":"x","thought":true,"thoughtSignature":"S"}]}}]})");
  std::string call = R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}}]}}]})";
  EXPECT_EQ(anthropic.process(call), call);
}

// ---- the backend against fake upstreams ------------------------------------------------------

#ifdef LLMP_ANTIGRAVITY_HOST_SERVICES

struct Collected {
  std::vector<std::string> chunks;
};

llmp_status LLMP_ABI collect(void* ctx, uint32_t kind, llmp_bytes data) {
  if (kind == LLMP_EVENT_CHUNK) {
    static_cast<Collected*>(ctx)->chunks.emplace_back(llmp::view(data));
  }
  return LLMP_OK;
}

class BackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = tempPath("backend-" + std::to_string(counter_++) + ".vscdb");
    fake::writeStateDb(db_, fake::StateFormat::Unified, "ya29.backend", "1//r",
                       nowSeconds() + 3600);
    fake::Options o;
    o.validTokens = {"ya29.backend"};
    first_ = std::make_unique<fake::FakeAntigravity>(o);
    second_ = std::make_unique<fake::FakeAntigravity>(o);
    first_->start();
    second_->start();
  }

  std::unique_ptr<AntigravityBackend> backend(std::vector<std::string> hosts) {
    AntigravityConfig cfg = configFor(db_);
    cfg.hosts = std::move(hosts);
    cfg.onboardIntervalMs = 0;
    return std::make_unique<AntigravityBackend>(llmp::Host(services_.apiFor("test.antigravity")),
                                                cfg);
  }

  llmp_status run(AntigravityBackend& b, const std::string& model, const std::string& ir,
                  bool stream, Collected* out) {
    llmp_generate_request req{};
    req.struct_size = sizeof(req);
    req.model = llmp::toBytes(model);
    req.ir = llmp::toBytes(ir);
    req.flags = stream ? LLMP_GENERATE_STREAM : 0;
    llmp_event_sink sink{sizeof(llmp_event_sink), out, collect};
    return b.generate(req, &sink);
  }

  static inline int counter_ = 0;
  llmp::host::HostServices services_;
  std::string db_;
  std::unique_ptr<fake::FakeAntigravity> first_, second_;
};

const char* kHello = R"({"contents":[{"role":"user","parts":[{"text":"hello"}]}]})";

TEST_F(BackendTest, FallsBackToTheNextHostOn429) {
  first_->fail({"generateContent", 429, "quota", 5});
  auto b = backend({first_->baseUrl(), second_->baseUrl()});
  Collected out;
  ASSERT_EQ(run(*b, "gemini-3-flash", kHello, false, &out), LLMP_OK);
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_NE(out.chunks[0].find("Hello from gemini-3-flash"), std::string::npos) << out.chunks[0];
  EXPECT_EQ(first_->count("generateContent"), 1);
  EXPECT_EQ(second_->count("generateContent"), 1);
  auto reqs = second_->requests();
  const auto& gen = reqs.back();
  EXPECT_EQ(gen.header("Authorization"), "Bearer ya29.backend");
  EXPECT_NE(gen.header("User-Agent").find("antigravity/"), std::string::npos);
  EXPECT_EQ(second_->count("loadCodeAssist") + first_->count("loadCodeAssist"), 1);
}

TEST_F(BackendTest, FallsBackWhenAHostIsUnreachable) {
  // A port nobody listens on: take one from a stopped fake.
  fake::FakeAntigravity dead;
  dead.start();
  std::string deadUrl = dead.baseUrl();
  dead.stop();
  auto b = backend({deadUrl, second_->baseUrl()});
  Collected out;
  ASSERT_EQ(run(*b, "gemini-3-flash", kHello, true, &out), LLMP_OK);
  EXPECT_GE(out.chunks.size(), 2u);
  EXPECT_EQ(second_->count("streamGenerateContent"), 1);
}

TEST_F(BackendTest, EveryHost429IsARateLimitError) {
  first_->fail({"*", 429, "Resource exhausted", 10});
  second_->fail({"*", 429, "Resource exhausted", 10});
  auto b = backend({first_->baseUrl(), second_->baseUrl()});
  Collected out;
  llmp_status code = LLMP_OK;
  std::string message = errorOf([&] { run(*b, "gemini-3-flash", kHello, false, &out); }, &code);
  EXPECT_EQ(code, LLMP_E_RATE_LIMITED) << message;
}

TEST_F(BackendTest, DiscoversTheProjectByOnboardingAndListsModels) {
  fake::Options o;
  o.validTokens = {"ya29.backend"};
  o.onboarded = false;
  o.project = "onboarded-proj";
  fake::FakeAntigravity fresh(o);
  fresh.start();
  auto b = backend({fresh.baseUrl()});
  Collected out;
  ASSERT_EQ(run(*b, "claude-sonnet-4-5", kHello, false, &out), LLMP_OK);
  EXPECT_EQ(fresh.count("onboardUser"), 1);
  Json models = Json::parse(b->listModels());
  bool sawOpus = false;
  for (const auto& m : models) {
    EXPECT_NE(m["name"], "models/chat_20706");
    sawOpus = sawOpus || m["name"] == "models/claude-opus-4-5-thinking";
  }
  EXPECT_TRUE(sawOpus);
}

TEST_F(BackendTest, ModelListFallsBackToTheStaticList) {
  first_->fail({"fetchAvailableModels", 500, "down", 5});
  auto b = backend({first_->baseUrl()});
  Json models = Json::parse(b->listModels());
  EXPECT_EQ(models.size(), defaultModels().size());
}

TEST_F(BackendTest, ARefusedTokenIsReportedAsAuthError) {
  ::unlink(db_.c_str());
  fake::writeStateDb(db_, fake::StateFormat::AuthStatus, "ya29.unknown", "", 0);
  auto b = backend({first_->baseUrl()});
  Collected out;
  llmp_status code = LLMP_OK;
  std::string message = errorOf([&] { run(*b, "gemini-3-flash", kHello, false, &out); }, &code);
  EXPECT_EQ(code, LLMP_E_AUTH) << message;
  EXPECT_EQ(message.find("ya29.unknown"), std::string::npos) << message;
}

#endif  // LLMP_ANTIGRAVITY_HOST_SERVICES

}  // namespace
