// The fake Gemini upstream speaks the wire format of shared/protocols/gemini-api.md; these tests
// pin what other tests and the benchmark rely on.
#include "fake_gemini.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace llmp::fakes {
namespace {

struct Reply {
  int status = 0;
  std::string contentType;
  std::string body;
};

Reply call(const FakeGemini& fake, const std::string& method, const std::string& uri,
           const std::string& body = "", const std::string& key = "test-key") {
  Poco::Net::HTTPClientSession session("127.0.0.1", fake.port());
  Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!key.empty()) {
    req.set("x-goog-api-key", key);
  }
  if (!body.empty()) {
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Reply r;
  r.status = resp.getStatus();
  r.contentType = resp.getContentType();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

const std::string kHello = R"({"contents":[{"role":"user","parts":[{"text":"hello there"}]}]})";

TEST(FakeGemini, GenerateContentEchoesTheLastUserText) {
  FakeGemini fake;
  fake.start();
  Reply r = call(fake, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", kHello);
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["candidates"][0]["content"]["parts"][0]["text"], "echo: hello there");
  EXPECT_EQ(j["candidates"][0]["finishReason"], "STOP");
  EXPECT_EQ(j["modelVersion"], "gemini-2.5-flash");
  EXPECT_EQ(j["usageMetadata"]["promptTokenCount"], 2);
  ASSERT_EQ(fake.requests().size(), 1u);
  EXPECT_EQ(fake.requests()[0].apiKey(), "test-key");
  EXPECT_EQ(fake.requests()[0].body, kHello);
}

TEST(FakeGemini, StreamsSseEventsAndJsonArrays) {
  FakeGeminiOptions opts;
  opts.chunks = 3;
  FakeGemini fake(opts);
  fake.start();
  Reply sse = call(fake, "POST", "/v1beta/models/m:streamGenerateContent?alt=sse", kHello);
  EXPECT_EQ(sse.contentType, "text/event-stream");
  std::string text;
  size_t events = 0;
  for (size_t pos = 0; (pos = sse.body.find("data: ", pos)) != std::string::npos; ++events) {
    size_t end = sse.body.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    auto j = nlohmann::json::parse(sse.body.substr(pos + 6, end - pos - 6));
    text += j["candidates"][0]["content"]["parts"][0]["text"].get<std::string>();
    pos = end;
  }
  EXPECT_EQ(events, 3u);
  EXPECT_EQ(text, "echo: hello there");

  Reply array = call(fake, "POST", "/v1beta/models/m:streamGenerateContent", kHello);
  EXPECT_EQ(array.contentType, "application/json");
  auto j = nlohmann::json::parse(array.body);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.size(), 3u);
  EXPECT_EQ(j[2]["candidates"][0]["finishReason"], "STOP");
}

TEST(FakeGemini, RejectsMissingAndInvalidKeys) {
  FakeGeminiOptions opts;
  opts.validKeys = {"good"};
  FakeGemini fake(opts);
  fake.start();
  Reply missing = call(fake, "POST", "/v1beta/models/m:generateContent", kHello, "");
  EXPECT_EQ(missing.status, 401);
  Reply bad = call(fake, "POST", "/v1beta/models/m:generateContent", kHello, "bad");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("API_KEY_INVALID"), std::string::npos);
  Reply viaQuery = call(fake, "POST", "/v1beta/models/m:generateContent?key=good", kHello, "");
  EXPECT_EQ(viaQuery.status, 200);
}

TEST(FakeGemini, PagesTheModelsList) {
  FakeGemini fake;
  fake.setModels({"a", "b", "c"});
  fake.start();
  Reply first = call(fake, "GET", "/v1beta/models?pageSize=2");
  auto j = nlohmann::json::parse(first.body);
  ASSERT_EQ(j["models"].size(), 2u);
  EXPECT_EQ(j["models"][0]["name"], "models/a");
  std::string token = j["nextPageToken"];
  Poco::URI uri("/v1beta/models");
  uri.addQueryParameter("pageSize", "2");
  uri.addQueryParameter("pageToken", token);
  auto second = nlohmann::json::parse(call(fake, "GET", uri.getPathAndQuery()).body);
  ASSERT_EQ(second["models"].size(), 1u);
  EXPECT_EQ(second["models"][0]["name"], "models/c");
  EXPECT_FALSE(second.contains("nextPageToken"));
  EXPECT_EQ(call(fake, "GET", "/v1beta/models/b").status, 200);
  EXPECT_EQ(call(fake, "GET", "/v1beta/models/zzz").status, 404);
}

TEST(FakeGemini, AnswersScriptsInOrderAndMatchesByKey) {
  FakeGemini fake;
  fake.start();
  auto limited = ScriptedResponse::error(429, "quota", "", "2s");
  limited.apiKey = "k1";
  fake.push(limited);
  Reply other = call(fake, "POST", "/v1beta/models/m:generateContent", kHello, "k2");
  EXPECT_EQ(other.status, 200);
  Reply hit = call(fake, "POST", "/v1beta/models/m:generateContent", kHello, "k1");
  EXPECT_EQ(hit.status, 429);
  auto j = nlohmann::json::parse(hit.body);
  EXPECT_EQ(j["error"]["status"], "RESOURCE_EXHAUSTED");
  EXPECT_EQ(j["error"]["details"].back()["retryDelay"], "2s");
  EXPECT_EQ(call(fake, "POST", "/v1beta/models/m:generateContent", kHello, "k1").status, 200);
}

TEST(FakeGemini, ControlEndpointsScriptAndReport) {
  FakeGemini fake;
  fake.start();
  Reply queued = call(fake, "POST", "/__fake/script",
                      R"({"match":{"path":":countTokens"},"status":503,)"
                      R"("error":{"message":"overloaded"}})",
                      "");
  EXPECT_EQ(queued.status, 200);
  EXPECT_EQ(call(fake, "POST", "/v1beta/models/m:countTokens", kHello).status, 503);
  EXPECT_EQ(call(fake, "POST", "/v1beta/models/m:countTokens", kHello).status, 200);
  auto requests = nlohmann::json::parse(call(fake, "GET", "/__fake/requests", "", "").body);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["headers"]["x-goog-api-key"], "test-key");
  EXPECT_EQ(call(fake, "POST", "/__fake/reset", "", "").status, 200);
  EXPECT_EQ(fake.requests().size(), 0u);
}

TEST(FakeGemini, StreamsScriptedChunksWithCrLfFraming) {
  FakeGemini fake;
  fake.start();
  auto s = ScriptedResponse::stream({R"({"a":1})", R"({"b":2})"});
  s.framing = Framing::CrLf;
  fake.push(s);
  Reply r = call(fake, "POST", "/v1beta/models/m:streamGenerateContent?alt=sse", kHello);
  EXPECT_EQ(r.body, "data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n");
}

}  // namespace
}  // namespace llmp::fakes
