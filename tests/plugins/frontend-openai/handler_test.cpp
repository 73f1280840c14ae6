// handle() end to end with a scripted router and a recording responder, plus the plugin's ABI.
#include <gtest/gtest.h>

#include <llmp/llmp.h>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/sinks.hpp>

#include <map>
#include <mutex>

#include "route.hpp"
#include "test_support.hpp"

extern "C" const llmp_plugin_descriptor* llmp_plugin_entry(uint32_t, uint32_t);

namespace llmp::plugins::frontend_openai::testing {
namespace {

const char* kHello = R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]})";

Json textChunk(const char* text, const char* finish = nullptr) {
  Json c = {{"content", {{"role", "model"}, {"parts", Json::array({Json{{"text", text}}})}}},
            {"index", 0}};
  if (finish != nullptr) {
    c["finishReason"] = finish;
  }
  return Json{{"candidates", Json::array({c})},
              {"usageMetadata", {{"promptTokenCount", 3}, {"candidatesTokenCount", 2},
                                 {"totalTokenCount", 5}}}};
}

std::string streamBody(const char* extra = "") {
  return std::string(R"({"model":"gemini-2.5-flash","stream":true,)") + extra +
         R"("messages":[{"role":"user","content":"Hi"}]})";
}

struct Fixture : ::testing::Test {
  FakeRouter router;
  FakeResponder responder;
  FakeServices services;
  void post(const std::string& body,
            std::vector<std::pair<std::string, std::string>> headers = {}) {
    run(router, responder, services, "POST", "/v1/chat/completions", body, std::move(headers));
  }
};

using Handler = Fixture;

TEST_F(Handler, NonStreamingRoundTrip) {
  router.events.push_back({LLMP_EVENT_ROUTED, R"({"backend":"gemini","model":"gemini-2.5-flash"})"});
  router.chunk(textChunk("Hello!", "STOP"));
  post(R"({"model":"gemini:gemini-2.5-flash?temperature=0.2","temperature":0.5,
           "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]})",
       {{"User-Agent", "OpenAI/JS 7.0.0"}, {"x-session-id", "sess-1"},
        {"Authorization", "Bearer sk-secret"}});
  EXPECT_EQ(router.model, "gemini:gemini-2.5-flash?temperature=0.2");
  EXPECT_EQ(router.flags, 0u);
  EXPECT_EQ(router.sessionId, "sess-1");
  Json metadata = Json::parse(router.metadata);
  EXPECT_EQ(metadata["frontend"], "openai");
  EXPECT_EQ(metadata["headers"]["user-agent"], "OpenAI/JS 7.0.0");
  EXPECT_EQ(router.metadata.find("sk-secret"), std::string::npos);
  Json ir = router.irJson();
  EXPECT_EQ(ir["systemInstruction"]["parts"][0]["text"], "Be brief.");
  EXPECT_EQ(ir["generationConfig"]["temperature"], 0.5);

  ASSERT_TRUE(responder.sent);
  EXPECT_EQ(responder.status, 200);
  EXPECT_EQ(responder.header("content-type"), "application/json");
  Json body = responder.json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "gemini:gemini-2.5-flash?temperature=0.2");
  EXPECT_EQ(body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(body["created"], kNow);
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hello!");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["usage"]["total_tokens"], 5);
}

TEST_F(Handler, StreamingWritesSseWithOneIdAndDone) {
  router.chunk(textChunk("Hel"));
  router.chunk(textChunk("lo", "STOP"));
  post(streamBody(R"("stream_options":{"include_usage":true},)"));
  EXPECT_EQ(router.flags, static_cast<uint32_t>(LLMP_GENERATE_STREAM));
  ASSERT_TRUE(responder.begun);
  EXPECT_EQ(responder.status, 200);
  EXPECT_EQ(responder.header("content-type"), "text/event-stream");
  EXPECT_EQ(responder.header("cache-control"), "no-cache");
  std::vector<std::string> events = sseEvents(responder.body);
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string id;
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    Json chunk = Json::parse(events[i]);
    if (id.empty()) {
      id = chunk["id"];
      EXPECT_EQ(chunk["choices"][0]["delta"]["role"], "assistant");
    }
    EXPECT_EQ(chunk["id"], id);
    EXPECT_EQ(chunk["model"], "gemini-2.5-flash");
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    for (const Json& c : chunk["choices"]) {
      text += c["delta"].value("content", std::string());
    }
  }
  EXPECT_EQ(text, "Hello");
  Json usage = Json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 2);
}

