// The built gemini-cloud plugin (dlopen), running on the host's real services
// (llmp::host::HostServices: HTTP client, clocks, kv), against the fake Code Assist server with
// its fake token endpoint and metadata server. The host table is the real one with two hooks:
// the log is also captured (to prove no secret is ever logged) and the monotonic clock can be
// moved forward (to test refresh before expiry without waiting an hour).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <llmp/llmp.h>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "fake_code_assist.hpp"
#include "services/host_services.h"

namespace {

using llmp::Json;
using namespace llmp::fakes::code_assist;

// ---- the host --------------------------------------------------------------------------------

struct HookedHost;
HookedHost* g_host = nullptr;

struct HookedHost {
  llmp::host::HostServices services;
  llmp_host_api table{};
  const llmp_host_api* real = nullptr;
  std::atomic<int64_t> clockOffsetMs{0};
  std::mutex mu;
  std::string logText;

  HookedHost() {
    real = services.apiFor("dev.llmp.gemini-cloud");
    table = *real;  // the services find their state through host_data, so a copy works
    table.log = [](const llmp_host_api* h, int32_t level, llmp_bytes message) {
      {
        std::lock_guard<std::mutex> lock(g_host->mu);
        g_host->logText.append(message.ptr, message.len).append("\n");
      }
      g_host->real->log(h, level, message);
    };
    table.log_enabled = [](const llmp_host_api*, int32_t) -> int32_t { return 1; };
    table.monotonic_ms = [](const llmp_host_api* h) -> int64_t {
      return g_host->real->monotonic_ms(h) + g_host->clockOffsetMs.load();
    };
    g_host = this;
  }
  ~HookedHost() { g_host = nullptr; }
  const llmp_host_api* api() const { return &table; }
  std::string logs() {
    std::lock_guard<std::mutex> lock(mu);
    return logText;
  }
};

// ---- the plugin ------------------------------------------------------------------------------

const llmp_backend_factory* factory() {
  static const llmp_backend_factory* f = [] {
    void* h = dlopen(LLMP_GEMINI_CLOUD_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      ADD_FAILURE() << dlerror();
      return static_cast<const llmp_backend_factory*>(nullptr);
    }
    auto entry = reinterpret_cast<llmp_plugin_entry_fn>(dlsym(h, LLMP_PLUGIN_ENTRY_SYMBOL));
    const llmp_plugin_descriptor* d = entry(LLMP_ABI_MAJOR, LLMP_ABI_MINOR);
    return static_cast<const llmp_backend_factory*>(d->get_factory(LLMP_BACKEND_FACTORY_V1));
  }();
  return f;
}

struct Call {
  llmp_status status = LLMP_OK;
  llmp::ErrorRecord error;
  std::vector<std::string> chunks;
  std::string text() const {
    std::string t;
    for (const auto& c : chunks) {
      Json j = Json::parse(c);
      for (const auto& p : j["candidates"][0]["content"]["parts"]) {
        t += p.value("text", "");
      }
    }
    return t;
  }
};

class Backend {
 public:
  Backend(const llmp_host_api* host, const Json& config, std::string name = "cloud") {
    std::string cfg = config.dump();
    createStatus = factory()->create(host, "gemini-cli-cloud-project", llmp::toBytes(name),
                                     llmp::toBytes(cfg), &backend_, createError.sink());
  }
  ~Backend() {
    if (backend_ != nullptr) {
      factory()->destroy(backend_);
    }
  }
  bool ok() const { return backend_ != nullptr; }

