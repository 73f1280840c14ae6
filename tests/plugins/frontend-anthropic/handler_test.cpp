// handle() end to end with a fake router and responder: what reaches the router, and what the
// client gets back.
#include <gtest/gtest.h>

#include "fakes.hpp"

namespace llmp::plugins::anthropic::testing {
namespace {

const char* kBody = R"({"model":"gemini:gemini-2.5-pro?temperature=0.2","max_tokens":100,
                        "messages":[{"role":"user","content":"Hi"}],
                        "metadata":{"user_id":"user_42"}})";

Json textChunk(const std::string& text) {
  return {{"candidates",
           {{{"content", {{"role", "model"}, {"parts", {{{"text", text}}}}}},
             {"finishReason", "STOP"}}}},
          {"usageMetadata", {{"promptTokenCount", 3}, {"candidatesTokenCount", 1}}}};
}

TEST(Handler, PassesModelSelectorSessionAndMetadataToTheRouter) {
  Request request;
  request.body = kBody;
  request.headerValues.push_back({"user-agent", "claude-cli/2.0"});
  request.headerValues.push_back({"x-api-key", "sk-secret-key"});
  request.headerValues.push_back({"authorization", "Bearer sk-secret-key"});
  FakeRouter router;
  router.chunk(textChunk("Hello"));
  FakeResponder responder;
  run(request, router, responder);

  EXPECT_EQ(router.model, "gemini:gemini-2.5-pro?temperature=0.2");
  EXPECT_EQ(router.flags, 0u);
  EXPECT_EQ(router.sessionId, "user_42");
  EXPECT_EQ(router.metadata,
            Json::parse(R"({"frontend":"anthropic","headers":{"user-agent":"claude-cli/2.0"}})"));
  EXPECT_EQ(router.ir["contents"][0]["parts"][0]["text"], "Hi");
  EXPECT_EQ(responder.status, 200);
  Json message = responder.json();
  EXPECT_EQ(message["model"], "gemini:gemini-2.5-pro?temperature=0.2");
  EXPECT_EQ(message["content"][0]["text"], "Hello");
  EXPECT_EQ(responder.body.find("sk-secret-key"), std::string::npos);
}

TEST(Handler, SessionHeaderWinsOverMetadataUserId) {
  Request request;
  request.body = kBody;
  request.headerValues.push_back({"X-Session-Id", "sess-9"});
  FakeRouter router;
  router.chunk(textChunk("ok"));
  FakeResponder responder;
  run(request, router, responder);
  EXPECT_EQ(router.sessionId, "sess-9");
}

TEST(Handler, StreamingRequestSetsTheStreamFlag) {
  Request request;
  request.body = R"({"model":"m","max_tokens":5,"stream":true,
                    "messages":[{"role":"user","content":"Hi"}]})";
  FakeRouter router;
  router.chunk(textChunk("ok"));
  FakeResponder responder;
  run(request, router, responder);
  EXPECT_EQ(router.flags, static_cast<uint32_t>(LLMP_GENERATE_STREAM));
  EXPECT_EQ(responder.beginCalls, 1);
  EXPECT_EQ(responder.header("cache-control"), "no-cache");
}

TEST(Handler, MalformedJsonIsA400InAnthropicShape) {
  Request request;
  request.body = R"({"model":"m",)";
  FakeRouter router;
  FakeResponder responder;
  run(request, router, responder);
  EXPECT_EQ(responder.status, 400);
  Json body = responder.json();
  EXPECT_EQ(body["type"], "error");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("not valid JSON"), std::string::npos);
  EXPECT_EQ(router.generateCalls, 0);
}

TEST(Handler, UnknownEndpointAndWrongMethod) {
  FakeRouter router;
  {
    Request request;
    request.path = "/v1/messages/batches";
    FakeResponder responder;
    run(request, router, responder);
    EXPECT_EQ(responder.status, 404);
    EXPECT_EQ(responder.json()["error"]["type"], "not_found_error");
  }
  {
    Request request;
    request.method = "GET";
    FakeResponder responder;
    run(request, router, responder);
    EXPECT_EQ(responder.status, 405);
    EXPECT_EQ(responder.json()["error"]["type"], "invalid_request_error");
  }
}

