// The gemini backend through its C ABI (the built .so), with a real HTTP client, against the fake
// Gemini upstream: endpoints, passthrough, streaming, key rotation, error mapping, timeouts,
// model paging and caching, and that no API key ever leaks.
#include <gtest/gtest.h>

#include <llmp/cpp/google_errors.hpp>

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_gemini.hpp"
#include "key_pool.hpp"
#include "plugin_fixture.hpp"
#include "test_host.hpp"

namespace llmp::plugins::gemini_api::testing {
namespace {

using fakes::FakeGemini;
using fakes::FakeGeminiOptions;
using fakes::Framing;
using fakes::ScriptedResponse;
using nlohmann::json;

const std::string kKey = "AIzaSyTEST-secret-key-0001";
const std::string kHello = R"({"contents":[{"role":"user","parts":[{"text":"hi there"}]}]})";

class GeminiBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("GEMINI_API_KEY");
    fake_.start();
  }

  json config(std::vector<std::string> keys = {kKey}) const {
    return json{{"base_url", fake_.baseUrl()}, {"api_keys", keys}};
  }

  std::unique_ptr<Backend> make(const json& cfg, const std::string& name = "gemini") {
    auto b = std::make_unique<Backend>(host_->api(), name, cfg);
    EXPECT_TRUE(b->created()) << b->createError().message;
    return b;
  }

  // Every place a key could leak: error text, error body, log lines, request URLs.
  void expectNoKeyLeak(const CallResult& r, const std::vector<std::string>& keys = {kKey}) {
    for (const auto& k : keys) {
      EXPECT_EQ(r.error.message.find(k), std::string::npos) << r.error.message;
      EXPECT_EQ(r.error.body.find(k), std::string::npos) << r.error.body;
      EXPECT_EQ(host_->allLogText().find(k), std::string::npos);
      for (const auto& req : fake_.requests()) {
        EXPECT_EQ(req.path.find(k), std::string::npos);
        EXPECT_EQ(req.query.find(k), std::string::npos);
      }
    }
  }

  std::unique_ptr<HostUnderTest> host_ = makeHostUnderTest();
  FakeGemini fake_;
};

// ---- generate: passthrough ------------------------------------------------------------------

// Everything a Gemini client may send (the parity table's request rows) reaches the upstream
// byte for byte: generation parameters, thinking, every content kind, tools, safetySettings,
// cachedContent, fields nobody knows yet.
const std::string kRichIr = R"({"contents":[{"role":"user","parts":[{"text":"look"},)"
    R"({"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},)"
    R"({"fileData":{"mimeType":"application/pdf","fileUri":"https://example.invalid/f"}}]},)"
    R"({"role":"model","parts":[{"text":"thinking","thought":true},{"functionCall":{"id":"c1",)"
    R"("name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"skip_thought_signature_validator"}]},)"
    R"({"role":"user","parts":[{"functionResponse":{"id":"c1","name":"get_weather",)"
    R"("response":{"result":"18C"}}},{"executableCode":{"language":"PYTHON","code":"x = 1"}},)"
    R"({"codeExecutionResult":{"outcome":"OUTCOME_OK","output":"1"}}]}],)"
    R"("systemInstruction":{"parts":[{"text":"be terse"}]},)"
    R"("tools":[{"functionDeclarations":[{"name":"get_weather","parametersJsonSchema":)"
    R"({"type":"object","properties":{"city":{"type":"string"}}}}]},{"googleSearch":{}},{"codeExecution":{}}],)"
    R"("toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}},)"
    R"("safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}],)"
    R"("cachedContent":"cachedContents/abc123",)"
    R"("generationConfig":{"temperature":0.7,"topP":0.9,"topK":40,"maxOutputTokens":2048,)"
    R"("stopSequences":["END"],"candidateCount":1,"seed":7,"presencePenalty":0.5,)"
    R"("frequencyPenalty":0.25,"responseMimeType":"application/json","responseJsonSchema":)"
    R"({"type":"object"},"responseLogprobs":true,"logprobs":3,"responseModalities":["TEXT"],)"
    R"("thinkingConfig":{"includeThoughts":true,"thinkingBudget":1024,"thinkingLevel":"HIGH"},)"
    R"("mediaResolution":"MEDIA_RESOLUTION_LOW"},"futureTopLevel":{"nested":[1,2,{"a":null}]}})";