  Call generate(const std::string& text, bool stream, const std::string& model = "gemini-2.5-pro",
                std::function<void(const std::string&)> onChunk = {}) {
    Call call;
    llmp::EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
      if (kind == LLMP_EVENT_CHUNK) {
        call.chunks.emplace_back(data);
        if (onChunk) {
          onChunk(call.chunks.back());
        }
      }
      return LLMP_OK;
    });
    std::string ir = Json{{"contents", {{{"role", "user"}, {"parts", {{{"text", text}}}}}}}}.dump();
    llmp_generate_request req{};
    req.struct_size = sizeof req;
    req.model = llmp::toBytes(model);
    req.ir = llmp::toBytes(ir);
    req.flags = stream ? LLMP_GENERATE_STREAM : 0;
    req.session_id = llmp::toBytes("session-42");
    call.status = factory()->generate(backend_, &req, sink.sink(), call.error.sink());
    return call;
  }

  std::pair<llmp_status, std::string> countTokens(const std::string& text,
                                                  llmp::ErrorRecord* err) {
    std::string ir = Json{{"contents", {{{"role", "user"}, {"parts", {{{"text", text}}}}}}}}.dump();
    llmp_generate_request req{};
    req.struct_size = sizeof req;
    req.model = llmp::toBytes("gemini-2.5-flash");
    req.ir = llmp::toBytes(ir);
    llmp::StringSink out;
    llmp_status st = factory()->count_tokens(backend_, &req, out.sink(), err->sink());
    return {st, out.value()};
  }

  std::string listModels() {
    llmp::StringSink out;
    llmp::ErrorRecord err;
    factory()->list_models(backend_, out.sink(), err.sink());
    return out.value();
  }

  std::string health() {
    auto* ext = static_cast<const llmp_health_ext*>(
        factory()->get_extension(backend_, LLMP_EXT_HEALTH_V1));
    llmp::StringSink out;
    ext->report(backend_, out.sink());
    return out.value();
  }

  llmp_status createStatus = LLMP_OK;
  llmp::ErrorRecord createError;

 private:
  llmp_backend* backend_ = nullptr;
};

// ---- fixture ---------------------------------------------------------------------------------

class CloudBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The plugin reads the process environment: isolate it from the machine's credentials.
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    unsetenv("GOOGLE_CLOUD_PROJECT");
    unsetenv("GOOGLE_CLOUD_PROJECT_ID");
    unsetenv("CODE_ASSIST_ENDPOINT");
    unsetenv("CODE_ASSIST_API_VERSION");
    unsetenv("GCE_METADATA_HOST");
    char tmpl[] = "/tmp/llmp-gc-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    setenv("HOME", dir_.c_str(), 1);

    static const KeyPair shared = generateRsaKeyPair();
    keys_ = shared;
    fake_.start();
    fake_.configureServiceAccount(kEmail, keys_.publicPem);
    fake_.configureAuthorizedUser("client-1.apps.googleusercontent.com", "client-secret-1",
                                  "1//refresh-secret-1");
    saPath_ = write("sa.json", serviceAccountJson(kEmail, keys_.privatePem, fake_.tokenUrl()));
  }
  void TearDown() override {
    fake_.release();
    fake_.stop();
    // No credential of the run may show in the log.
    std::string logs = host_.logs();
    for (const auto& t : fake_.issuedTokens()) {
      EXPECT_EQ(logs.find(t), std::string::npos) << "token logged";
    }
    EXPECT_EQ(logs.find("BEGIN PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(logs.find(keys_.privatePem.substr(40, 40)), std::string::npos);
    EXPECT_EQ(logs.find("refresh-secret-1"), std::string::npos);
    EXPECT_EQ(logs.find("client-secret-1"), std::string::npos);
    std::system(("rm -rf " + dir_).c_str());
  }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  Json config(const std::string& credentials) {
    return {{"type", "gemini-cli-cloud-project"},
            {"project_id", "my-proj"},
            {"code_assist_endpoint", fake_.baseUrl()},
            {"credentials_file", credentials},
            {"onboard_poll_interval_ms", 1}};
  }

  void expectNoSecretIn(const std::string& text) {
    for (const auto& t : fake_.issuedTokens()) {
      EXPECT_EQ(text.find(t), std::string::npos) << "token leaked into: " << text;
    }
    EXPECT_EQ(text.find("BEGIN PRIVATE KEY"), std::string::npos);
  }

  std::vector<Recorded> requestsOf(const std::string& kind) {
    std::vector<Recorded> out;
    for (auto& r : fake_.requests()) {
      if (r.kind == kind) {
        out.push_back(r);
      }
    }
    return out;
  }

  static constexpr const char* kEmail = "proxy-sa@my-proj.iam.gserviceaccount.com";
  HookedHost host_;
  FakeCodeAssist fake_;
  KeyPair keys_;
  std::string dir_, saPath_;
};

// ---- credentials ---------------------------------------------------------------------------------

TEST_F(CloudBackendTest, ServiceAccountEndToEnd) {
  Backend b(host_.api(), config(saPath_));
  ASSERT_TRUE(b.ok()) << b.createError.message;
  Call c = b.generate("hello", false);
  ASSERT_EQ(c.status, LLMP_OK) << c.error.message;
  ASSERT_EQ(c.chunks.size(), 1u);
  Json chunk = Json::parse(c.chunks[0]);
  EXPECT_EQ(c.text(), "echo: hello");
  EXPECT_FALSE(chunk.contains("response")) << "the wrapper is removed";
  EXPECT_EQ(chunk["responseId"].get<std::string>().rfind("trace-", 0), 0u);
  EXPECT_EQ(chunk["candidates"][0]["finishReason"], "STOP");

  // The fake verified the JWT (signature with the public key, iss, scope, aud, iat, exp).
  EXPECT_EQ(fake_.count("token"), 1);
  EXPECT_EQ(fake_.lastTokenError(), "");
  auto token = requestsOf("token")[0];
  EXPECT_NE(token.body.find("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"),
            std::string::npos);
  ASSERT_EQ(fake_.issuedTokens().size(), 1u);

  auto gen = requestsOf("generateContent");
  ASSERT_EQ(gen.size(), 1u);
  EXPECT_EQ(gen[0].header("Authorization"), "Bearer " + fake_.issuedTokens()[0]);
  Json body = Json::parse(gen[0].body);
  EXPECT_EQ(body["model"], "gemini-2.5-pro");
  EXPECT_EQ(body["project"], "my-proj");
  EXPECT_NE(body["user_prompt_id"].get<std::string>(), "");
  EXPECT_EQ(body["request"]["session_id"], "session-42");
  EXPECT_EQ(body["request"]["contents"][0]["parts"][0]["text"], "hello");

  auto load = requestsOf("loadCodeAssist");
  ASSERT_EQ(load.size(), 1u);
  EXPECT_EQ(Json::parse(load[0].body)["cloudaicompanionProject"], "my-proj");
  EXPECT_EQ(fake_.count("onboardUser"), 0) << "already onboarded";
}

TEST_F(CloudBackendTest, JwtSignedWithAnotherKeyIsRefusedWithAClearError) {
  KeyPair other = generateRsaKeyPair();
  fake_.configureServiceAccount(kEmail, other.publicPem);
  Backend b(host_.api(), config(saPath_));
  ASSERT_TRUE(b.ok());
  Call c = b.generate("hello", false);
  EXPECT_EQ(c.status, LLMP_E_AUTH);
  EXPECT_EQ(c.error.effectiveHttpStatus(), 401);
  EXPECT_NE(c.error.message.find("Invalid JWT Signature."), std::string::npos) << c.error.message;
  EXPECT_NE(c.error.message.find(kEmail), std::string::npos) << "names the service account";
  expectNoSecretIn(c.error.message + c.error.body);
  EXPECT_EQ(fake_.count("generateContent"), 0);
}

TEST_F(CloudBackendTest, AuthorizedUserRefreshTokenGrant) {
  std::string path = write(
      "user.json",
      Json{{"type", "authorized_user"},
           {"client_id", "client-1.apps.googleusercontent.com"},
           {"client_secret", "client-secret-1"},
           {"refresh_token", "1//refresh-secret-1"},
           {"quota_project_id", "quota-proj"}}
          .dump());
  Json cfg = config(path);
  cfg["token_uri"] = fake_.tokenUrl();  // gcloud's files carry no token_uri
  Backend b(host_.api(), cfg);
  ASSERT_TRUE(b.ok()) << b.createError.message;
  Call c = b.generate("hi", false);
  ASSERT_EQ(c.status, LLMP_OK) << c.error.message;
  auto tok = requestsOf("token");
  ASSERT_EQ(tok.size(), 1u);
  EXPECT_NE(tok[0].body.find("grant_type=refresh_token"), std::string::npos);
  EXPECT_EQ(fake_.issuedTokens()[0].rfind("ya29.fake-user-", 0), 0u);
  auto gen = requestsOf("generateContent");
  EXPECT_EQ(gen[0].header("x-goog-user-project"), "quota-proj");

  // A revoked refresh token: a clear auth error, no secret in it.
  fake_.configureAuthorizedUser("client-1.apps.googleusercontent.com", "client-secret-1",
                                "another");
  Backend b2(host_.api(), cfg, "cloud2");
  Call bad = b2.generate("hi", false);
  EXPECT_EQ(bad.status, LLMP_E_AUTH);
  EXPECT_NE(bad.error.message.find("Token has been expired or revoked."), std::string::npos)
      << bad.error.message;
  EXPECT_EQ(bad.error.message.find("refresh-secret-1"), std::string::npos);
  EXPECT_EQ(bad.error.message.find("client-secret-1"), std::string::npos);
}

TEST_F(CloudBackendTest, MetadataServerWhenEnabledAndNoFile) {
  Json cfg = config("");
  cfg.erase("credentials_file");
  Backend off(host_.api(), cfg);
  EXPECT_FALSE(off.ok()) << "without a file the metadata server is used only when enabled";
  EXPECT_NE(off.createError.message.find("no Google credentials found"), std::string::npos)
      << off.createError.message;
  EXPECT_NE(off.createError.message.find("backend 'cloud'"), std::string::npos);

  cfg["metadata_server"] = {{"enabled", true}, {"url", fake_.baseUrl()}};
  Backend b(host_.api(), cfg);
  ASSERT_TRUE(b.ok()) << b.createError.message;
  Call c = b.generate("hi", false);
  ASSERT_EQ(c.status, LLMP_OK) << c.error.message;
  auto meta = requestsOf("metadata");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].header("Metadata-Flavor"), "Google");
  EXPECT_NE(meta[0].query.find("scopes="), std::string::npos);
  EXPECT_EQ(fake_.issuedTokens()[0].rfind("ya29.fake-meta-", 0), 0u);
}