TEST_F(Handler, RateLimitBeforeOutputIs429WithRetryAfter) {
  router.fail(LLMP_E_RATE_LIMITED, 429, "quota exhausted for gemini-2.5-pro", 2500);
  post(streamBody());
  ASSERT_TRUE(responder.sent);
  EXPECT_EQ(responder.status, 429);
  EXPECT_EQ(responder.header("retry-after"), "3");
  Json body = responder.json();
  EXPECT_EQ(body["error"]["type"], "rate_limit_error");
  EXPECT_EQ(body["error"]["code"], "rate_limit_exceeded");
  EXPECT_EQ(body["error"]["message"], "quota exhausted for gemini-2.5-pro");
}

TEST_F(Handler, UpstreamStatusesMapToOpenAiTypes) {
  struct Case {
    llmp_status code;
    int32_t http;
    int32_t status;
    const char* type;
  };
  for (const Case& c : {Case{LLMP_E_INVALID, 400, 400, "invalid_request_error"},
                        Case{LLMP_E_AUTH, 401, 401, "authentication_error"},
                        Case{LLMP_E_AUTH, 403, 403, "permission_error"},
                        Case{LLMP_E_NOT_FOUND, 0, 404, "not_found_error"},
                        Case{LLMP_E_UNAVAILABLE, 503, 503, "api_error"},
                        Case{LLMP_E_UPSTREAM_HTTP, 502, 502, "api_error"},
                        Case{LLMP_E_TIMEOUT, 0, 504, "api_error"}}) {
    FakeRouter r;
    FakeResponder out;
    r.fail(c.code, c.http, "upstream said no");
    run(r, out, services, "POST", "/v1/chat/completions", kHello);
    EXPECT_EQ(out.status, c.status);
    EXPECT_EQ(out.json()["error"]["type"], c.type) << c.status;
  }
}

TEST_F(Handler, ErrorAfterStreamBeganIsAnErrorEvent) {
  router.chunk(textChunk("partial"));
  router.fail(LLMP_E_UNAVAILABLE, 503, "upstream connection reset");
  post(streamBody());
  ASSERT_TRUE(responder.begun);
  std::vector<std::string> events = sseEvents(responder.body);
  ASSERT_FALSE(events.empty());
  Json last = Json::parse(events.back());
  EXPECT_EQ(last["error"]["message"], "upstream connection reset");
  EXPECT_EQ(last["error"]["type"], "api_error");
  EXPECT_EQ(responder.body.find("[DONE]"), std::string::npos);
}

TEST_F(Handler, MalformedFunctionCallIsA502NotAnEmpty200) {
  router.chunk(Json::parse(R"({"candidates":[{"content":{"role":"model","parts":[]},
      "finishReason":"MALFORMED_FUNCTION_CALL","index":0}]})"));
  post(kHello);
  EXPECT_EQ(responder.status, 502);
  EXPECT_EQ(responder.json()["error"]["type"], "api_error");
  EXPECT_NE(responder.json()["error"]["message"].get<std::string>().find("malformed function call"),
            std::string::npos);

  FakeRouter streaming;
  FakeResponder out;
  streaming.chunk(Json::parse(R"({"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL"}]})"));
  run(streaming, out, services, "POST", "/v1/chat/completions", streamBody());
  EXPECT_TRUE(out.sent) << "nothing was streamed yet, so it is still an HTTP error";
  EXPECT_EQ(out.status, 502);
}

TEST_F(Handler, EmptyCandidateStreamIsAnError) {
  router.chunk(textChunk("", "STOP"));
  post(streamBody());
  EXPECT_EQ(responder.status, 502);
  EXPECT_EQ(responder.json()["error"]["code"], "empty_response");
}

TEST_F(Handler, KeepAliveBeginsTheStreamAsAComment) {
  router.events.push_back({LLMP_EVENT_KEEPALIVE, ""});
  router.chunk(textChunk("ok", "STOP"));
  post(streamBody());
  ASSERT_TRUE(responder.begun);
  EXPECT_EQ(responder.body.rfind(": keepalive\n\n", 0), 0u);
  EXPECT_NE(responder.body.find("data: [DONE]\n\n"), std::string::npos);
}

