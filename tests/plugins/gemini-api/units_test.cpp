// Plain C++ pieces of the gemini backend: Google error parsing and mapping, config parsing, the
// upstream body rewrite rules.
#include <gtest/gtest.h>

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_errors.hpp>

#include <nlohmann/json.hpp>

#include "config.hpp"
#include "key_pool.hpp"
#include "request_body.hpp"

namespace llmp::plugins::gemini_api {
namespace {

using nlohmann::json;

// ---- google_errors -------------------------------------------------------------------------

TEST(GoogleErrors, ParsesDecimalDurations) {
  EXPECT_EQ(parseGoogleDurationMs("34s"), 34000);
  EXPECT_EQ(parseGoogleDurationMs("0.5s"), 500);
  EXPECT_EQ(parseGoogleDurationMs("0.539477544s"), 540);
  EXPECT_EQ(parseGoogleDurationMs("250ms"), 250);
  EXPECT_EQ(parseGoogleDurationMs("2"), 2000);
  EXPECT_EQ(parseGoogleDurationMs("soon"), -1);
  EXPECT_EQ(parseGoogleDurationMs(""), -1);
}

TEST(GoogleErrors, FindsRetryHintsInMessages) {
  EXPECT_EQ(parseRetryHintMs("You exceeded your current quota. Please retry in 34.5s."), 34500);
  EXPECT_EQ(parseRetryHintMs("please RETRY IN 800ms"), 800);
  EXPECT_EQ(parseRetryHintMs("no hint here"), -1);
}

TEST(GoogleErrors, ReadsRetryInfoAndErrorInfo) {
  std::string body = R"({"error":{"code":429,"message":"Quota. Please retry in 9s.",
    "status":"RESOURCE_EXHAUSTED","details":[
      {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED"},
      {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.25s"}]}})";
  GoogleError e = parseGoogleError(body);
  EXPECT_TRUE(e.parsed);
  EXPECT_EQ(e.code, 429);
  EXPECT_EQ(e.status, "RESOURCE_EXHAUSTED");
  EXPECT_EQ(e.reason, "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(e.retryDelayMs, 1250);  // RetryInfo wins over the message hint
  EXPECT_EQ(parseGoogleError(R"({"error":{"message":"Please retry in 3s"}})").retryDelayMs, 3000);
  EXPECT_FALSE(parseGoogleError("<html>bad gateway</html>").parsed);
}

struct MapCase {
  int upstream;
  std::string reason;
  llmp_status code;
  int http;
};

class GoogleErrorMapping : public ::testing::TestWithParam<MapCase> {};

TEST_P(GoogleErrorMapping, MapsStatusAndKeepsTheBody) {
  const MapCase& c = GetParam();
  std::string body = json{{"error",
                           {{"code", c.upstream},
                            {"message", "upstream says no"},
                            {"status", std::string(googleStatusForHttp(c.upstream))},
                            {"details",
                             {{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                               {"reason", c.reason}}}}}}}
                         .dump();
  MappedError m = mapGoogleHttpError(c.upstream, body, "Gemini API");
  EXPECT_EQ(m.code, c.code);
  EXPECT_EQ(m.httpStatus, c.http);
  EXPECT_EQ(m.body, body);
  EXPECT_NE(m.message.find("upstream says no"), std::string::npos);
  EXPECT_NE(m.message.find("HTTP " + std::to_string(c.upstream)), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, GoogleErrorMapping,
    ::testing::Values(MapCase{400, "", LLMP_E_INVALID, 400},
                      MapCase{400, "API_KEY_INVALID", LLMP_E_AUTH, 400},
                      MapCase{401, "", LLMP_E_AUTH, 401}, MapCase{403, "", LLMP_E_AUTH, 403},
                      MapCase{404, "", LLMP_E_NOT_FOUND, 404},
                      MapCase{409, "", LLMP_E_UPSTREAM_HTTP, 409},
                      MapCase{429, "", LLMP_E_RATE_LIMITED, 429},
                      MapCase{500, "", LLMP_E_UPSTREAM_HTTP, 502},
                      MapCase{502, "", LLMP_E_UPSTREAM_HTTP, 502},
                      MapCase{503, "", LLMP_E_UNAVAILABLE, 503},
                      MapCase{504, "", LLMP_E_TIMEOUT, 504}),
    [](const ::testing::TestParamInfo<MapCase>& info) {
      return "Http" + std::to_string(info.param.upstream) +
             (info.param.reason.empty() ? std::string() : "_" + info.param.reason);
    });

TEST(GoogleErrors, RateLimitCarriesTheDelayAndRedactsSecrets) {
  std::string body = R"({"error":{"code":429,"message":"key AIzaSECRET over quota",)"
                     R"("status":"RESOURCE_EXHAUSTED","details":[{"@type":)"
                     R"("type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.5s"}]}})";
  MappedError m = mapGoogleHttpError(429, body, "Gemini API", {"AIzaSECRET"});
  EXPECT_EQ(m.retryAfterMs, 500);
  EXPECT_EQ(m.message.find("AIzaSECRET"), std::string::npos);
  EXPECT_EQ(m.body.find("AIzaSECRET"), std::string::npos);
  EXPECT_NE(m.body.find("[redacted]"), std::string::npos);
}

TEST(GoogleErrors, NonJsonBodiesStillGiveAReadableMessage) {
  MappedError m = mapGoogleHttpError(502, "<html>\nBad Gateway\n</html>", "Gemini API");
  EXPECT_EQ(m.code, LLMP_E_UPSTREAM_HTTP);
  EXPECT_EQ(m.httpStatus, 502);
  EXPECT_NE(m.message.find("Bad Gateway"), std::string::npos);
  EXPECT_EQ(m.message.find('\n'), std::string::npos);
}

TEST(GoogleErrors, BuildsBodiesWithRetryInfo) {
  auto j = json::parse(makeGoogleErrorBody(429, "RESOURCE_EXHAUSTED", "wait", 1500));
  EXPECT_EQ(j["error"]["code"], 429);
  EXPECT_EQ(parseGoogleError(j.dump()).retryDelayMs, 1500);
}

// ---- config --------------------------------------------------------------------------------

TEST(GeminiConfig, DefaultsAndEnvironmentKeys) {
  GeminiConfig c = parseConfig("g", "{}", "k1, k2,,k1");
  EXPECT_EQ(c.baseUrl, "https://generativelanguage.googleapis.com");
  EXPECT_EQ(c.apiVersion, "v1beta");
  EXPECT_EQ(c.apiKeys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(c.modelsCacheTtlMs, 300000);
  EXPECT_EQ(c.hostPort, "generativelanguage.googleapis.com:443");
}

TEST(GeminiConfig, ConfiguredKeysWinOverTheEnvironment) {
  GeminiConfig c = parseConfig(
      "g",
      R"({"base_url":"http://127.0.0.1:8080/","api_key":"a","api_keys":["b","a"],
          "timeouts":{"connect_ms":"250","first_byte_ms":1000,"idle_ms":2000},
          "models_cache_ttl_seconds":"0"})",
      "env");
  EXPECT_EQ(c.baseUrl, "http://127.0.0.1:8080");
  EXPECT_EQ(c.hostPort, "127.0.0.1:8080");
  EXPECT_EQ(c.apiKeys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.timeouts.connectMs, 250u);
  EXPECT_EQ(c.timeouts.firstByteMs, 1000u);
  EXPECT_EQ(c.timeouts.idleMs, 2000u);
  EXPECT_EQ(c.modelsCacheTtlMs, 0);
}

TEST(GeminiConfig, RejectsUnusableSettingsNamingTheInstance) {
  auto message = [](const char* json, const char* env) {
    try {
      parseConfig("my-gemini", json, env);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), LLMP_E_INVALID);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string noKey = message("{}", nullptr);
  EXPECT_NE(noKey.find("GEMINI_API_KEY"), std::string::npos);
  EXPECT_NE(noKey.find("my-gemini"), std::string::npos);
  EXPECT_NE(message("{}", " , ").find("GEMINI_API_KEY"), std::string::npos);
  EXPECT_NE(message(R"({"base_url":"ftp://x"})", "k").find("base_url"), std::string::npos);
  EXPECT_NE(message(R"({"base_url":"https://x/?key=abc"})", "k").find("never in the URL"),
            std::string::npos);
  EXPECT_NE(message(R"({"timeouts":{"connect":5}})", "k").find("timeouts.connect"),
            std::string::npos);
  EXPECT_NE(message(R"({"timeouts":{"idle_ms":-1}})", "k").find("idle_ms"), std::string::npos);
  EXPECT_NE(message("[1]", "k").find("mapping"), std::string::npos);
}

// ---- request body --------------------------------------------------------------------------

TEST(RequestBody, PlainIrIsSentAsIs) {
  std::string ir = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}],"futureField":{"x":1}})";
  EXPECT_FALSE(prepareUpstreamBody(ir, "gemini-2.5-flash").has_value());
  // Temperatures inside the range need no rewrite either.
  std::string warm = R"({"contents":[],"generationConfig":{"temperature":1.5}})";
  EXPECT_FALSE(prepareUpstreamBody(warm, "gemini-2.5-flash").has_value());
}

TEST(RequestBody, RemovesTopLevelLlmpMembersOnlyAndKeepsOrder) {
  std::string ir = R"({"zeta":1,"llmpDroppedFields":["x"],"contents":[{"role":"user",)"
                   R"("parts":[{"text":"\"llmp"}],"llmpNested":true}],"alpha":2,"llmpOther":{}})";
  auto out = prepareUpstreamBody(ir, "gemini-2.5-flash");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, R"({"zeta":1,"contents":[{"role":"user","parts":[{"text":"\"llmp"}],)"
                  R"("llmpNested":true}],"alpha":2})");
}