TEST_F(CloudBackendTest, GoogleApplicationCredentialsFromTheEnvironment) {
  setenv("GOOGLE_APPLICATION_CREDENTIALS", saPath_.c_str(), 1);
  setenv("GOOGLE_CLOUD_PROJECT", "env-proj", 1);
  Backend b(host_.api(), {{"code_assist_endpoint", fake_.baseUrl()}});
  ASSERT_TRUE(b.ok()) << b.createError.message;
  ASSERT_EQ(b.generate("x", false).status, LLMP_OK);
  EXPECT_EQ(Json::parse(requestsOf("generateContent")[0].body)["project"], "env-proj");
}

TEST_F(CloudBackendTest, CreateFailsClearlyForEveryCredentialsProblem) {
  struct Case {
    std::string file, content, expect;
  };
  Json sa = Json::parse(serviceAccountJson(kEmail, keys_.privatePem, fake_.tokenUrl()));
  Json noKey = sa;
  noKey.erase("private_key");
  std::vector<Case> cases = {
      {"missing.json", "", "cannot be read"},
      {"malformed.json", "{\"type\":\"service_account\",", "is not valid JSON"},
      {"nokey.json", noKey.dump(), "field \"private_key\" is missing"},
  };
  for (const auto& c : cases) {
    std::string path = dir_ + "/" + c.file;
    if (!c.content.empty()) {
      write(c.file, c.content);
    }
    Backend b(host_.api(), config(path));
    EXPECT_FALSE(b.ok()) << c.file;
    EXPECT_EQ(b.createStatus, LLMP_E_INVALID) << c.file;
    EXPECT_NE(b.createError.message.find(path), std::string::npos) << b.createError.message;
    EXPECT_NE(b.createError.message.find(c.expect), std::string::npos) << b.createError.message;
    EXPECT_NE(b.createError.message.find("backend 'cloud'"), std::string::npos);
  }
  Json cfg = config(saPath_);
  cfg.erase("project_id");
  Backend noProject(host_.api(), cfg);
  EXPECT_FALSE(noProject.ok());
  EXPECT_NE(noProject.createError.message.find("GOOGLE_CLOUD_PROJECT"), std::string::npos);
}

