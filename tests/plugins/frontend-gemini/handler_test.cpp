// generateContent and countTokens through handleRequest with a fake router: the client's bytes
// reach the router unchanged and the backend's bytes reach the client unchanged.
#include <gtest/gtest.h>

#include <llmp/cpp/json.hpp>

#include "fakes.hpp"
#include "handler.hpp"

namespace fg = llmp::plugins::frontend_gemini;
using gemini_test::FakeResponder;
using gemini_test::FakeRouter;
using gemini_test::readGolden;
using gemini_test::Request;

namespace {

const std::string kBody = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})";
const std::string kChunk =
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Hello"}]},"finishReason":"STOP","index":0}]})";

llmp_status run(Request& req, FakeRouter& router, FakeResponder& out) {
  llmp_responder responder = out.responder();
  llmp_router r = router.router();
  return fg::handleRequest(req.get(), responder, r);
}

llmp::Json errorOf(const FakeResponder& out) {
  std::optional<llmp::Json> body = llmp::parseJson(out.body);
  EXPECT_TRUE(body.has_value()) << out.body;
  return body ? (*body)["error"] : llmp::Json();
}

}  // namespace

TEST(GeminiGenerate, RequestAndResponseBytesPassThroughUnchanged) {
  std::string body = readGolden("request_gemini_cli.json");
  std::string chunk = readGolden("response_chunk_2.json");
  FakeRouter router;
  router.events = {{LLMP_EVENT_ROUTED, R"({"backend":"gemini","model":"gemini-3-pro-preview"})"},
                   {LLMP_EVENT_CHUNK, chunk}};
  FakeResponder out;
  Request req("POST", "/v1beta/models/gemini-3-pro-preview:generateContent", body);
  ASSERT_EQ(run(req, router, out), LLMP_OK);

  // Every field the IR does not model (parametersJsonSchema, responseJsonSchema, thinkingLevel,
  // functionCall.id, thoughtSignature, googleSearch/codeExecution, unknown future fields) is
  // still there because the body is handed on byte for byte.
  EXPECT_EQ(router.ir, body);
  EXPECT_EQ(router.model, "gemini-3-pro-preview");
  EXPECT_EQ(router.flags, 0u);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.sendCalls, 1);
  EXPECT_EQ(out.body, chunk);
  EXPECT_NE(out.header("content-type").find("application/json"), std::string::npos);
}

TEST(GeminiGenerate, ModelSelectorSessionAndMetadata) {
  FakeRouter router;
  router.events = {{LLMP_EVENT_CHUNK, kChunk}};
  FakeResponder out;
  Request req("POST",
              "/v1/models/gemini%3Agemini-2.5-pro%3Ftemperature%3D0.2:generateContent", kBody);
  req.headers = {{"User-Agent", "google-genai-sdk/3.3.0 gl-node/v20.1.0"},
                 {"x-goog-api-client", "google-genai-sdk/3.3.0 gl-node/v20.1.0"},
                 {"x-goog-api-key", "secret-key-123"},
                 {"Authorization", "Bearer other-secret"},
                 {"X-Session-Id", "sess-42"}};
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(router.model, "gemini:gemini-2.5-pro?temperature=0.2");
  EXPECT_EQ(router.sessionId, "sess-42");
  std::optional<llmp::Json> meta = llmp::parseJson(router.metadata);
  ASSERT_TRUE(meta.has_value()) << router.metadata;
  EXPECT_EQ((*meta)["frontend"], "gemini");
  EXPECT_EQ((*meta)["headers"]["user-agent"], "google-genai-sdk/3.3.0 gl-node/v20.1.0");
  EXPECT_EQ((*meta)["headers"]["x-goog-api-client"], "google-genai-sdk/3.3.0 gl-node/v20.1.0");
  EXPECT_EQ(router.metadata.find("secret"), std::string::npos);
  EXPECT_EQ(out.body, kChunk);
}

TEST(GeminiGenerate, MetadataWithoutHeadersAndWithOddBytes) {
  EXPECT_EQ(fg::requestMetadata(nullptr, 0), R"({"frontend":"gemini","headers":{}})");
  std::string ua = "agent \"q\"\\\x01\xC3\xA9";
  llmp_header h{{"user-agent", 10}, {ua.data(), ua.size()}};
  std::string meta = fg::requestMetadata(&h, 1);
  std::optional<llmp::Json> parsed = llmp::parseJson(meta);
  ASSERT_TRUE(parsed.has_value()) << meta;
  EXPECT_EQ((*parsed)["headers"]["user-agent"], "agent \"q\"\\\x01??");
}

TEST(GeminiGenerate, KeepalivesAndProgressAreIgnoredWhenNotStreaming) {
  FakeRouter router;
  router.events = {{LLMP_EVENT_KEEPALIVE, ""}, {LLMP_EVENT_PROGRESS, R"({"text":"x"})"},
                   {LLMP_EVENT_CHUNK, kChunk}};
  FakeResponder out;
  Request req("POST", "/v1beta/models/m:generateContent", kBody);
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.beginCalls, 0);
  EXPECT_EQ(out.body, kChunk);
}