TEST_F(GeminiBackendTest, GenerateSendsTheIrUntouchedWithTheKeyInAHeader) {
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kRichIr, false);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/v1beta/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(reqs[0].query, "");
  EXPECT_EQ(reqs[0].header("x-goog-api-key"), kKey);
  EXPECT_EQ(reqs[0].header("content-type"), "application/json");
  EXPECT_EQ(reqs[0].body, kRichIr);
  ASSERT_EQ(r.chunks.size(), 1u);
  // The last user turn carries only a functionResponse and code parts: nothing to echo.
  EXPECT_EQ(json::parse(r.chunks[0])["candidates"][0]["content"]["parts"][0]["text"], "echo: ");
  // The exchange was logged (so the leak check below has something to look at), by fingerprint.
  EXPECT_NE(host_->allLogText().find("(key #"), std::string::npos);
  expectNoKeyLeak(r);
}

TEST_F(GeminiBackendTest, GenerateHandsTheUpstreamBodyBackAsIs) {
  // Response fields of the parity table plus one nobody knows yet.
  std::string body = R"({"candidates":[{"content":{"role":"model","parts":[{"text":"t",)"
      R"("thought":true},{"text":"answer","thoughtSignature":"c2ln"}]},"finishReason":"STOP",)"
      R"("index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"NEGLIGIBLE"}],)"
      R"("citationMetadata":{"citationSources":[{"startIndex":1,"uri":"https://x.invalid"}]},)"
      R"("groundingMetadata":{"webSearchQueries":["q"]},"avgLogprobs":-0.1,)"
      R"("logprobsResult":{"chosenCandidates":[{"token":"a","logProbability":-0.1}]}}],)"
      R"("usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"thoughtsTokenCount":5,)"
      R"("cachedContentTokenCount":2,"totalTokenCount":9},"modelVersion":"gemini-2.5-pro-001",)"
      R"("responseId":"r1","futureResponseField":{"x":[1]}})";
  fake_.push(ScriptedResponse::json(body));
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-pro", kHello, false);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  ASSERT_EQ(r.chunks.size(), 1u);
  EXPECT_EQ(r.chunks[0], body);
}

TEST_F(GeminiBackendTest, PromptBlockedWithoutCandidatesPassesThrough) {
  std::string blocked = R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},)"
                        R"("usageMetadata":{"promptTokenCount":4,"totalTokenCount":4}})";
  fake_.push(ScriptedResponse::json(blocked));
  fake_.push(ScriptedResponse::stream({blocked}));
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, false);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(r.chunks, std::vector<std::string>{blocked});
  CallResult s = b->generate("gemini-2.5-flash", kHello, true);
  ASSERT_EQ(s.status, LLMP_OK) << s.error.message;
  EXPECT_EQ(s.chunks, std::vector<std::string>{blocked});
}

TEST_F(GeminiBackendTest, RemovesLlmpExtensionsBeforeSending) {
  auto b = make(config());
  std::string ir = R"({"llmpDroppedFields":["logit_bias"],"contents":[{"role":"user",)"
                   R"("parts":[{"text":"x"}]}],"cachedContent":"cachedContents/c"})";
  ASSERT_EQ(b->generate("gemini-2.5-flash", ir, false).status, LLMP_OK);
  EXPECT_EQ(fake_.requests().at(0).body,
            R"({"contents":[{"role":"user","parts":[{"text":"x"}]}],"cachedContent":"cachedContents/c"})");
}

TEST_F(GeminiBackendTest, ClampsTemperatureForTheModelFamily) {
  auto b = make(config());
  auto sentTemperature = [&](const std::string& model, double t) {
    fake_.reset();
    std::string ir = json{{"contents", {{{"role", "user"}, {"parts", {{{"text", "x"}}}}}}},
                          {"generationConfig", {{"temperature", t}}}}
                         .dump();
    EXPECT_EQ(b->generate(model, ir, false).status, LLMP_OK);
    return json::parse(fake_.requests().at(0).body)["generationConfig"]["temperature"]
        .get<double>();
  };
  EXPECT_DOUBLE_EQ(sentTemperature("gemini-2.5-flash", 2.5), 2.0);
  EXPECT_DOUBLE_EQ(sentTemperature("gemini-2.5-flash", 1.5), 1.5);
  EXPECT_DOUBLE_EQ(sentTemperature("gemini-1.5-flash", 1.5), 1.0);
  EXPECT_DOUBLE_EQ(sentTemperature("gemini-1.5-pro", -1.0), 0.0);
}

TEST_F(GeminiBackendTest, RejectsABadModelIdWithoutCallingUpstream) {
  auto b = make(config());
  CallResult r = b->generate("../../v1/secret", kHello, false);
  EXPECT_EQ(r.status, LLMP_E_INVALID);
  EXPECT_EQ(r.error.effectiveHttpStatus(), 400);
  EXPECT_EQ(fake_.requestCount(), 0u);
}