// ---- tokens ----------------------------------------------------------------------------------------

TEST_F(CloudBackendTest, TokenIsCachedAndRefreshedBeforeExpiryOnceForConcurrentRequests) {
  fake_.setTokenExpiresIn(3600);
  Json cfg = config(saPath_);
  cfg["token_refresh_margin_seconds"] = 300;
  Backend b(host_.api(), cfg);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b.generate("a", false).status, LLMP_OK);
  ASSERT_EQ(b.generate("b", false).status, LLMP_OK);
  EXPECT_EQ(fake_.count("token"), 1) << "the token is cached";

  host_.clockOffsetMs += 3290 * 1000;  // 310 s of life left
  ASSERT_EQ(b.generate("c", false).status, LLMP_OK);
  EXPECT_EQ(fake_.count("token"), 1);
  host_.clockOffsetMs += 20 * 1000;  // 290 s left: inside the margin, refresh now
  ASSERT_EQ(b.generate("d", false).status, LLMP_OK);
  EXPECT_EQ(fake_.count("token"), 2);
  auto gens = requestsOf("generateContent");
  EXPECT_EQ(gens.back().header("Authorization"), "Bearer " + fake_.issuedTokens()[1]);

  // Expired again; the token endpoint is slow; many requests at once cause one refresh.
  host_.clockOffsetMs += 3600 * 1000;
  fake_.setTokenDelayMs(300);
  std::vector<std::future<Call>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(std::async(std::launch::async, [&b, i] {
      return b.generate("concurrent " + std::to_string(i), i % 2 == 0);
    }));
  }
  for (auto& f : calls) {
    Call c = f.get();
    EXPECT_EQ(c.status, LLMP_OK) << c.error.message;
  }
  EXPECT_EQ(fake_.count("token"), 3) << "one refresh for eight concurrent requests";
  EXPECT_EQ(fake_.count("loadCodeAssist"), 1) << "setup ran once";
  std::string health = b.health();
  EXPECT_NE(health.find("\"project\":\"my-proj\""), std::string::npos) << health;
  expectNoSecretIn(health);
}

TEST_F(CloudBackendTest, RejectedTokenIsReplacedOnce) {
  fake_.fail({"generateContent", 401, "Request had invalid authentication credentials."});
  Backend b(host_.api(), config(saPath_));
  Call c = b.generate("x", false);
  ASSERT_EQ(c.status, LLMP_OK) << c.error.message;
  EXPECT_EQ(fake_.count("token"), 2);
  EXPECT_EQ(fake_.count("generateContent"), 2);
}

// ---- onboarding --------------------------------------------------------------------------------------

TEST_F(CloudBackendTest, OnboardsToStandardTierWithLongRunningOperation) {
  fake_.setTierMode(TierMode::StandardTier);
  Backend b(host_.api(), config(saPath_));
  ASSERT_EQ(b.generate("x", false).status, LLMP_OK);
  auto onboard = requestsOf("onboardUser");
  ASSERT_EQ(onboard.size(), 1u);
  Json body = Json::parse(onboard[0].body);
  EXPECT_EQ(body["tierId"], "standard-tier");
  EXPECT_EQ(body["cloudaicompanionProject"], "my-proj");
  EXPECT_EQ(body["metadata"]["duetProject"], "my-proj");
  EXPECT_EQ(fake_.count("operation"), 2) << "polled until done";
  EXPECT_EQ(requestsOf("operation")[0].path, "/v1internal/operations/onboard-1");
  ASSERT_EQ(b.generate("y", false).status, LLMP_OK);
  EXPECT_EQ(fake_.count("loadCodeAssist"), 1) << "the setup result is cached";
  EXPECT_EQ(fake_.count("onboardUser"), 1);
  EXPECT_NE(b.health().find("\"tier\":\"standard-tier\""), std::string::npos);
}

