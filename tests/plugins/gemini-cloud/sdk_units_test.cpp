// Unit tests of the shared Code Assist / Google auth building blocks (sdk/cpp code_assist,
// google_oauth, adc) and of the backend's config parsing.
#include <gtest/gtest.h>

#include <llmp/cpp/adc.hpp>
#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/google_oauth.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include "config.hpp"
#include "fake_code_assist.hpp"

namespace {

using llmp::Json;
namespace ca = llmp::code_assist;
namespace g = llmp::google;
using llmp::fakes::code_assist::generateRsaKeyPair;
using llmp::fakes::code_assist::KeyPair;

const KeyPair& keys() {
  static const KeyPair k = generateRsaKeyPair();
  return k;
}

std::string tempDir() {
  char tmpl[] = "/tmp/llmp-gc-unit-XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? d : "/tmp";
}

std::string writeFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string thrownMessage(const std::function<void()>& fn, llmp_status* code = nullptr) {
  try {
    fn();
  } catch (const llmp::Error& e) {
    if (code) {
      *code = e.code();
    }
    return e.what();
  }
  return "<no error>";
}

// ---- code_assist: envelope --------------------------------------------------------------------

TEST(CodeAssistEnvelope, WrapsIrWithModelProjectPromptIdAndSessionId) {
  std::string ir =
      R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"temperature":0.5},"llmpDroppedFields":["x"],"futureField":{"a":1}})";
  std::string out = ca::wrapGenerateRequest(ir, {"models/gemini-2.5-pro", "proj-1", "u1", "s1"});
  Json j = Json::parse(out);
  EXPECT_EQ(j["model"], "gemini-2.5-pro");
  EXPECT_EQ(j["project"], "proj-1");
  EXPECT_EQ(j["user_prompt_id"], "u1");
  EXPECT_EQ(j["request"]["session_id"], "s1");
  EXPECT_EQ(j["request"]["contents"][0]["parts"][0]["text"], "hi");
  EXPECT_EQ(j["request"]["generationConfig"]["temperature"], 0.5);
  EXPECT_EQ(j["request"]["futureField"]["a"], 1) << "unknown members pass through";
  EXPECT_FALSE(j["request"].contains("llmpDroppedFields")) << "IR extensions are removed";
  // The envelope's member order is the one gemini-cli sends.
  EXPECT_LT(out.find("\"model\""), out.find("\"project\""));
  EXPECT_LT(out.find("\"project\""), out.find("\"user_prompt_id\""));
  EXPECT_LT(out.find("\"user_prompt_id\""), out.find("\"request\""));
}

TEST(CodeAssistEnvelope, DropsThoughtPartsAndKeepsTheirSignature) {
  std::string ir = R"({"contents":[
    {"role":"user","parts":[{"text":"q"}]},
    {"role":"model","parts":[{"text":"thinking...","thought":true,"thoughtSignature":"SIG"},
                             {"functionCall":{"name":"f","args":{}}}]},
    {"role":"model","parts":[{"text":"only a thought","thought":true}]},
    {"role":"user","parts":[{"functionResponse":{"name":"f","response":{"r":1}}}]}]})";
  Json j = Json::parse(ca::wrapGenerateRequest(ir, {"m", "p", "", ""}));
  const Json& contents = j["request"]["contents"];
  ASSERT_EQ(contents.size(), 3u) << "a turn of thoughts only disappears";
  ASSERT_EQ(contents[1]["parts"].size(), 1u);
  EXPECT_TRUE(contents[1]["parts"][0].contains("functionCall"));
  EXPECT_EQ(contents[1]["parts"][0]["thoughtSignature"], "SIG");
  EXPECT_FALSE(j.contains("user_prompt_id")) << "empty ids are omitted";
  EXPECT_FALSE(j["request"].contains("session_id"));
}

TEST(CodeAssistEnvelope, RejectsNonObjectIrAndBadModel) {
  llmp_status code = LLMP_OK;
  EXPECT_NE(thrownMessage([] { ca::wrapGenerateRequest("[1]", {"m", "p", "", ""}); }, &code)
                .find("JSON object"),
            std::string::npos);
  EXPECT_EQ(code, LLMP_E_INVALID);
  EXPECT_NE(thrownMessage([] { ca::wrapGenerateRequest("{}", {"../x", "p", "", ""}); })
                .find("invalid model id"),
            std::string::npos);
}