TEST(GeminiGenerate, SeveralChunksAreMergedIntoOneResponse) {
  FakeRouter router;
  router.events = {{LLMP_EVENT_CHUNK, readGolden("response_chunk_1.json")},
                   {LLMP_EVENT_CHUNK, readGolden("response_chunk_2.json")}};
  FakeResponder out;
  Request req("POST", "/v1beta/models/m:generateContent", kBody);
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  std::optional<llmp::Json> body = llmp::parseJson(out.body);
  ASSERT_TRUE(body.has_value());
  const llmp::Json& candidate = (*body)["candidates"][0];
  ASSERT_EQ(candidate["content"]["parts"].size(), 3u);
  EXPECT_EQ(candidate["content"]["parts"][1]["functionCall"]["id"], "call_9b1");
  EXPECT_EQ(candidate["content"]["parts"][2]["thoughtSignature"], "Zm9vYmFy");
  EXPECT_EQ(candidate["finishReason"], "STOP");
  EXPECT_EQ(candidate["futureCandidateField"]["a"], 1);
  EXPECT_EQ((*body)["usageMetadata"]["totalTokenCount"], 108);
  EXPECT_TRUE((*body).contains("futureTopLevel"));
}

TEST(GeminiGenerate, NoAnswerIsAnError) {
  FakeRouter router;
  FakeResponder out;
  Request req("POST", "/v1beta/models/m:generateContent", kBody);
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.status, 502);
  EXPECT_EQ(errorOf(out)["status"], "UNAVAILABLE");
}

TEST(GeminiGenerate, MalformedBodiesGet400NamingTheProblem) {
  struct Case {
    std::string body;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {"{not json", "Invalid JSON payload"},
      {"", "Invalid JSON payload"},
      {R"({"contents":"hello"})", "'contents'"},
      {R"({"model":"x"})", "contents is not specified"},
      {R"({"contents":[{"parts":{"text":"x"}}]})", "'contents[0].parts'"},
      {R"({"contents":[{"parts":[]}],"generationConfig":"hot"})", "'generationConfig'"},
  };
  for (const Case& c : cases) {
    FakeRouter router;
    FakeResponder out;
    Request req("POST", "/v1beta/models/m:streamGenerateContent", c.body, "alt=sse");
    ASSERT_EQ(run(req, router, out), LLMP_OK);
    EXPECT_EQ(router.generateCalls, 0);
    EXPECT_EQ(out.status, 400) << c.body;
    EXPECT_EQ(out.beginCalls, 0);
    llmp::Json error = errorOf(out);
    EXPECT_EQ(error["code"], 400);
    EXPECT_EQ(error["status"], "INVALID_ARGUMENT");
    EXPECT_NE(error["message"].get<std::string>().find(c.mentions), std::string::npos)
        << error["message"];
  }
}

TEST(GeminiCountTokens, BothBodyFormsReachTheRouter) {
  std::string inner = R"({"model":"models/gemini-2.5-pro","contents":[{"parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"s"}]}})";
  struct Case {
    std::string body;
    std::string ir;
  };
  std::vector<Case> cases = {{kBody, kBody},
                             {"{\"generateContentRequest\": " + inner + "}", inner}};
  for (const Case& c : cases) {
    FakeRouter router;
    router.countResult = R"({"totalTokens":31,"cachedContentTokenCount":0,"promptTokensDetails":[{"modality":"TEXT","tokenCount":31}]})";
    FakeResponder out;
    Request req("POST", "/v1beta/models/gemini%3Agemini-2.5-pro:countTokens", c.body);
    ASSERT_EQ(run(req, router, out), LLMP_OK);
    EXPECT_EQ(router.countCalls, 1);
    EXPECT_EQ(router.ir, c.ir);
    EXPECT_EQ(router.model, "gemini:gemini-2.5-pro");
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(out.body, router.countResult);
  }
}

TEST(GeminiCountTokens, BadBodiesAndRouterErrors) {
  FakeRouter router;
  FakeResponder out;
  Request req("POST", "/v1beta/models/m:countTokens", R"({"contents":[],"generateContentRequest":{"contents":[{}]}})");
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.status, 400);
  EXPECT_EQ(router.countCalls, 0);

  FakeRouter failing;
  failing.failWith(LLMP_E_UNSUPPORTED, 0, "the mock backend cannot count tokens");
  FakeResponder out2;
  Request req2("POST", "/v1beta/models/m:countTokens", kBody);
  ASSERT_EQ(run(req2, failing, out2), LLMP_OK);
  EXPECT_EQ(out2.status, 501);
  EXPECT_EQ(errorOf(out2)["status"], "UNIMPLEMENTED");
  EXPECT_EQ(errorOf(out2)["message"], "the mock backend cannot count tokens");
}

TEST(GeminiRoutes, UnknownPathsAndMethodsAnswerInGoogleShape) {
  struct Case {
    std::string method;
    std::string path;
    int status;
    std::string googleStatus;
  };
  std::vector<Case> cases = {
      {"POST", "/v1beta/models/m:fooBar", 404, "NOT_FOUND"},
      {"POST", "/v1beta/models/m:embedContent", 501, "UNIMPLEMENTED"},
      {"GET", "/v1beta/models/m:generateContent", 404, "NOT_FOUND"},
      {"POST", "/v1beta/models/bad%zz:generateContent", 400, "INVALID_ARGUMENT"},
      {"GET", "/v1beta/files/abc", 404, "NOT_FOUND"},
      {"GET", "/v1beta/cachedContents", 404, "NOT_FOUND"},
  };
  for (const Case& c : cases) {
    FakeRouter router;
    FakeResponder out;
    Request req(c.method, c.path, kBody);
    ASSERT_EQ(run(req, router, out), LLMP_OK);
    EXPECT_EQ(out.status, c.status) << c.path;
    llmp::Json error = errorOf(out);
    EXPECT_EQ(error["code"], c.status);
    EXPECT_EQ(error["status"], c.googleStatus) << c.path;
    EXPECT_EQ(router.generateCalls, 0);
  }
}