TEST_F(CloudBackendTest, PrefersEnterpriseTierWhenOffered) {
  fake_.setTierMode(TierMode::EnterpriseTier);
  Backend b(host_.api(), config(saPath_));
  ASSERT_EQ(b.generate("x", false).status, LLMP_OK);
  EXPECT_EQ(Json::parse(requestsOf("onboardUser")[0].body)["tierId"], "enterprise-tier");
}

TEST_F(CloudBackendTest, NeitherTierGivesAClearErrorNamingTheProject) {
  for (TierMode mode : {TierMode::NoneAllowed, TierMode::FreeTier}) {
    fake_.setTierMode(mode);
    Backend b(host_.api(), config(saPath_));
    Call c = b.generate("x", true);
    EXPECT_EQ(c.status, LLMP_E_FORBIDDEN);
    EXPECT_EQ(c.error.effectiveHttpStatus(), 403);
    EXPECT_NE(c.error.message.find("\"my-proj\""), std::string::npos) << c.error.message;
    EXPECT_NE(c.error.message.find("cloudaicompanion.googleapis.com"), std::string::npos);
    EXPECT_NE(c.error.message.find("neither the standard nor the enterprise tier"),
              std::string::npos);
    EXPECT_EQ(fake_.count("onboardUser"), 0);
    EXPECT_TRUE(c.chunks.empty());
  }
}

// ---- generation ------------------------------------------------------------------------------------

TEST_F(CloudBackendTest, StreamForwardsEachChunkAsItArrives) {
  fake_.setStreamChunks(3);
  fake_.holdStreamsAfter(1);  // the fake sends one chunk, then waits for release()
  Backend b(host_.api(), config(saPath_));
  std::promise<std::string> first;
  auto firstChunk = first.get_future();
  std::atomic<int> seen{0};
  auto running = std::async(std::launch::async, [&] {
    return b.generate("stream me please", true, "gemini-2.5-flash", [&](const std::string& c) {
      if (seen++ == 0) {
        first.set_value(c);
      }
    });
  });
  // The first chunk reaches the client while the upstream stream is still open.
  ASSERT_EQ(firstChunk.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  Json one = Json::parse(firstChunk.get());
  EXPECT_FALSE(one.contains("response"));
  EXPECT_TRUE(one.contains("candidates"));
  EXPECT_EQ(fake_.chunksSent(), 1);
  fake_.release();
  Call c = running.get();
  ASSERT_EQ(c.status, LLMP_OK) << c.error.message;
  ASSERT_EQ(c.chunks.size(), 3u);
  EXPECT_EQ(c.text(), "echo: stream me please");
  EXPECT_EQ(Json::parse(c.chunks[2])["candidates"][0]["finishReason"], "STOP");
  auto req = requestsOf("streamGenerateContent");
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0].query, "alt=sse");
  EXPECT_EQ(Json::parse(req[0].body)["model"], "gemini-2.5-flash");
}

TEST_F(CloudBackendTest, CountTokensAndModels) {
  Backend b(host_.api(), config(saPath_));
  llmp::ErrorRecord err;
  auto [st, out] = b.countTokens("one two three", &err);
  ASSERT_EQ(st, LLMP_OK) << err.message;
  EXPECT_EQ(Json::parse(out)["totalTokens"], 3);
  Json body = Json::parse(requestsOf("countTokens")[0].body);
  EXPECT_EQ(body["request"]["model"], "models/gemini-2.5-flash");
  EXPECT_FALSE(body.contains("project"));

  Json models = Json::parse(b.listModels());
  ASSERT_TRUE(models.is_array());
  bool pro = false;
  for (const auto& m : models) {
    pro = pro || m["name"] == "models/gemini-2.5-pro";
  }
  EXPECT_TRUE(pro);
}