TEST(CodeAssistEnvelope, CountTokensUsesModelsPrefixAndNoProject) {
  Json j = Json::parse(ca::wrapCountTokensRequest(
      R"({"contents":[{"role":"user","parts":[{"text":"a b"}]}],"systemInstruction":{"parts":[]}})",
      "gemini-2.5-flash"));
  EXPECT_EQ(j["request"]["model"], "models/gemini-2.5-flash");
  EXPECT_EQ(j["request"]["contents"][0]["parts"][0]["text"], "a b");
  EXPECT_FALSE(j.contains("project"));
  EXPECT_THROW(ca::wrapCountTokensRequest("{}", "m"), llmp::Error);
}

TEST(CodeAssistEnvelope, UnwrapsResponseAndMapsTraceId) {
  auto u = ca::unwrapResponse(
      R"({"response":{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]}}],"modelVersion":"m"},"traceId":"t1","consumedCredits":[]})");
  ASSERT_EQ(u.kind, ca::Unwrapped::Response);
  Json j = Json::parse(u.json);
  EXPECT_EQ(j["candidates"][0]["content"]["parts"][0]["text"], "Hi");
  EXPECT_EQ(j["responseId"], "t1");
  EXPECT_FALSE(j.contains("traceId"));
  EXPECT_FALSE(j.contains("consumedCredits"));

  auto keep = ca::unwrapResponse(R"({"response":{"responseId":"r0"},"traceId":"t1"})");
  EXPECT_EQ(Json::parse(keep.json)["responseId"], "r0");

  auto empty = ca::unwrapResponse(R"({"traceId":"t2"})");
  ASSERT_EQ(empty.kind, ca::Unwrapped::Response);
  EXPECT_TRUE(Json::parse(empty.json)["candidates"].empty());

  EXPECT_EQ(ca::unwrapResponse(R"({"error":{"code":429}})").kind, ca::Unwrapped::Error);
  EXPECT_EQ(ca::unwrapResponse("not json").kind, ca::Unwrapped::Malformed);
  EXPECT_EQ(ca::unwrapResponse("[]").kind, ca::Unwrapped::Malformed);
}

TEST(CodeAssistEnvelope, UrlsAndIds) {
  EXPECT_EQ(ca::methodUrl("http://h:1/", "v1internal", "generateContent"),
            "http://h:1/v1internal:generateContent");
  EXPECT_EQ(ca::operationUrl("http://h:1", "v1internal", "operations/op1"),
            "http://h:1/v1internal/operations/op1");
  std::string a = ca::newUuid(), b = ca::newUuid();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(ca::newUserPromptId().find("########"), std::string::npos);
}

// ---- code_assist: setup ---------------------------------------------------------------------

ca::LoadCodeAssistResult load(const char* json) { return ca::parseLoadCodeAssist(Json::parse(json)); }

TEST(CodeAssistSetup, UserProjectPolicyPrefersEnterpriseThenStandard) {
  auto both = load(R"({"allowedTiers":[{"id":"standard-tier","isDefault":true},{"id":"enterprise-tier"}]})");
  EXPECT_EQ(ca::chooseOnboardTier(both, ca::TierPolicy::UserProject, "p").tierId, "enterprise-tier");
  auto std = load(R"({"allowedTiers":[{"id":"free-tier","isDefault":true},{"id":"standard-tier"}]})");
  auto choice = ca::chooseOnboardTier(std, ca::TierPolicy::UserProject, "p");
  EXPECT_EQ(choice.tierId, "standard-tier");
  EXPECT_TRUE(choice.sendProject);
  // gemini-cli's own choice is the default tier, and free tier goes without a project.
  auto cli = ca::chooseOnboardTier(std, ca::TierPolicy::GeminiCli, "p");
  EXPECT_EQ(cli.tierId, "free-tier");
  EXPECT_FALSE(cli.sendProject);
}