// ---- generate: streaming ---------------------------------------------------------------------

class StreamFraming : public GeminiBackendTest, public ::testing::WithParamInterface<Framing> {};

TEST_P(StreamFraming, EmitsEachChunkBeforeTheUpstreamSendsTheNext) {
  std::vector<std::string> chunks = {ScriptedResponse::textChunk("Hel"),
                                     ScriptedResponse::textChunk("lo"),
                                     ScriptedResponse::textChunk("!", "STOP")};
  auto script = ScriptedResponse::stream(chunks);
  script.framing = GetParam();
  script.holdAfterChunks = 1;  // the fake waits for release() before sending chunk 2
  fake_.push(script);
  auto b = make(config());
  int sentWhenFirstArrived = -1;
  CallResult r = b->generate("gemini-2.5-flash", kHello, true, [&](const std::string&) {
    if (sentWhenFirstArrived < 0) {
      sentWhenFirstArrived = fake_.chunksSent();
      fake_.release();
    }
    return LLMP_OK;
  });
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(sentWhenFirstArrived, 1);
  EXPECT_EQ(r.chunks, chunks);
  auto req = fake_.requests().at(0);
  EXPECT_EQ(req.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent");
  EXPECT_EQ(req.query, "alt=sse");
  EXPECT_EQ(req.body, kHello);
}

INSTANTIATE_TEST_SUITE_P(Framings, StreamFraming,
                         ::testing::Values(Framing::Lf, Framing::CrLf, Framing::Cr),
                         [](const ::testing::TestParamInfo<Framing>& info) {
                           switch (info.param) {
                             case Framing::CrLf: return std::string("CrLf");
                             case Framing::Cr: return std::string("Cr");
                             default: return std::string("Lf");
                           }
                         });

TEST_F(GeminiBackendTest, StreamsTheDefaultEchoInSeveralChunks) {
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, true);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  ASSERT_EQ(r.chunks.size(), 3u);
  std::string text;
  for (const auto& c : r.chunks) {
    text += json::parse(c)["candidates"][0]["content"]["parts"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(text, "echo: hi there");
  EXPECT_EQ(json::parse(r.chunks.back())["candidates"][0]["finishReason"], "STOP");
}

TEST_F(GeminiBackendTest, AJsonArrayInsteadOfSseIsStillDeliveredChunkByChunk) {
  // A gateway that ignores alt=sse answers like streamGenerateContent without it.
  std::vector<std::string> chunks = {ScriptedResponse::textChunk("a"),
                                     ScriptedResponse::textChunk("b", "STOP")};
  fake_.push(ScriptedResponse::json("[" + chunks[0] + ",\r\n" + chunks[1] + "]"));
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, true);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(r.chunks, chunks);
}

TEST_F(GeminiBackendTest, AStreamWithoutAnyChunkIsABadGateway) {
  auto empty = ScriptedResponse::json(": nothing but a comment\n\n");
  empty.contentType = "text/event-stream";
  fake_.push(empty);
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, true);
  EXPECT_EQ(r.status, LLMP_E_UPSTREAM_HTTP);
  EXPECT_EQ(r.error.httpStatus, 502);
}

TEST_F(GeminiBackendTest, AnErrorEventMidStreamEndsWithTheMappedError) {
  std::string error = R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})";
  fake_.push(ScriptedResponse::stream({ScriptedResponse::textChunk("partial"), error}));
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, true);
  EXPECT_EQ(r.status, LLMP_E_UNAVAILABLE);
  EXPECT_EQ(r.error.httpStatus, 503);
  EXPECT_NE(r.error.message.find("overloaded"), std::string::npos);
  EXPECT_EQ(r.chunks.size(), 1u);
}

TEST_F(GeminiBackendTest, AConnectionClosedMidStreamIsReported) {
  auto script = ScriptedResponse::stream(
      {ScriptedResponse::textChunk("one"), ScriptedResponse::textChunk("two", "STOP")});
  script.closeAfterChunks = 1;
  fake_.push(script);
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, true);
  EXPECT_EQ(r.status, LLMP_E_UNAVAILABLE);
  EXPECT_EQ(r.error.message, "upstream closed the stream before it finished");
  EXPECT_EQ(r.chunks.size(), 1u);
}