TEST_F(Handler, ClientGoneStopsTheBackend) {
  for (int i = 0; i < 5; ++i) {
    router.chunk(textChunk("x"));
  }
  responder.cancelAfterWrites = 2;
  post(streamBody());
  EXPECT_EQ(router.lastEmitStatus, LLMP_E_CANCELLED);
}

TEST_F(Handler, BadBodiesAre400InOpenAiShape) {
  post("{not json");
  EXPECT_EQ(responder.status, 400);
  EXPECT_EQ(responder.json()["error"]["type"], "invalid_request_error");
  EXPECT_EQ(router.calls, 0);

  FakeResponder missing;
  run(router, missing, services, "POST", "/v1/chat/completions",
      R"({"messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json()["error"]["param"], "model");

  FakeResponder mistyped;
  run(router, mistyped, services, "POST", "/v1/chat/completions",
      R"({"model":"m","temperature":"warm","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(mistyped.status, 400);
  EXPECT_EQ(mistyped.json()["error"]["param"], "temperature");
  EXPECT_EQ(router.calls, 0);
}

TEST_F(Handler, UnknownPathsAndMethods) {
  run(router, responder, services, "POST", "/v1/embeddings", "{}");
  EXPECT_EQ(responder.status, 404);
  EXPECT_EQ(responder.json()["error"]["type"], "not_found_error");
  FakeResponder wrong;
  run(router, wrong, services, "GET", "/v1/chat/completions", "");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.json()["error"]["type"], "invalid_request_error");
}

TEST_F(Handler, ModelsListAndGet) {
  router.modelsJson = R"([
    {"name":"models/gemini-2.5-pro","id":"gemini:gemini-2.5-pro","backend":"gemini",
     "model":"gemini-2.5-pro","defaultBackend":true},
    {"name":"models/mock-1","id":"mock:mock-1","backend":"mock","model":"mock-1",
     "defaultBackend":false}])";
  run(router, responder, services, "GET", "/v1/models", "");
  EXPECT_EQ(responder.status, 200);
  EXPECT_EQ(responder.json(), Json::parse(R"({"object":"list","data":[
    {"id":"gemini-2.5-pro","object":"model","created":1767225600,"owned_by":"gemini"},
    {"id":"gemini:gemini-2.5-pro","object":"model","created":1767225600,"owned_by":"gemini"},
    {"id":"mock:mock-1","object":"model","created":1767225600,"owned_by":"mock"}]})"));

  FakeResponder one;
  run(router, one, services, "GET", "/v1/models/mock%3Amock-1", "");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(one.json()["id"], "mock:mock-1");
  FakeResponder bare;
  run(router, bare, services, "GET", "/v1/models/gemini-2.5-pro", "");
  EXPECT_EQ(bare.json()["owned_by"], "gemini");
  FakeResponder missing;
  run(router, missing, services, "GET", "/v1/models/gpt-4o", "");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["error"]["type"], "not_found_error");
  EXPECT_EQ(missing.json()["error"]["code"], "model_not_found");
}