TEST(CodeAssistSetup, NoUsableTierNamesProjectReasonsAndWhatToEnable) {
  auto freeOnly = load(
      R"({"allowedTiers":[{"id":"free-tier","isDefault":true}],"ineligibleTiers":[{"tierId":"standard-tier","reasonCode":"INELIGIBLE_ACCOUNT","reasonMessage":"No license."}]})");
  llmp_status code = LLMP_OK;
  std::string msg = thrownMessage(
      [&] { ca::chooseOnboardTier(freeOnly, ca::TierPolicy::UserProject, "acme-prod"); }, &code);
  EXPECT_EQ(code, LLMP_E_FORBIDDEN);
  EXPECT_NE(msg.find("\"acme-prod\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("No license."), std::string::npos) << msg;
  EXPECT_NE(msg.find("cloudaicompanion.googleapis.com"), std::string::npos) << msg;
  EXPECT_NE(msg.find("offered: free-tier"), std::string::npos) << msg;
}

TEST(CodeAssistSetup, PollsTheOperationUntilDone) {
  int polls = 0;
  std::vector<std::string> urls;
  ca::CallFn call = [&](const std::string& method, const std::string& url,
                        const std::string& body) {
    urls.push_back(method + " " + url);
    llmp::HttpResponse r;
    r.status = 200;
    if (url.find(":loadCodeAssist") != std::string::npos) {
      EXPECT_EQ(Json::parse(body)["cloudaicompanionProject"], "p1");
      EXPECT_EQ(Json::parse(body)["metadata"]["duetProject"], "p1");
      r.body = R"({"allowedTiers":[{"id":"standard-tier","isDefault":true,"userDefinedCloudaicompanionProject":true}]})";
    } else if (url.find(":onboardUser") != std::string::npos) {
      Json b = Json::parse(body);
      EXPECT_EQ(b["tierId"], "standard-tier");
      EXPECT_EQ(b["cloudaicompanionProject"], "p1");
      r.body = R"({"name":"operations/op1","done":false})";
    } else {
      ++polls;
      r.body = polls < 3 ? R"({"name":"operations/op1","done":false})"
                         : R"({"name":"operations/op1","done":true,"response":{"cloudaicompanionProject":{"id":"p1"}}})";
    }
    return r;
  };
  std::vector<int64_t> sleeps;
  ca::SetupOptions opts;
  opts.project = "p1";
  opts.pollIntervalMs = 5000;
  opts.sleep = [&](int64_t ms) { sleeps.push_back(ms); };
  auto result = ca::setupUser(call, "http://x", "v1internal", opts);
  EXPECT_EQ(result.project, "p1");
  EXPECT_EQ(result.tierId, "standard-tier");
  EXPECT_TRUE(result.onboarded);
  EXPECT_EQ(result.polls, 3);
  EXPECT_EQ(sleeps, (std::vector<int64_t>{5000, 5000, 5000}));
  EXPECT_EQ(urls.back(), "GET http://x/v1internal/operations/op1");

  // An operation that never finishes gives up with a timeout naming the project.
  polls = -1000;
  opts.maxPolls = 2;
  llmp_status code = LLMP_OK;
  std::string msg = thrownMessage([&] { ca::setupUser(call, "http://x", "v1internal", opts); },
                                  &code);
  EXPECT_EQ(code, LLMP_E_TIMEOUT);
  EXPECT_NE(msg.find("\"p1\""), std::string::npos) << msg;
}

TEST(CodeAssistSetup, PermissionDeniedAdvisesEnablingTheApi) {
  ca::CallFn call = [](const std::string&, const std::string&, const std::string&) {
    llmp::HttpResponse r;
    r.status = 403;
    r.body = R"({"error":{"code":403,"status":"PERMISSION_DENIED","message":"Gemini for Google Cloud API has not been used in project acme before or it is disabled."}})";
    return r;
  };
  ca::SetupOptions opts;
  opts.project = "acme";
  llmp_status code = LLMP_OK;
  std::string msg = thrownMessage([&] { ca::setupUser(call, "http://x", "v1", opts); }, &code);
  EXPECT_EQ(code, LLMP_E_AUTH);
  EXPECT_NE(msg.find("has not been used in project acme"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gcloud services enable cloudaicompanion.googleapis.com --project acme"),
            std::string::npos)
      << msg;
}

// ---- google_oauth ------------------------------------------------------------------------------

std::string b64urlDecode(const std::string& in) {
  std::string s = in;
  for (char& c : s) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  while (s.size() % 4) {
    s.push_back('=');
  }
  std::string out(s.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  out.resize(n - (in.size() % 4 == 2 ? 2 : in.size() % 4 == 3 ? 1 : 0));
  return out;
}

TEST(GoogleOAuth, ServiceAccountJwtIsRs256SignedWithTheRightClaims) {
  g::ServiceAccountKey key;
  key.clientEmail = "svc@p.iam.gserviceaccount.com";
  key.privateKey = keys().privatePem;
  key.privateKeyId = "kid1";
  key.tokenUri = "http://127.0.0.1:9/token";
  std::string jwt = g::makeServiceAccountJwt(key, g::codeAssistScopes(), 1700000000, "test");
  size_t d1 = jwt.find('.'), d2 = jwt.rfind('.');
  ASSERT_NE(d1, d2);
  Json header = Json::parse(b64urlDecode(jwt.substr(0, d1)));
  Json claims = Json::parse(b64urlDecode(jwt.substr(d1 + 1, d2 - d1 - 1)));
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["kid"], "kid1");
  EXPECT_EQ(claims["iss"], key.clientEmail);
  EXPECT_EQ(claims["aud"], key.tokenUri);
  EXPECT_EQ(claims["iat"], 1700000000);
  EXPECT_EQ(claims["exp"], 1700003600);
  EXPECT_NE(claims["scope"].get<std::string>().find("https://www.googleapis.com/auth/cloud-platform"),
            std::string::npos);

  std::string sig = b64urlDecode(jwt.substr(d2 + 1));
  BIO* bio = BIO_new_mem_buf(keys().publicPem.data(), static_cast<int>(keys().publicPem.size()));
  EVP_PKEY* pub = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(pub, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string input = jwt.substr(0, d2);
  int ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1
               ? EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()),
                                  sig.size(), reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size())
               : 0;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pub);
  EXPECT_EQ(ok, 1) << "the signature verifies with the public half of the key";
}

TEST(GoogleOAuth, TokenResponseErrorsNeverQuoteTheRequest) {
  auto ok = g::parseTokenResponse(200, R"({"access_token":"ya29.x","expires_in":3599})", "te");
  EXPECT_EQ(ok.token, "ya29.x");
  EXPECT_EQ(ok.expiresInMs, 3599000);
  llmp_status code = LLMP_OK;
  std::string msg = thrownMessage(
      [] {
        g::parseTokenResponse(400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})",
                              "token endpoint X");
      },
      &code);
  EXPECT_EQ(code, LLMP_E_AUTH);
  EXPECT_NE(msg.find("invalid_grant: Invalid JWT Signature."), std::string::npos) << msg;
  EXPECT_NE(msg.find("token endpoint X"), std::string::npos);
  thrownMessage([] { g::parseTokenResponse(503, "oops", "te"); }, &code);
  EXPECT_EQ(code, LLMP_E_UNAVAILABLE);
  thrownMessage([] { g::parseTokenResponse(200, "{}", "te"); }, &code);
  EXPECT_EQ(code, LLMP_E_AUTH);
}