TEST_F(GeminiBackendTest, MalformedUpstreamJsonIsABadGateway) {
  fake_.push(ScriptedResponse::json("{\"candidates\": [ this is not json"));
  fake_.push(ScriptedResponse::stream({ScriptedResponse::textChunk("ok"), "{not json"}));
  auto b = make(config());
  CallResult plain = b->generate("gemini-2.5-flash", kHello, false);
  EXPECT_EQ(plain.status, LLMP_E_UPSTREAM_HTTP);
  EXPECT_EQ(plain.error.httpStatus, 502);
  EXPECT_TRUE(plain.chunks.empty());
  CallResult streamed = b->generate("gemini-2.5-flash", kHello, true);
  EXPECT_EQ(streamed.status, LLMP_E_UPSTREAM_HTTP);
  EXPECT_EQ(streamed.error.httpStatus, 502);
  EXPECT_EQ(streamed.chunks.size(), 1u);
}

TEST_F(GeminiBackendTest, AClientThatGoesAwayStopsTheUpstreamFetch) {
  auto script = ScriptedResponse::stream(
      {ScriptedResponse::textChunk("one"), ScriptedResponse::textChunk("two", "STOP")});
  script.holdAfterChunks = 1;  // never released: only a cancelled fetch lets generate return
  fake_.push(script);
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, true,
                             [](const std::string&) { return LLMP_E_CANCELLED; });
  EXPECT_EQ(r.status, LLMP_E_CANCELLED);
  EXPECT_EQ(r.chunks.size(), 1u);
  EXPECT_EQ(fake_.chunksSent(), 1);
}

// ---- errors -----------------------------------------------------------------------------------

struct ErrorCase {
  int upstream;
  std::string reason;
  std::string retryDelay;
  llmp_status code;
  int http;
  int64_t retryAfterMs;
};

class UpstreamErrors : public GeminiBackendTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(UpstreamErrors, MapToTheRightStatusAndKeepTheBody) {
  const ErrorCase& c = GetParam();
  auto script = ScriptedResponse::error(c.upstream, "upstream problem " + std::to_string(c.upstream),
                                        "", c.retryDelay, c.reason);
  script.times = -1;
  fake_.push(script);
  auto b = make(config());
  for (bool stream : {false, true}) {
    CallResult r = b->generate("gemini-2.5-flash", kHello, stream);
    EXPECT_EQ(r.status, c.code) << "stream=" << stream;
    EXPECT_EQ(r.error.httpStatus, c.http) << "stream=" << stream;
    EXPECT_NE(r.error.message.find("upstream problem"), std::string::npos);
    EXPECT_EQ(r.error.body, script.body);
    if (c.retryAfterMs >= 0) {
      EXPECT_GT(r.error.retryAfterMs, c.retryAfterMs - 1000);
      EXPECT_LE(r.error.retryAfterMs, c.retryAfterMs);
    }
    EXPECT_TRUE(r.chunks.empty());
    expectNoKeyLeak(r);
    if (c.upstream == 429) {
      break;  // the key now rests; the streamed twin is covered by the rotation tests
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, UpstreamErrors,
    ::testing::Values(ErrorCase{400, "", "", LLMP_E_INVALID, 400, -1},
                      ErrorCase{400, "API_KEY_INVALID", "", LLMP_E_AUTH, 400, -1},
                      ErrorCase{401, "", "", LLMP_E_AUTH, 401, -1},
                      ErrorCase{403, "", "", LLMP_E_AUTH, 403, -1},
                      ErrorCase{404, "", "", LLMP_E_NOT_FOUND, 404, -1},
                      ErrorCase{429, "", "34s", LLMP_E_RATE_LIMITED, 429, 34000},
                      ErrorCase{500, "", "", LLMP_E_UPSTREAM_HTTP, 502, -1},
                      ErrorCase{502, "", "", LLMP_E_UPSTREAM_HTTP, 502, -1},
                      ErrorCase{503, "", "", LLMP_E_UNAVAILABLE, 503, -1},
                      ErrorCase{504, "", "", LLMP_E_TIMEOUT, 504, -1}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) {
      return "Http" + std::to_string(info.param.upstream) +
             (info.param.reason.empty() ? std::string() : "_" + info.param.reason);
    });

TEST_F(GeminiBackendTest, AnInvalidKeyIsAnAuthErrorFromTheRealFakeCheck) {
  fake_.setValidKeys({"some-other-key"});
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, false);
  EXPECT_EQ(r.status, LLMP_E_AUTH);
  EXPECT_EQ(r.error.httpStatus, 400);
  EXPECT_NE(r.error.body.find("API_KEY_INVALID"), std::string::npos);
  expectNoKeyLeak(r);
}

TEST_F(GeminiBackendTest, AKeyEchoedByTheUpstreamIsRedacted) {
  fake_.push(ScriptedResponse::error(403, "API key " + kKey + " has been suspended."));
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, false);
  EXPECT_EQ(r.status, LLMP_E_AUTH);
  EXPECT_NE(r.error.message.find("[redacted]"), std::string::npos);
  expectNoKeyLeak(r);
}