TEST(RequestBody, ClampsTemperaturePerModelFamily) {
  auto temperatureAfter = [](const std::string& model, double t) {
    std::string ir = json{{"contents", json::array()},
                          {"generationConfig", {{"temperature", t}, {"topK", 3}}}}
                         .dump();
    auto out = prepareUpstreamBody(ir, model);
    return json::parse(out ? *out : ir)["generationConfig"]["temperature"].get<double>();
  };
  EXPECT_DOUBLE_EQ(temperatureAfter("gemini-2.5-flash", 2.7), 2.0);
  EXPECT_DOUBLE_EQ(temperatureAfter("gemini-2.5-flash", -0.5), 0.0);
  EXPECT_DOUBLE_EQ(temperatureAfter("gemini-2.5-pro", 1.5), 1.5);
  EXPECT_DOUBLE_EQ(temperatureAfter("gemini-1.5-flash", 1.5), 1.0);
  EXPECT_DOUBLE_EQ(temperatureAfter("models/gemini-1.5-pro-002", 1.2), 1.0);
  EXPECT_DOUBLE_EQ(temperatureAfter("gemini-1.0-pro", 0.7), 0.7);
  // A "temperature" that is not the generation parameter is left alone.
  std::string ir = R"({"contents":[],"tools":[{"functionDeclarations":[{"name":"f",)"
                   R"("parameters":{"type":"OBJECT","properties":{"temperature":{"type":"NUMBER"}}}}]}]})";
  EXPECT_FALSE(prepareUpstreamBody(ir, "gemini-1.5-flash").has_value());
}