class CountingSource : public g::TokenSource {
 public:
  g::AccessToken fetch() override {
    int n = ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
    if (failNext.exchange(false)) {
      throw llmp::Error(LLMP_E_AUTH, 401, "refused");
    }
    return {"tok-" + std::to_string(n), lifetimeMs};
  }
  std::string describe() const override { return "counting"; }
  std::atomic<int> calls{0};
  std::atomic<bool> failNext{false};
  int delayMs = 0;
  int64_t lifetimeMs = 3600 * 1000;
};

TEST(TokenCache, RefreshesOnlyInsideTheMarginAndOnceForConcurrentCallers) {
  auto source = std::make_shared<CountingSource>();
  std::atomic<int64_t> now{1000};
  g::TokenCache cache(source, 300 * 1000, [&] { return now.load(); });
  EXPECT_EQ(cache.get(), "tok-1");
  now += 3299 * 1000;  // 301 s left: still outside the margin
  EXPECT_EQ(cache.get(), "tok-1");
  EXPECT_EQ(source->calls, 1);
  now += 2 * 1000;  // 299 s left
  EXPECT_EQ(cache.get(), "tok-2");

  now += 3600 * 1000;
  source->delayMs = 200;  // the refresh takes a while: everyone else must wait for it
  std::vector<std::thread> threads;
  std::vector<std::string> got(12);
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] { got[i] = cache.get(); });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(source->calls, 3) << "one refresh for twelve concurrent callers";
  for (const auto& t : got) {
    EXPECT_EQ(t, "tok-3");
  }
}