// ---- key rotation -----------------------------------------------------------------------------

size_t hitsFor(const FakeGemini& fake, const std::string& key) {
  size_t n = 0;
  for (const auto& r : fake.requests()) {
    n += r.apiKey() == key ? 1 : 0;
  }
  return n;
}

TEST_F(GeminiBackendTest, ARateLimitedKeyRestsWhileTheOthersServe) {
  auto limited = ScriptedResponse::error(429, "Resource has been exhausted", "", "30s");
  limited.apiKey = "k1";
  limited.times = -1;
  fake_.push(limited);
  auto b = make(config({"k1", "k2", "k3"}));
  for (int i = 0; i < 6; ++i) {
    CallResult r = b->generate("gemini-2.5-flash", kHello, i % 2 == 1);
    ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  }
  EXPECT_EQ(hitsFor(fake_, "k1"), 1u);  // hit once, then resting
  EXPECT_EQ(hitsFor(fake_, "k2") + hitsFor(fake_, "k3"), 6u);
  EXPECT_GE(hitsFor(fake_, "k3"), 2u);  // round-robin, not "always the first healthy key"
  // The rest lives in the host's key-value store under the key's fingerprint.
  std::string kvValue;
  EXPECT_EQ(host_->kvGet("gemini-api:gemini:rest:" + keyFingerprint("k1"), &kvValue),
            LLMP_OK);
  auto health = json::parse(b->health());
  EXPECT_EQ(health["keys"], 3);
  EXPECT_EQ(health["restingKeys"], 1);
  // After the RetryInfo delay the key serves again (when the host's clock can be moved).
  if (!host_->advanceWallMs(31000)) {
    return;
  }
  for (int i = 0; i < 3; ++i) {
    b->generate("gemini-2.5-flash", kHello, false);
  }
  EXPECT_EQ(hitsFor(fake_, "k1"), 2u);
}

TEST_F(GeminiBackendTest, ARejectedKeyIsSkippedForTheNextOneInTheSameRequest) {
  fake_.setValidKeys({"good"});  // the fake answers 400 API_KEY_INVALID for "revoked"
  auto b = make(config({"revoked", "good"}));
  for (int i = 0; i < 4; ++i) {
    CallResult r = b->generate("gemini-2.5-flash", kHello, i % 2 == 1);
    ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
    EXPECT_FALSE(r.chunks.empty());
  }
  EXPECT_EQ(hitsFor(fake_, "good"), 4u);
  EXPECT_GE(hitsFor(fake_, "revoked"), 1u);
  // A rejection is not a rate limit: the key does not rest and /healthz does not count it.
  EXPECT_EQ(json::parse(b->health())["restingKeys"], 0);
}

TEST_F(GeminiBackendTest, WhenEveryKeyIsRejectedTheClientSeesTheRejection) {
  fake_.setValidKeys({"nobody-has-this-key"});
  auto b = make(config({"first-secret-key", "second-secret-key"}));
  CallResult r = b->generate("gemini-2.5-flash", kHello, false);
  EXPECT_EQ(r.status, LLMP_E_AUTH);
  EXPECT_EQ(r.error.httpStatus, 400);
  EXPECT_NE(r.error.body.find("API_KEY_INVALID"), std::string::npos);
  EXPECT_EQ(hitsFor(fake_, "first-secret-key"), 1u);
  EXPECT_EQ(hitsFor(fake_, "second-secret-key"), 1u);
  expectNoKeyLeak(r, {"first-secret-key", "second-secret-key"});
}

TEST_F(GeminiBackendTest, A403ForOneKeyIsServedByTheNextKey) {
  auto denied = ScriptedResponse::error(403, "Generative Language API has not been used in project");
  denied.apiKey = "k1";
  denied.times = -1;
  fake_.push(denied);
  auto b = make(config({"k1", "k2"}));
  for (int i = 0; i < 2; ++i) {
    CallResult r = b->generate("gemini-2.5-flash", kHello, false);
    ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  }
  EXPECT_EQ(hitsFor(fake_, "k2"), 2u);
}