// Breakages 1 and 7: the signature goes out in extra_content and the kv store, and comes back
// on the next request even when the client dropped extra_content; minted ids map back by id.
TEST_F(Handler, ThoughtSignatureAndMintedIdsRoundTrip) {
  router.chunk(Json::parse(R"({"candidates":[{"content":{"role":"model","parts":[
      {"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"U0lHMQ=="},
      {"functionCall":{"name":"get_time","args":{"city":"Rome"}}}]},"finishReason":"STOP"}]})"));
  post(R"({"model":"m","messages":[{"role":"user","content":"Paris weather, Rome time?"}]})");
  Json first = responder.json();
  const Json& calls = first["choices"][0]["message"]["tool_calls"];
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(first["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(first["choices"][0]["message"]["content"].is_null());
  std::string idA = calls[0]["id"];
  std::string idB = calls[1]["id"];
  EXPECT_NE(idA, idB);
  EXPECT_EQ(calls[0]["extra_content"]["google"]["thought_signature"], "U0lHMQ==");
  EXPECT_EQ(services.kv.at(signatureKey(idA)), "U0lHMQ==");
  EXPECT_EQ(services.ttl.at(signatureKey(idA)), 24LL * 3600 * 1000);

  // The client echoes the calls back without extra_content and answers in reverse order.
  Json next = {{"model", "m"},
               {"messages",
                {{{"role", "user"}, {"content", "Paris weather, Rome time?"}},
                 {{"role", "assistant"},
                  {"content", nullptr},
                  {"tool_calls",
                   {{{"id", idA}, {"type", "function"},
                     {"function", {{"name", "get_weather"}, {"arguments", calls[0]["function"]["arguments"]}}}},
                    {{"id", idB}, {"type", "function"},
                     {"function", {{"name", "get_time"}, {"arguments", calls[1]["function"]["arguments"]}}}}}}},
                 {{"role", "tool"}, {"tool_call_id", idB}, {"content", "12:00"}},
                 {{"role", "tool"}, {"tool_call_id", idA}, {"content", R"({"temp":18})"}}}}};
  FakeRouter second;
  FakeResponder out;
  second.chunk(textChunk("18C and noon.", "STOP"));
  run(second, out, services, "POST", "/v1/chat/completions", next.dump());
  ASSERT_EQ(out.status, 200) << out.body;
  Json ir = second.irJson();
  const Json& model = ir["contents"][1];
  EXPECT_EQ(model["role"], "model");
  EXPECT_EQ(model["parts"][0]["thoughtSignature"], "U0lHMQ==");
  EXPECT_EQ(model["parts"][0]["functionCall"]["id"], idA);
  EXPECT_FALSE(model["parts"][1].contains("thoughtSignature"));
  const Json& results = ir["contents"][2];
  EXPECT_EQ(results["role"], "user");
  ASSERT_EQ(results["parts"].size(), 2u);
  EXPECT_EQ(results["parts"][0]["functionResponse"],
            Json({{"id", idB}, {"name", "get_time"}, {"response", {{"result", "12:00"}}}}));
  EXPECT_EQ(results["parts"][1]["functionResponse"],
            Json({{"id", idA}, {"name", "get_weather"}, {"response", {{"temp", 18}}}}));
}

// Breakage 2: parallel calls in a stream get distinct indices and finish with tool_calls.
TEST_F(Handler, StreamedParallelToolCallsHaveDistinctIndices) {
  router.chunk(Json::parse(R"({"candidates":[{"content":{"role":"model","parts":[
      {"functionCall":{"name":"a","args":{"n":1}}},{"functionCall":{"name":"a","args":{"n":2}}}]}}]})"));
  router.chunk(Json::parse(R"({"candidates":[{"content":{"role":"model","parts":[
      {"functionCall":{"name":"b","args":{}}}]},"finishReason":"STOP"}]})"));
  post(streamBody());
  std::map<int, Json> byIndex;
  std::string finish;
  for (const std::string& data : sseEvents(responder.body)) {
    if (data == "[DONE]") {
      continue;
    }
    Json chunk = Json::parse(data);
    const Json& choice = chunk["choices"][0];
    if (choice["delta"].contains("tool_calls")) {
      for (const Json& call : choice["delta"]["tool_calls"]) {
        int index = call["index"];
        EXPECT_FALSE(byIndex.count(index)) << "index reused: " << index;
        byIndex[index] = call;
      }
    }
    if (!choice["finish_reason"].is_null()) {
      finish = choice["finish_reason"];
    }
  }
  ASSERT_EQ(byIndex.size(), 3u);
  EXPECT_EQ(byIndex[0]["function"]["arguments"], R"({"n":1})");
  EXPECT_EQ(byIndex[1]["function"]["arguments"], R"({"n":2})");
  EXPECT_EQ(byIndex[2]["function"]["name"], "b");
  EXPECT_EQ(finish, "tool_calls");
}

// Breakage 6: images reach the backend as inlineData.
TEST_F(Handler, ImagesBecomeInlineData) {
  router.chunk(textChunk("A cat.", "STOP"));
  post(R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What?"},
        {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]}]})");
  EXPECT_EQ(router.irJson()["contents"][0]["parts"][1],
            Json::parse(R"({"inlineData":{"mimeType":"image/jpeg","data":"/9j/4AAQ"}})"));
}