TEST(TokenCache, FailedRefreshKeepsAStillValidTokenAndReportsOtherwise) {
  auto source = std::make_shared<CountingSource>();
  std::atomic<int64_t> now{0};
  g::TokenCache cache(source, 300 * 1000, [&] { return now.load(); });
  EXPECT_EQ(cache.get(), "tok-1");
  now += 3500 * 1000;  // inside the margin, not yet expired
  source->failNext = true;
  EXPECT_EQ(cache.get(), "tok-1");
  now += 200 * 1000;  // expired
  source->failNext = true;
  EXPECT_THROW(cache.get(), llmp::Error);
  EXPECT_EQ(cache.get(), "tok-4") << "the next call tries again";
  cache.invalidate("tok-4");
  EXPECT_EQ(cache.get(), "tok-5");
}

TEST(TokenCache, ShortLivedTokensAreNotRefreshedOnEveryCall) {
  auto source = std::make_shared<CountingSource>();
  source->lifetimeMs = 60 * 1000;  // shorter than the 300 s margin
  std::atomic<int64_t> now{0};
  g::TokenCache cache(source, 300 * 1000, [&] { return now.load(); });
  cache.get();
  now += 10 * 1000;
  cache.get();
  EXPECT_EQ(source->calls, 1);
}

// ---- adc -----------------------------------------------------------------------------------------