TEST_F(GeminiBackendTest, A429EventBeforeAnyChunkAlsoRotatesTheKey) {
  auto limited = ScriptedResponse::stream(
      {R"({"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}})"});
  limited.apiKey = "k1";
  fake_.push(limited);
  auto b = make(config({"k1", "k2"}));
  CallResult r = b->generate("gemini-2.5-flash", kHello, true);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  EXPECT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(hitsFor(fake_, "k1"), 1u);
  EXPECT_EQ(hitsFor(fake_, "k2"), 1u);
}

TEST_F(GeminiBackendTest, WhenEveryKeyRestsTheShortestDelayIsReturned) {
  for (auto [key, delay] : {std::pair<std::string, std::string>{"k1", "20s"}, {"k2", "5s"}}) {
    auto s = ScriptedResponse::error(429, "quota exceeded", "", delay);
    s.apiKey = key;
    fake_.push(s);
  }
  auto b = make(config({"k1", "k2"}));
  CallResult first = b->generate("gemini-2.5-flash", kHello, true);
  EXPECT_EQ(first.status, LLMP_E_RATE_LIMITED);
  EXPECT_EQ(first.error.httpStatus, 429);
  EXPECT_GT(first.error.retryAfterMs, 4000);
  EXPECT_LE(first.error.retryAfterMs, 5000);
  EXPECT_EQ(fake_.requestCount(), 2u);  // each key tried once
  // Now nobody is asked: the proxy answers 429 itself, with a Google-style body.
  CallResult second = b->generate("gemini-2.5-flash", kHello, false);
  EXPECT_EQ(second.status, LLMP_E_RATE_LIMITED);
  EXPECT_EQ(second.error.httpStatus, 429);
  EXPECT_GT(second.error.retryAfterMs, 0);
  EXPECT_LE(second.error.retryAfterMs, 5000);
  EXPECT_EQ(fake_.requestCount(), 2u);
  EXPECT_EQ(parseGoogleError(second.error.body).code, 429);
  EXPECT_GT(parseGoogleError(second.error.body).retryDelayMs, 0);
  expectNoKeyLeak(second, {"k1", "k2"});
}

TEST_F(GeminiBackendTest, A429WithoutDelayRestsTheKeyForSixtySeconds) {
  fake_.push(ScriptedResponse::error(429, "slow down"));
  auto b = make(config());
  CallResult r = b->generate("gemini-2.5-flash", kHello, false);
  EXPECT_EQ(r.status, LLMP_E_RATE_LIMITED);
  EXPECT_GT(r.error.retryAfterMs, 59000);
  EXPECT_LE(r.error.retryAfterMs, 60000);
  if (!host_->advanceWallMs(61000)) {
    return;
  }
  EXPECT_EQ(b->generate("gemini-2.5-flash", kHello, false).status, LLMP_OK);
}

TEST_F(GeminiBackendTest, KeysFromTheEnvironmentRotate) {
  ::setenv("GEMINI_API_KEY", "env-a, env-b", 1);
  auto b = make(json{{"base_url", fake_.baseUrl()}});
  ::unsetenv("GEMINI_API_KEY");
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(b->generate("gemini-2.5-flash", kHello, false).status, LLMP_OK);
  }
  EXPECT_EQ(hitsFor(fake_, "env-a"), 2u);
  EXPECT_EQ(hitsFor(fake_, "env-b"), 2u);
}

// ---- timeouts and transport failures ------------------------------------------------------------

TEST_F(GeminiBackendTest, ConnectTimeoutIs504) {
  fakes::Blackhole hole;
  auto b = make(json{{"base_url", "http://127.0.0.1:" + std::to_string(hole.port())},
                     {"api_key", kKey},
                     {"timeouts", {{"connect_ms", 300}}}});
  CallResult r = b->generate("gemini-2.5-flash", kHello, false);
  EXPECT_EQ(r.status, LLMP_E_TIMEOUT);
  EXPECT_EQ(r.error.httpStatus, 504);
  EXPECT_NE(r.error.message.find("127.0.0.1:" + std::to_string(hole.port())), std::string::npos);
  EXPECT_NE(r.error.message.find("300 ms"), std::string::npos);
  expectNoKeyLeak(r);
}

TEST_F(GeminiBackendTest, FirstByteTimeoutIs504) {
  auto slow = ScriptedResponse{};
  slow.firstByteDelayMs = 5000;
  fake_.push(slow);
  auto cfg = config();
  cfg["timeouts"] = {{"first_byte_ms", 300}};
  auto b = make(cfg);
  CallResult r = b->generate("gemini-2.5-flash", kHello, true);
  EXPECT_EQ(r.status, LLMP_E_TIMEOUT);
  EXPECT_EQ(r.error.httpStatus, 504);
  EXPECT_NE(r.error.message.find("first-byte timeout (300 ms)"), std::string::npos);
  EXPECT_TRUE(r.chunks.empty());
}