TEST(Route, MatchScores) {
  auto score = [](const char* method, const char* path,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::vector<llmp_header> list;
    for (const auto& [k, v] : headers) {
      list.push_back(llmp_header{toBytes(k), toBytes(v)});
    }
    return matchScore(method, path, list.data(), list.size());
  };
  EXPECT_EQ(score("POST", "/v1/chat/completions"), LLMP_MATCH_YES);
  EXPECT_EQ(score("POST", "/chat/completions"), LLMP_MATCH_YES);
  EXPECT_EQ(score("GET", "/v1/models"), LLMP_MATCH_YES);
  EXPECT_EQ(score("GET", "/v1/models/gemini:gemini-2.5-pro"), LLMP_MATCH_YES);
  EXPECT_EQ(score("POST", "/v1/models/gemini-2.5-pro:generateContent"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("POST", "/v1/models/gemini-2.5-pro%3AstreamGenerateContent"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("GET", "/v1/models", {{"x-goog-api-key", "k"}}), LLMP_MATCH_NONE);
  EXPECT_EQ(score("GET", "/v1/models", {{"anthropic-version", "2023-06-01"}}), LLMP_MATCH_NONE);
  EXPECT_EQ(score("POST", "/v1/embeddings"), LLMP_MATCH_FALLBACK);
  EXPECT_EQ(score("POST", "/v1/messages", {{"anthropic-version", "2023-06-01"}}), LLMP_MATCH_NONE);
  EXPECT_EQ(score("POST", "/v1beta/models/x:generateContent"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("GET", "/healthz"), LLMP_MATCH_NONE);
}

// A minimal host table: kv only, which is what the plugin uses.
struct FakeHost {
  static std::map<std::string, std::string>& kv() {
    static std::map<std::string, std::string> store;
    return store;
  }
  static llmp_status LLMP_ABI get(const llmp_host_api*, llmp_bytes key, const llmp_bytes_sink* out) {
    auto it = kv().find(str(key));
    if (it == kv().end()) {
      return LLMP_E_NOT_FOUND;
    }
    return out->write(out->ctx, toBytes(it->second));
  }
  static llmp_status LLMP_ABI set(const llmp_host_api*, llmp_bytes key, llmp_bytes value, int64_t) {
    kv()[str(key)] = str(value);
    return LLMP_OK;
  }
};

TEST(Plugin, FactoryServesThroughTheAbi) {
  const llmp_plugin_descriptor* d = llmp_plugin_entry(LLMP_ABI_MAJOR, LLMP_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(llmp_plugin_entry(LLMP_ABI_MAJOR + 1, 0), nullptr);
  auto* factory = static_cast<const llmp_frontend_factory*>(d->get_factory(LLMP_FRONTEND_FACTORY_V1));
  ASSERT_NE(factory, nullptr);
  EXPECT_STREQ(factory->name, "openai");
  EXPECT_EQ(d->get_factory("llmp.backend.v1"), nullptr);

  llmp_host_api host{};
  host.struct_size = sizeof(host);
  host.abi_major = LLMP_ABI_MAJOR;
  host.kv_get = FakeHost::get;
  host.kv_set = FakeHost::set;
  llmp_frontend* fe = nullptr;
  ErrorRecord err;
  ASSERT_EQ(factory->create(&host, toBytes("{}"), &fe, err.sink()), LLMP_OK);

  FakeRouter router;
  router.chunk(Json::parse(R"({"candidates":[{"content":{"role":"model","parts":[
      {"functionCall":{"id":"fc_9","name":"f","args":{}},"thoughtSignature":"QUJD"}]},
      "finishReason":"STOP"}]})"));
  FakeResponder responder;
  std::string method = "POST", path = "/v1/chat/completions", body = kHello;
  llmp_incoming_request req{};
  req.struct_size = sizeof(req);
  req.method = toBytes(method);
  req.path = toBytes(path);
  req.body = toBytes(body);
  EXPECT_EQ(factory->match(fe, &req), LLMP_MATCH_YES);
  EXPECT_EQ(factory->handle(fe, &req, responder.responder(), router.router()), LLMP_OK);
  EXPECT_EQ(responder.status, 200);
  EXPECT_EQ(FakeHost::kv().at("frontend-openai:sig:fc_9"), "QUJD");

  FakeResponder denied;
  std::string message = "invalid proxy key";
  EXPECT_EQ(factory->render_error(fe, &req, denied.responder(), LLMP_E_AUTH, 401, toBytes(message)),
            LLMP_OK);
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.json(), Json::parse(R"({"error":{"message":"invalid proxy key",
      "type":"authentication_error","param":null,"code":"invalid_api_key"}})"));
  factory->destroy(fe);
}

}  // namespace
}  // namespace llmp::plugins::frontend_openai::testing