struct Env {
  std::map<std::string, std::string> vars;
  g::AdcOptions options() {
    g::AdcOptions o;
    o.getenv = [this](const char* n) -> const char* {
      auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
    return o;
  }
};

std::string saJson(const std::string& tokenUri = "https://oauth2.googleapis.com/token") {
  return llmp::fakes::code_assist::serviceAccountJson("svc@p.iam.gserviceaccount.com",
                                                      keys().privatePem, tokenUri, "proj-x");
}

TEST(Adc, ExplicitFileWinsOverEnvironment) {
  std::string dir = tempDir();
  std::string sa = writeFile(dir, "sa.json", saJson());
  std::string user = writeFile(
      dir, "user.json",
      R"({"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r","quota_project_id":"qp"})");
  Env env;
  env.vars["GOOGLE_APPLICATION_CREDENTIALS"] = user;
  auto o = env.options();
  auto fromEnv = g::discoverAdc(o);
  EXPECT_EQ(fromEnv.kind, g::CredentialKind::AuthorizedUser);
  EXPECT_EQ(fromEnv.quotaProjectId, "qp");
  EXPECT_EQ(fromEnv.authorizedUser.tokenUri, "https://oauth2.googleapis.com/token");
  EXPECT_NE(fromEnv.origin.find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos);
  o.credentialsFile = sa;
  auto explicitFile = g::discoverAdc(o);
  EXPECT_EQ(explicitFile.kind, g::CredentialKind::ServiceAccount);
  EXPECT_EQ(explicitFile.serviceAccount.clientEmail, "svc@p.iam.gserviceaccount.com");
  EXPECT_EQ(explicitFile.projectId, "proj-x");
  o.tokenUriOverride = "http://127.0.0.1:1/token";
  EXPECT_EQ(g::discoverAdc(o).serviceAccount.tokenUri, "http://127.0.0.1:1/token");
}

TEST(Adc, WellKnownFileThenMetadataServerOnlyWhenEnabled) {
  std::string home = tempDir();
  Env env;
  env.vars["HOME"] = home;
  auto o = env.options();
  llmp_status code = LLMP_OK;
  std::string msg = thrownMessage([&] { g::discoverAdc(o); }, &code);
  EXPECT_EQ(code, LLMP_E_INVALID);
  EXPECT_NE(msg.find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos) << msg;
  EXPECT_NE(msg.find(home + "/.config/gcloud/application_default_credentials.json"),
            std::string::npos)
      << msg;

  o.metadata.enabled = true;
  auto meta = g::discoverAdc(o);
  EXPECT_EQ(meta.kind, g::CredentialKind::MetadataServer);
  EXPECT_EQ(meta.metadataUrl, "http://169.254.169.254");
  env.vars["GCE_METADATA_HOST"] = "127.0.0.1:8181";
  auto o2 = env.options();
  o2.metadata.enabled = true;
  EXPECT_EQ(g::discoverAdc(o2).metadataUrl, "http://127.0.0.1:8181");

  std::string gcloud = home + "/.config/gcloud";
  ASSERT_EQ(std::system(("mkdir -p " + gcloud).c_str()), 0);
  writeFile(gcloud, "application_default_credentials.json",
            R"({"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r"})");
  EXPECT_EQ(g::discoverAdc(o2).kind, g::CredentialKind::AuthorizedUser)
      << "the well-known file comes before the metadata server";
}

TEST(Adc, EveryBadFileGetsAMessageNamingFileAndField) {
  std::string dir = tempDir();
  struct Case {
    std::string name, content, expect;
  };
  Json sa = Json::parse(saJson());
  Json missingKey = sa;
  missingKey.erase("private_key");
  Json missingEmail = sa;
  missingEmail.erase("client_email");
  Json badKey = sa;
  badKey["private_key"] = "-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n";
  Json numberEmail = sa;
  numberEmail["client_email"] = 42;
  std::vector<Case> cases = {
      {"malformed.json", "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN", "not valid JSON"},
      {"array.json", "[1,2]", "must hold a JSON object"},
      {"notype.json", R"({"client_email":"a"})", "field \"type\" is missing"},
      {"othertype.json", R"({"type":"external_account"})", "field \"type\" is \"external_account\""},
      {"nokey.json", missingKey.dump(), "field \"private_key\" is missing"},
      {"noemail.json", missingEmail.dump(), "field \"client_email\" is missing"},
      {"badkey.json", badKey.dump(), "field \"private_key\" is not a PEM private key"},
      {"numemail.json", numberEmail.dump(), "field \"client_email\" must be a string"},
      {"norefresh.json", R"({"type":"authorized_user","client_id":"c","client_secret":"s"})",
       "field \"refresh_token\" is missing"},
      {"empty.json", "", "not valid JSON"},
  };
  for (const auto& c : cases) {
    std::string path = writeFile(dir, c.name, c.content);
    Env env;
    auto o = env.options();
    o.credentialsFile = path;
    llmp_status code = LLMP_OK;
    std::string msg = thrownMessage([&] { g::discoverAdc(o); }, &code);
    EXPECT_EQ(code, LLMP_E_INVALID) << c.name;
    EXPECT_NE(msg.find(path), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
    EXPECT_EQ(msg.find("BEGIN"), std::string::npos) << "no key material quoted: " << msg;
  }
  Env env;
  auto o = env.options();
  o.credentialsFile = dir + "/does-not-exist.json";
  std::string msg = thrownMessage([&] { g::discoverAdc(o); });
  EXPECT_NE(msg.find(dir + "/does-not-exist.json (from credentials_file) cannot be read"),
            std::string::npos)
      << msg;
  o.credentialsFile = dir;
  EXPECT_NE(thrownMessage([&] { g::discoverAdc(o); }).find("is a directory"), std::string::npos);
}

// ---- the backend's config ------------------------------------------------------------------------

using llmp::plugins::gemini_cloud::parseConfig;

std::function<const char*(const char*)> envOf(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* n) -> const char* {
    auto it = shared->find(n);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

TEST(CloudConfig, DefaultsAndEnvironment) {
  auto cfg = parseConfig("cloud", R"({"type":"gemini-cli-cloud-project"})",
                         envOf({{"GOOGLE_CLOUD_PROJECT", "env-proj"}}));
  EXPECT_EQ(cfg.projectId, "env-proj");
  EXPECT_EQ(cfg.endpoint, "https://cloudcode-pa.googleapis.com");
  EXPECT_EQ(cfg.apiVersion, "v1internal");
  EXPECT_EQ(cfg.refreshMarginMs, 300000);
  EXPECT_FALSE(cfg.metadata.enabled);
  EXPECT_FALSE(cfg.models.empty());

  auto viaEnv = parseConfig("cloud", "{}",
                            envOf({{"GOOGLE_CLOUD_PROJECT", "p"},
                                   {"CODE_ASSIST_ENDPOINT", "http://127.0.0.1:5/"},
                                   {"CODE_ASSIST_API_VERSION", "v9"}}));
  EXPECT_EQ(viaEnv.endpoint, "http://127.0.0.1:5");
  EXPECT_EQ(viaEnv.apiVersion, "v9");

  auto full = parseConfig(
      "cloud",
      R"({"project_id":"cfg-proj","code_assist_endpoint":"http://127.0.0.1:7","api_version":"v1internal",
          "credentials_file":"/tmp/sa.json","token_refresh_margin_seconds":"60",
          "metadata_server":{"enabled":"true","url":"http://127.0.0.1:8/"},
          "timeouts":{"connect_ms":1000},"models":["models/gemini-2.5-pro","gemini-2.5-pro","x-1"]})",
      envOf({{"GOOGLE_CLOUD_PROJECT", "env-proj"}, {"CODE_ASSIST_ENDPOINT", "http://other"}}));
  EXPECT_EQ(full.projectId, "cfg-proj") << "config wins over the environment";
  EXPECT_EQ(full.endpoint, "http://127.0.0.1:7");
  EXPECT_EQ(full.credentialsFile, "/tmp/sa.json");
  EXPECT_EQ(full.refreshMarginMs, 60000);
  EXPECT_TRUE(full.metadata.enabled);
  EXPECT_EQ(full.metadata.url, "http://127.0.0.1:8");
  EXPECT_EQ(full.timeouts.connectMs, 1000u);
  EXPECT_EQ(full.models, (std::vector<std::string>{"gemini-2.5-pro", "x-1"}));

  auto extra = parseConfig("cloud", R"({"extra":{"project_id":"from-extra"}})", envOf({}));
  EXPECT_EQ(extra.projectId, "from-extra");
}

TEST(CloudConfig, ClearErrors) {
  auto msgOf = [](const char* json, std::map<std::string, std::string> env = {}) {
    return thrownMessage([&] { parseConfig("cloud", json, envOf(env)); });
  };
  std::string noProject = msgOf("{}");
  EXPECT_NE(noProject.find("backend 'cloud' (type gemini-cli-cloud-project)"), std::string::npos);
  EXPECT_NE(noProject.find("GOOGLE_CLOUD_PROJECT"), std::string::npos) << noProject;
  EXPECT_NE(noProject.find("project_id"), std::string::npos);
  EXPECT_NE(msgOf(R"({"project_id":123456})").find("project number"), std::string::npos);
  EXPECT_NE(msgOf(R"({"project_id":"p","code_assist_endpoint":"ftp://x"})").find("http://"),
            std::string::npos);
  EXPECT_NE(msgOf(R"({"project_id":"p","metadata_server":{"enable":true}})")
                .find("metadata_server.enable"),
            std::string::npos);
  EXPECT_NE(msgOf(R"({"project_id":"p","token_refresh_margin_seconds":"soon"})")
                .find("token_refresh_margin_seconds must be a number"),
            std::string::npos);
  EXPECT_NE(msgOf(R"({"project_id":"p","models":["a b"]})").find("invalid model id"),
            std::string::npos);
}

}  // namespace