TEST_F(GeminiBackendTest, IdleTimeoutMidStreamIs504) {
  auto script = ScriptedResponse::stream(
      {ScriptedResponse::textChunk("one"), ScriptedResponse::textChunk("two", "STOP")});
  script.chunkDelayMs = 5000;
  fake_.push(script);
  auto cfg = config();
  cfg["timeouts"] = {{"idle_ms", 300}};
  auto b = make(cfg);
  CallResult r = b->generate("gemini-2.5-flash", kHello, true);
  EXPECT_EQ(r.status, LLMP_E_TIMEOUT);
  EXPECT_EQ(r.error.httpStatus, 504);
  EXPECT_NE(r.error.message.find("idle timeout (300 ms)"), std::string::npos);
  EXPECT_EQ(r.chunks.size(), 1u);
}

TEST_F(GeminiBackendTest, ARefusedConnectionSaysWhereItTried) {
  uint16_t port = fakes::unusedLoopbackPort();
  auto b = make(json{{"base_url", "http://127.0.0.1:" + std::to_string(port)}, {"api_key", kKey}});
  CallResult r = b->generate("gemini-2.5-flash", kHello, false);
  EXPECT_EQ(r.status, LLMP_E_UNAVAILABLE);
  EXPECT_EQ(r.error.httpStatus, 502);
  EXPECT_NE(r.error.message.find("cannot reach the Gemini API at 127.0.0.1:" +
                                 std::to_string(port)),
            std::string::npos);
  expectNoKeyLeak(r);
}

// ---- countTokens ------------------------------------------------------------------------------

TEST_F(GeminiBackendTest, CountTokensPostsContentsAndReturnsTheUpstreamJson) {
  auto b = make(config());
  CallResult r = b->countTokens("gemini-2.5-flash", kHello);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/v1beta/models/gemini-2.5-flash:countTokens");
  EXPECT_EQ(reqs[0].body, R"({"contents":[{"role":"user","parts":[{"text":"hi there"}]}]})");
  EXPECT_EQ(json::parse(r.output())["totalTokens"], 2);
}

TEST_F(GeminiBackendTest, CountTokensWrapsSystemAndToolsInAGenerateContentRequest) {
  auto b = make(config());
  std::string ir = R"({"systemInstruction":{"parts":[{"text":"one two three"}]},)"
                   R"("contents":[{"role":"user","parts":[{"text":"four"}]}]})";
  CallResult r = b->countTokens("gemini-2.5-pro", ir);
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  auto sent = json::parse(fake_.requests().at(0).body);
  EXPECT_EQ(sent["generateContentRequest"]["model"], "models/gemini-2.5-pro");
  EXPECT_EQ(sent["generateContentRequest"]["systemInstruction"]["parts"][0]["text"],
            "one two three");
  EXPECT_EQ(json::parse(r.output())["totalTokens"], 4);
}

TEST_F(GeminiBackendTest, CountTokensErrorsAreMappedToo) {
  auto s = ScriptedResponse::error(404, "models/nope is not found");
  fake_.push(s);
  auto b = make(config());
  CallResult r = b->countTokens("nope", kHello);
  EXPECT_EQ(r.status, LLMP_E_NOT_FOUND);
  EXPECT_EQ(r.error.httpStatus, 404);
  EXPECT_EQ(r.error.body, s.body);
}

// ---- models -----------------------------------------------------------------------------------

TEST_F(GeminiBackendTest, ListModelsFollowsPagesAndCaches) {
  std::vector<std::string> ids;
  for (int i = 0; i < 1203; ++i) {
    ids.push_back("model-" + std::to_string(i));
  }
  fake_.setModels(ids);
  auto b = make(config());
  CallResult r = b->listModels();
  ASSERT_EQ(r.status, LLMP_OK) << r.error.message;
  auto models = json::parse(r.output());
  ASSERT_TRUE(models.is_array());
  ASSERT_EQ(models.size(), 1203u);
  EXPECT_EQ(models[0]["name"], "models/model-0");
  EXPECT_EQ(models[1202]["name"], "models/model-1202");
  EXPECT_TRUE(models[0].contains("supportedGenerationMethods"));
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/v1beta/models");
  EXPECT_EQ(reqs[0].queryParam("pageSize"), "1000");
  EXPECT_FALSE(reqs[1].queryParam("pageToken").empty());
  // The second call is served from the cache.
  CallResult again = b->listModels();
  EXPECT_EQ(again.output(), r.output());
  EXPECT_EQ(fake_.requestCount(), 2u);
}