// ---- errors ------------------------------------------------------------------------------------------

TEST_F(CloudBackendTest, UpstreamErrorsMapLikeTheGeminiBackend) {
  Backend b(host_.api(), config(saPath_));
  ASSERT_EQ(b.generate("warm up", false).status, LLMP_OK);

  fake_.fail({"generateContent", 429, "You have exhausted your capacity on this model.", "7s",
              "RATE_LIMIT_EXCEEDED"});
  Call rl = b.generate("x", false);
  EXPECT_EQ(rl.status, LLMP_E_RATE_LIMITED);
  EXPECT_EQ(rl.error.httpStatus, 429);
  EXPECT_EQ(rl.error.retryAfterMs, 7000);
  EXPECT_NE(rl.error.body.find("RESOURCE_EXHAUSTED"), std::string::npos) << rl.error.body;

  fake_.fail({"streamGenerateContent", 429, "slow down", "2s"});
  Call rls = b.generate("x", true);
  EXPECT_EQ(rls.status, LLMP_E_RATE_LIMITED);
  EXPECT_EQ(rls.error.retryAfterMs, 2000);

  fake_.fail({"generateContent", 500, "Internal error encountered."});
  Call ie = b.generate("x", false);
  EXPECT_EQ(ie.status, LLMP_E_UPSTREAM_HTTP);
  EXPECT_EQ(ie.error.httpStatus, 502);

  fake_.fail({"streamGenerateContent", 503, "The model is overloaded."});
  Call un = b.generate("x", true);
  EXPECT_EQ(un.status, LLMP_E_UNAVAILABLE);
  EXPECT_EQ(un.error.httpStatus, 503);
  EXPECT_NE(un.error.message.find("overloaded"), std::string::npos) << un.error.message;

  fake_.fail({"countTokens", 404, "Requested entity was not found."});
  llmp::ErrorRecord err;
  EXPECT_EQ(b.countTokens("x", &err).first, LLMP_E_NOT_FOUND);

  fake_.fail({"generateContent", 403, "Permission denied on project my-proj."});
  Call pd = b.generate("x", false);
  EXPECT_EQ(pd.status, LLMP_E_AUTH);
  EXPECT_NE(pd.error.message.find("cloudaicompanion.googleapis.com"), std::string::npos);

  for (const Call* c : {&rl, &rls, &ie, &un, &pd}) {
    expectNoSecretIn(c->error.message + c->error.body);
  }
}

TEST_F(CloudBackendTest, ErrorEventMidStreamEndsTheStreamWithThatError) {
  fake_.setStreamChunks(3);
  Failure f{"streamGenerateContent", 429, "Resource has been exhausted.", "3s",
            "RATE_LIMIT_EXCEEDED"};
  f.afterChunks = 1;
  fake_.fail(f);
  Backend b(host_.api(), config(saPath_));
  Call c = b.generate("abc def ghi", true);
  EXPECT_EQ(c.chunks.size(), 1u) << "the chunk before the error was forwarded";
  EXPECT_EQ(c.status, LLMP_E_RATE_LIMITED);
  EXPECT_EQ(c.error.retryAfterMs, 3000);
  EXPECT_NE(c.error.message.find("mid-stream"), std::string::npos) << c.error.message;
}

TEST_F(CloudBackendTest, UnreachableUpstreamIsAClearError) {
  Json cfg = config(saPath_);
  cfg["code_assist_endpoint"] = "http://127.0.0.1:1";
  Backend b(host_.api(), cfg);
  Call c = b.generate("x", false);
  EXPECT_EQ(c.status, LLMP_E_UNAVAILABLE);
  EXPECT_NE(c.error.message.find("127.0.0.1:1"), std::string::npos) << c.error.message;
}

}  // namespace