TEST(Handler, AnthropicPrefixServesTheSameApi) {
  Request request;
  request.path = "/anthropic/v1/messages";
  request.body = kBody;
  FakeRouter router;
  router.chunk(textChunk("ok"));
  FakeResponder responder;
  run(request, router, responder);
  EXPECT_EQ(responder.status, 200);
  EXPECT_EQ(responder.json()["type"], "message");
}

TEST(Handler, ClientGoingAwayStopsTheBackend) {
  Request request;
  request.body = R"({"model":"m","max_tokens":5,"stream":true,
                    "messages":[{"role":"user","content":"Hi"}]})";
  FakeRouter router;
  Json partial = textChunk("x");
  partial["candidates"][0].erase("finishReason");
  for (int i = 0; i < 5; ++i) {
    router.chunk(partial);
  }
  FakeResponder responder;
  responder.writesBeforeCancel = 2;
  run(request, router, responder);
  ASSERT_FALSE(router.emitResults.empty());
  EXPECT_EQ(router.emitResults.back(), LLMP_E_CANCELLED);
  EXPECT_LT(router.emitResults.size(), 5u);
  EXPECT_EQ(responder.writes, 2);
}

// A function call Gemini sent without an id gets a minted toolu_ id and its signature rides on
// a thinking block; when the client sends both back, the IR has the name for the
// functionResponse and the signature on the functionCall again.
TEST(Handler, MintedToolIdAndSignatureRoundTrip) {
  Request first;
  first.body = R"({"model":"m","max_tokens":50,"messages":[{"role":"user","content":"Weather?"}],
      "tools":[{"name":"get_weather","input_schema":{"type":"object",
                "properties":{"city":{"type":"string"}}}}]})";
  FakeRouter router;
  router.chunk(Json::parse(R"({"candidates":[{"content":{"role":"model","parts":[
      {"functionCall":{"name":"get_weather","args":{"city":"Paris"}},
       "thoughtSignature":"sig-on-call"}]},"finishReason":"STOP"}]})"));
  FakeResponder responder;
  run(first, router, responder);
  ASSERT_EQ(responder.status, 200) << responder.body;
  Json message = responder.json();
  EXPECT_EQ(message["stop_reason"], "tool_use");
  const Json& toolUse = message["content"][1];
  ASSERT_EQ(toolUse["type"], "tool_use");
  std::string id = toolUse["id"];
  EXPECT_EQ(id.rfind("toolu_", 0), 0u);

  Json next = Json::parse(first.body);
  next["messages"].push_back({{"role", "assistant"}, {"content", message["content"]}});
  Json toolResult = {{"type", "tool_result"}, {"tool_use_id", id}, {"content", "18C"}};
  next["messages"].push_back({{"role", "user"}, {"content", Json::array({toolResult})}});
  Request second;
  second.body = next.dump();
  FakeRouter router2;
  router2.chunk(textChunk("It is 18C."));
  FakeResponder responder2;
  run(second, router2, responder2);
  ASSERT_EQ(responder2.status, 200) << responder2.body;

  const Json& contents = router2.ir["contents"];
  ASSERT_EQ(contents.size(), 3u);
  EXPECT_EQ(contents[1]["parts"],
            Json::parse(R"([{"functionCall":{"id":")" + id +
                        R"(","name":"get_weather","args":{"city":"Paris"}},
                           "thoughtSignature":"sig-on-call"}])"));
  EXPECT_EQ(contents[2]["parts"],
            Json::parse(R"([{"functionResponse":{"id":")" + id +
                        R"(","name":"get_weather","response":{"result":"18C"}}}])"));
}