TEST_F(GeminiBackendTest, ListModelsWithoutCacheAsksEveryTime) {
  auto cfg = config();
  cfg["models_cache_ttl_seconds"] = 0;
  cfg["api_version"] = "v1";
  auto b = make(cfg);
  ASSERT_EQ(b->listModels().status, LLMP_OK);
  ASSERT_EQ(b->listModels().status, LLMP_OK);
  EXPECT_EQ(fake_.requestCount(), 2u);
  EXPECT_EQ(fake_.requests().at(0).path, "/v1/models");
}

TEST_F(GeminiBackendTest, ListModelsErrorsAreMapped) {
  fake_.push(ScriptedResponse::error(403, "Generative Language API has not been used"));
  auto b = make(config());
  CallResult r = b->listModels();
  EXPECT_EQ(r.status, LLMP_E_AUTH);
  EXPECT_EQ(r.error.httpStatus, 403);
}

// ---- instances, configuration, threads ------------------------------------------------------

TEST_F(GeminiBackendTest, CreateWithoutAnyKeyFailsNamingTheVariableAndInstance) {
  Backend b(host_->api(), "primary-gemini", json{{"base_url", fake_.baseUrl()}});
  EXPECT_FALSE(b.created());
  EXPECT_EQ(b.createStatus(), LLMP_E_INVALID);
  EXPECT_NE(b.createError().message.find("GEMINI_API_KEY"), std::string::npos);
  EXPECT_NE(b.createError().message.find("primary-gemini"), std::string::npos);
}

TEST_F(GeminiBackendTest, UnknownSettingsAreNamedInAWarning) {
  auto cfg = config();
  cfg["api_kyes"] = "typo";
  cfg["type"] = "gemini";  // read by the host, not ours to warn about
  auto b = make(cfg, "typo-instance");
  std::string log = host_->allLogText();
  EXPECT_NE(log.find("unknown setting 'api_kyes'"), std::string::npos) << log;
  EXPECT_EQ(log.find("unknown setting 'type'"), std::string::npos);
}

TEST_F(GeminiBackendTest, SeveralInstancesKeepTheirOwnSettings) {
  FakeGemini other;
  other.start();
  auto a = make(config({"key-a"}), "a");
  auto b = make(json{{"base_url", other.baseUrl()}, {"api_key", "key-b"}}, "b");
  ASSERT_EQ(a->generate("gemini-2.5-flash", kHello, false).status, LLMP_OK);
  ASSERT_EQ(b->generate("gemini-2.5-flash", kHello, false).status, LLMP_OK);
  EXPECT_EQ(fake_.requests().at(0).apiKey(), "key-a");
  EXPECT_EQ(other.requests().at(0).apiKey(), "key-b");
  EXPECT_EQ(fake_.requestCount(), 1u);
}

TEST_F(GeminiBackendTest, ServesManyThreadsAtOnce) {
  auto b = make(config({"k1", "k2"}));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string ir = json{{"contents",
                               {{{"role", "user"},
                                 {"parts", {{{"text", "t" + std::to_string(t)}}}}}}}}
                             .dump();
        CallResult r = b->generate("gemini-2.5-flash", ir, (i % 2) == 0);
        std::string text;
        for (const auto& c : r.chunks) {
          text += json::parse(c)["candidates"][0]["content"]["parts"][0]["text"].get<std::string>();
        }
        if (r.status == LLMP_OK && text == "echo: t" + std::to_string(t)) {
          ++ok;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(hitsFor(fake_, "k1") + hitsFor(fake_, "k2"), 80u);
}

TEST_F(GeminiBackendTest, DescriptorAndFactoryNameTheGeminiType) {
  const llmp_plugin_descriptor* d = pluginDescriptor();
  EXPECT_STREQ(d->id, "dev.llmp.gemini-api");
  EXPECT_EQ(d->abi_major, static_cast<uint32_t>(LLMP_ABI_MAJOR));
  const llmp_backend_factory* f = backendFactory();
  ASSERT_EQ(f->type_count, 1u);
  EXPECT_STREQ(f->types[0], "gemini");
  EXPECT_EQ(d->get_factory("llmp.frontend.v1"), nullptr);
}

}  // namespace
}  // namespace llmp::plugins::gemini_api::testing