TEST(RequestBody, RejectsBrokenJsonWhenItMustRewrite) {
  try {
    prepareUpstreamBody(R"({"llmpX":1,)", "gemini-2.5-flash");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), LLMP_E_INVALID);
    EXPECT_EQ(e.httpStatus(), 400);
  }
}

TEST(RequestBody, CountTokensUsesThePlainFormUnlessSystemOrToolsArePresent) {
  std::string plain = R"({"contents":[{"role":"user","parts":[{"text":"a b"}]}],)"
                      R"("generationConfig":{"temperature":0.1},"llmpDroppedFields":[]})";
  EXPECT_EQ(countTokensBody(plain, "gemini-2.5-flash"),
            R"({"contents":[{"role":"user","parts":[{"text":"a b"}]}]})");
  std::string full = R"({"systemInstruction":{"parts":[{"text":"sys"}]},)"
                     R"("contents":[{"role":"user","parts":[{"text":"a"}]}],"llmpX":1})";
  auto j = json::parse(countTokensBody(full, "models/gemini-2.5-pro"));
  EXPECT_EQ(j["generateContentRequest"]["model"], "models/gemini-2.5-pro");
  EXPECT_EQ(j["generateContentRequest"]["systemInstruction"]["parts"][0]["text"], "sys");
  EXPECT_FALSE(j["generateContentRequest"].contains("llmpX"));
  EXPECT_THROW(countTokensBody(R"({"x":1})", "m"), Error);
}

TEST(RequestBody, NormalizesModelIds) {
  EXPECT_EQ(normalizeModel("models/gemini-2.5-flash"), "gemini-2.5-flash");
  EXPECT_EQ(normalizeModel("tunedModels/my-model-1"), "tunedModels/my-model-1");
  EXPECT_EQ(modelResource("gemini-2.5-flash"), "models/gemini-2.5-flash");
  EXPECT_THROW(normalizeModel(""), Error);
  EXPECT_THROW(normalizeModel("../admin"), Error);
  EXPECT_THROW(normalizeModel("gemini?key=x"), Error);
}

TEST(KeyPool, FingerprintsDoNotRevealTheKey) {
  std::string fp = keyFingerprint("AIzaSyExampleKey123");
  EXPECT_EQ(fp.size(), 16u);
  EXPECT_EQ(fp.find("AIza"), std::string::npos);
  EXPECT_NE(fp, keyFingerprint("AIzaSyExampleKey124"));
  EXPECT_EQ(fp, keyFingerprint("AIzaSyExampleKey123"));
}

}  // namespace
}  // namespace llmp::plugins::gemini_api