TEST(Handler, CountTokens) {
  Request request;
  request.path = "/v1/messages/count_tokens";
  request.body = R"({"model":"gemini-2.5-flash","system":"s",
                    "messages":[{"role":"user","content":"Count"}]})";
  FakeRouter router;
  router.countResult = R"({"totalTokens":17,"cachedContentTokenCount":0})";
  FakeResponder responder;
  run(request, router, responder);
  EXPECT_EQ(router.countCalls, 1);
  EXPECT_EQ(router.ir["systemInstruction"]["parts"][0]["text"], "s");
  EXPECT_EQ(responder.status, 200);
  EXPECT_EQ(responder.json(), Json::parse(R"({"input_tokens":17})"));
}

TEST(Handler, CountTokensUnsupportedByTheBackend) {
  Request request;
  request.path = "/v1/messages/count_tokens";
  request.body = R"({"model":"m","messages":[{"role":"user","content":"x"}]})";
  FakeRouter router;
  router.status = LLMP_E_UNSUPPORTED;
  router.message = "backend mock cannot count tokens";
  FakeResponder responder;
  run(request, router, responder);
  EXPECT_EQ(responder.status, 501);
  EXPECT_EQ(responder.json()["error"]["message"], "backend mock cannot count tokens");
}

TEST(Handler, ListAndGetModels) {
  FakeRouter router;
  router.models = R"([
    {"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash","id":"gemini:gemini-2.5-flash",
     "backend":"gemini","model":"gemini-2.5-flash","defaultBackend":true},
    {"name":"models/mock-1","id":"mock:mock-1","backend":"mock","model":"mock-1","defaultBackend":false}])";
  {
    Request request;
    request.method = "GET";
    request.path = "/v1/models";
    FakeResponder responder;
    run(request, router, responder);
    EXPECT_EQ(responder.status, 200);
    EXPECT_EQ(responder.json(), Json::parse(R"({"data":[
      {"type":"model","id":"gemini-2.5-flash","display_name":"Gemini 2.5 Flash","created_at":"1970-01-01T00:00:00Z"},
      {"type":"model","id":"mock:mock-1","display_name":"mock-1","created_at":"1970-01-01T00:00:00Z"}],
      "has_more":false,"first_id":"gemini-2.5-flash","last_id":"mock:mock-1"})"));
  }
  {
    Request request;
    request.method = "GET";
    request.path = "/anthropic/v1/models/mock%3Amock-1";
    FakeResponder responder;
    run(request, router, responder);
    EXPECT_EQ(responder.status, 200);
    EXPECT_EQ(responder.json()["id"], "mock:mock-1");
  }
  {
    Request request;
    request.method = "GET";
    request.path = "/v1/models/claude-opus-9";
    FakeResponder responder;
    run(request, router, responder);
    EXPECT_EQ(responder.status, 404);
    EXPECT_EQ(responder.json()["error"]["type"], "not_found_error");
  }
}

TEST(Handler, RenderErrorUsesAnthropicShape) {
  Frontend frontend;
  struct Case {
    llmp_status code;
    int32_t status;
    int32_t expectedStatus;
    const char* type;
  } cases[] = {{LLMP_E_AUTH, 401, 401, "authentication_error"},
               {LLMP_E_INVALID, 413, 413, "request_too_large"},
               {LLMP_E_NOT_FOUND, 404, 404, "not_found_error"},
               {LLMP_E_FORBIDDEN, 0, 403, "permission_error"},
               {LLMP_E_INTERNAL, 500, 500, "api_error"}};
  for (const auto& c : cases) {
    FakeResponder responder;
    llmp_responder r = responder.responder();
    frontend.renderError(r, c.code, c.status, "no");
    EXPECT_EQ(responder.status, c.expectedStatus);
    EXPECT_EQ(responder.json()["error"]["type"], c.type);
    EXPECT_EQ(responder.json()["error"]["message"], "no");
    EXPECT_EQ(responder.header("content-type"), "application/json");
  }
}

}  // namespace
}  // namespace llmp::plugins::anthropic::testing
