// The mock backend (plugins/mock, plain C) loaded through PluginLoader as the host would, checked
// against the behaviour docs/backends/mock.md promises.
#include <gtest/gtest.h>

#include <atomic>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>
#include <string>
#include <thread>
#include <vector>

#include "plugin/plugin_loader.h"
#include "test_host.h"

namespace llmp::abitest {
namespace {

using host::LoadedPlugin;
using host::PluginLoader;

struct Result {
  llmp_status status = LLMP_OK;
  std::vector<Json> chunks;
  llmp::ErrorRecord err;

  std::string text() const {  // every non-thought text part, concatenated
    std::string all;
    for (const Json& c : chunks) {
      for (const Json& part : c["candidates"][0]["content"]["parts"]) {
        if (part.contains("text") && !part.value("thought", false)) {
          all += part["text"].get<std::string>();
        }
      }
    }
    return all;
  }
};

Json userTurn(const std::string& text) {
  return {{"role", "user"}, {"parts", Json::array({{{"text", text}}})}};
}

Json request(const std::string& text) { return {{"contents", Json::array({userTurn(text)})}}; }

class MockBackendTest : public ::testing::Test {
 protected:
  MockBackendTest() : loader_([this](const std::string& id) { return host_.apiFor(id); }) {
    plugin_ = &loader_.load(std::string(LLMP_ABI_PLUGIN_DIR) + "/libllmp_mock.so");
  }
  ~MockBackendTest() override {
    for (llmp_backend* b : instances_) {
      plugin_->backend.destroy(b);
    }
  }

  llmp_backend* create(const std::string& config = "{}") {
    llmp::ErrorRecord err;
    llmp_backend* b = nullptr;
    llmp_status status = plugin_->backend.create(host_.apiFor("mock"), "mock", {"m", 1},
                                                 {config.data(), config.size()}, &b, err.sink());
    EXPECT_EQ(status, LLMP_OK) << err.message;
    if (b != nullptr) {
      instances_.push_back(b);
    }
    return b;
  }

  Result generate(const std::string& ir, bool stream, llmp_backend* b = nullptr,
                  llmp_status stopWith = LLMP_OK) {
    if (b == nullptr) {
      b = create();
    }
    Result r;
    llmp::EventSinkFn sink([&](uint32_t kind, std::string_view data) {
      EXPECT_EQ(kind, static_cast<uint32_t>(LLMP_EVENT_CHUNK));
      auto parsed = parseJson(data);
      EXPECT_TRUE(parsed.has_value()) << data;
      r.chunks.push_back(parsed.value_or(Json()));
      return stopWith;
    });
    const std::string model = "mock-1";
    llmp_generate_request req{sizeof(llmp_generate_request),
                              {model.data(), model.size()},
                              {ir.data(), ir.size()},
                              stream ? LLMP_GENERATE_STREAM : 0u,
                              {},
                              {}};
    r.status = plugin_->backend.generate(b, &req, sink.sink(), r.err.sink());
    return r;
  }
  Result generate(const Json& ir, bool stream) { return generate(ir.dump(), stream); }

  TestHost host_;
  PluginLoader loader_;
  const LoadedPlugin* plugin_ = nullptr;
  std::vector<llmp_backend*> instances_;
};

TEST_F(MockBackendTest, DescribesItself) {
  EXPECT_STREQ(plugin_->descriptor.id, "dev.llmp.mock");
  ASSERT_TRUE(plugin_->hasBackend);
  ASSERT_EQ(plugin_->backend.type_count, 1u);
  EXPECT_STREQ(plugin_->backend.types[0], "mock");
  EXPECT_EQ(plugin_->backend.gated_type_count, 0u);
}

TEST_F(MockBackendTest, NonStreamingAnswersTheLastUserTurnInOneFullChunk) {
  Json ir = {
      {"systemInstruction", {{"parts", Json::array({{{"text", "be brief"}}})}}},
      {"contents",
       Json::array({userTurn("first question"),
                    {{"role", "model"}, {"parts", Json::array({{{"text", "an answer"}}})}},
                    {{"role", "user"},
                     {"parts", Json::array({{{"text", "Hello"}}, {{"text", " world"}}})}}})}};
  Result r = generate(ir, false);
  ASSERT_EQ(r.status, LLMP_OK) << r.err.message;
  ASSERT_EQ(r.chunks.size(), 1u);
  const Json& c = r.chunks[0];
  const Json& candidate = c["candidates"][0];
  EXPECT_EQ(candidate["content"]["role"], "model");
  EXPECT_EQ(candidate["content"]["parts"], Json::array({{{"text", "mock: Hello world"}}}));
  EXPECT_EQ(candidate["finishReason"], "STOP");
  EXPECT_EQ(candidate["index"], 0);
  // 2 (system) + 2 + 2 + 2 words in the prompt; "mock: Hello world" is 3.
  EXPECT_EQ(c["usageMetadata"],
            (Json{{"promptTokenCount", 8}, {"candidatesTokenCount", 3}, {"totalTokenCount", 11}}));
  EXPECT_EQ(c["modelVersion"], "mock-1");
  ASSERT_TRUE(c["responseId"].is_string());
  EXPECT_EQ(generate(ir, false).chunks.at(0)["responseId"], c["responseId"])
      << "equal requests get equal ids";
  EXPECT_NE(generate(request("other"), false).chunks.at(0)["responseId"], c["responseId"]);
}

TEST_F(MockBackendTest, StreamingSplitsTheReplyOnWordBoundaries) {
  Result r = generate(request("one two three four"), true);
  ASSERT_EQ(r.status, LLMP_OK) << r.err.message;
  ASSERT_EQ(r.chunks.size(), 5u);  // "mock: " "one " "two " "three " "four"
  EXPECT_EQ(r.text(), "mock: one two three four");
  for (size_t i = 0; i + 1 < r.chunks.size(); ++i) {
    EXPECT_FALSE(r.chunks[i]["candidates"][0].contains("finishReason")) << i;
    EXPECT_FALSE(r.chunks[i].contains("usageMetadata")) << i;
  }
  const Json& last = r.chunks.back();
  EXPECT_EQ(last["candidates"][0]["finishReason"], "STOP");
  EXPECT_EQ(last["usageMetadata"]["candidatesTokenCount"], 5);
  EXPECT_EQ(last["usageMetadata"]["promptTokenCount"], 4);
}

TEST_F(MockBackendTest, ShortRepliesStreamAsOneChunk) {
  llmp_backend* b = create(R"({"reply_prefix":""})");
  Result r = generate(request("single").dump(), true, b);
  ASSERT_EQ(r.status, LLMP_OK);
  ASSERT_EQ(r.chunks.size(), 1u);
  EXPECT_EQ(r.text(), "single");
  EXPECT_EQ(r.chunks[0]["candidates"][0]["finishReason"], "STOP");
}

TEST_F(MockBackendTest, ToolMarkerCallsTheFirstDeclaredFunction) {
  Json ir = request("weather in Paris [[tool]]");
  ir["tools"] = Json::array(
      {{{"googleSearch", Json::object()}},
       {{"functionDeclarations", Json::array({{{"name", "get_weather"}}, {{"name", "other"}}})}}});
  for (bool stream : {false, true}) {
    Result r = generate(ir, stream);
    ASSERT_EQ(r.status, LLMP_OK) << r.err.message;
    ASSERT_EQ(r.chunks.size(), 1u);
    const Json& candidate = r.chunks[0]["candidates"][0];
    EXPECT_EQ(
        candidate["content"]["parts"],
        Json::array(
            {{{"functionCall",
               {{"name", "get_weather"}, {"args", {{"input", "weather in Paris [[tool]]"}}}}}}}));
    EXPECT_EQ(candidate["finishReason"], "STOP");
  }
}

TEST_F(MockBackendTest, ToolMarkerWithoutDeclarationsIsPlainText) {
  Result r = generate(request("[[tool]] please"), false);
  ASSERT_EQ(r.status, LLMP_OK);
  EXPECT_EQ(r.text(), "mock: [[tool]] please");
}

TEST_F(MockBackendTest, FunctionResponseIsReportedAsCompactJson) {
  Json ir = request("[[tool]]");
  ir["tools"] = Json::array({{{"functionDeclarations", Json::array({{{"name", "get_weather"}}})}}});
  ir["contents"].push_back(
      {{"role", "model"},
       {"parts",
        Json::array({{{"functionCall", {{"name", "get_weather"}, {"args", Json::object()}}}}})}});
  ir["contents"].push_back(
      {{"role", "user"},
       {"parts", Json::array({{{"functionResponse",
                                {{"name", "get_weather"}, {"response", {{"temp", 21}}}}}}})}});
  // Keys in the source order and no spaces, whatever the client wrote.
  std::string text = ir.dump();
  const std::string compact = R"({"temp":21})";
  text.replace(text.find(compact), compact.size(), R"({ "temp" : 21 , "unit":"C\u00e9" })");
  Result r = generate(text, false);
  ASSERT_EQ(r.status, LLMP_OK) << r.err.message;
  EXPECT_EQ(r.text(), "mock: tool get_weather returned {\"temp\":21,\"unit\":\"C\xc3\xa9\"}");
}

TEST_F(MockBackendTest, ThinkingMarkerAddsASignedThoughtFirst) {
  Result r = generate(request("ponder this [[thinking]]"), false);
  ASSERT_EQ(r.status, LLMP_OK);
  ASSERT_EQ(r.chunks.size(), 1u);
  const Json& parts = r.chunks[0]["candidates"][0]["content"]["parts"];
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(
      parts[0],
      (Json{{"text", "mock thinking"}, {"thought", true}, {"thoughtSignature", "bW9jay1zaWc="}}));
  EXPECT_EQ(parts[1]["text"], "mock: ponder this [[thinking]]");
  EXPECT_EQ(r.chunks[0]["usageMetadata"]["thoughtsTokenCount"], 2);

  Result s = generate(request("ponder this [[thinking]]"), true);
  ASSERT_EQ(s.status, LLMP_OK);
  ASSERT_GE(s.chunks.size(), 2u);
  EXPECT_EQ(s.chunks[0]["candidates"][0]["content"]["parts"][0]["thought"], true);
  EXPECT_EQ(s.text(), "mock: ponder this [[thinking]]");
}

TEST_F(MockBackendTest, ErrorMarkerReturnsAGoogleShapedError) {
  struct Case {
    int http;
    llmp_status code;
    const char* status;
  };
  for (const Case& c :
       {Case{429, LLMP_E_RATE_LIMITED, "RESOURCE_EXHAUSTED"},
        Case{503, LLMP_E_UNAVAILABLE, "UNAVAILABLE"}, Case{500, LLMP_E_UPSTREAM_HTTP, "INTERNAL"},
        Case{400, LLMP_E_INVALID, "INVALID_ARGUMENT"}, Case{401, LLMP_E_AUTH, "UNAUTHENTICATED"},
        Case{404, LLMP_E_NOT_FOUND, "NOT_FOUND"}}) {
    SCOPED_TRACE(c.http);
    Result r = generate(request("fail [[error:" + std::to_string(c.http) + "]] now"), true);
    EXPECT_EQ(r.status, c.code);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.err.code, c.code);
    EXPECT_EQ(r.err.httpStatus, c.http);
    EXPECT_EQ(r.err.retryAfterMs, c.http == 429 ? 1000 : -1);
    auto body = parseJson(r.err.body);
    ASSERT_TRUE(body.has_value()) << r.err.body;
    EXPECT_EQ((*body)["error"]["code"], c.http);
    EXPECT_EQ((*body)["error"]["status"], c.status);
    EXPECT_EQ((*body)["error"]["message"], r.err.message);
    if (c.http == 429) {
      EXPECT_EQ((*body)["error"]["details"][0]["@type"],
                "type.googleapis.com/google.rpc.RetryInfo");
      EXPECT_EQ((*body)["error"]["details"][0]["retryDelay"], "1s");
    }
  }
}

TEST_F(MockBackendTest, MalformedIrIsInvalidWithAMessage) {
  for (const std::string& ir :
       std::vector<std::string>{"{", "[]", R"({"contents":5})", R"({"contents":[{"parts":7}]})",
                                R"({"contents":[{"role":"model","parts":[]}]})", "",
                                std::string(300, '[') + std::string(300, ']')}) {
    SCOPED_TRACE(ir);
    Result r = generate(ir, false);
    EXPECT_EQ(r.status, LLMP_E_INVALID);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.err.httpStatus, 400);
    EXPECT_EQ(r.err.message.rfind("mock: ", 0), 0u) << r.err.message;
  }
}

TEST_F(MockBackendTest, EscapesAndUnicodeSurviveTheRoundTrip) {
  const std::string text = "say \"hi\"\tand\\or\nnew line \xf0\x9f\x98\x80 \x01";
  Result r = generate(request(text), true);
  ASSERT_EQ(r.status, LLMP_OK) << r.err.message;
  EXPECT_EQ(r.text(), "mock: " + text);
}

TEST_F(MockBackendTest, AStoppedStreamEndsPromptly) {
  Result r = generate(request("a b c d e f g").dump(), true, create(), LLMP_E_CANCELLED);
  EXPECT_EQ(r.status, LLMP_E_CANCELLED);
  EXPECT_EQ(r.chunks.size(), 1u);
}

TEST_F(MockBackendTest, ConfigSetsPrefixAndRefusesBadValues) {
  Result r = generate(request("x y z").dump(), false, create(R"({"reply_prefix":"echo> ",
                                                                 "chunk_delay_ms":1})"));
  EXPECT_EQ(r.text(), "echo> x y z");
  for (const std::string& config : std::vector<std::string>{
           R"({"reply_prefix":5})", R"({"chunk_delay_ms":-1})", R"({"chunk_delay_ms":1.5})",
           R"({"chunk_delay_ms":"1"})", "[1]", "{"}) {
    SCOPED_TRACE(config);
    llmp::ErrorRecord err;
    llmp_backend* b = nullptr;
    EXPECT_EQ(plugin_->backend.create(host_.apiFor("mock"), "mock", {},
                                      {config.data(), config.size()}, &b, err.sink()),
              LLMP_E_INVALID);
    EXPECT_EQ(b, nullptr);
    EXPECT_FALSE(err.message.empty());
  }
}

TEST_F(MockBackendTest, CountsWhitespaceSeparatedWords) {
  Json ir = {{"systemInstruction", {{"parts", Json::array({{{"text", "sys tem"}}})}}},
             {"contents", Json::array({userTurn("  one\ttwo\nthree  "), userTurn("four")})}};
  const std::string text = ir.dump();
  llmp_generate_request req{
      sizeof(llmp_generate_request), {"mock-1", 6}, {text.data(), text.size()}, 0, {}, {}};
  llmp::StringSink out;
  llmp::ErrorRecord err;
  ASSERT_EQ(plugin_->backend.count_tokens(create(), &req, out.sink(), err.sink()), LLMP_OK);
  EXPECT_EQ(parseJson(out.value()), Json({{"totalTokens", 6}}));

  const std::string bad = "{\"contents\":";
  llmp_generate_request badReq{
      sizeof(llmp_generate_request), {}, {bad.data(), bad.size()}, 0, {}, {}};
  EXPECT_EQ(plugin_->backend.count_tokens(create(), &badReq, out.sink(), err.sink()),
            LLMP_E_INVALID);
}

TEST_F(MockBackendTest, ListsTwoModels) {
  llmp::StringSink out;
  llmp::ErrorRecord err;
  ASSERT_EQ(plugin_->backend.list_models(create(), out.sink(), err.sink()), LLMP_OK);
  auto models = parseJson(out.value());
  ASSERT_TRUE(models.has_value() && models->is_array()) << out.value();
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ(
      (*models)[0],
      (Json{{"name", "models/mock-1"},
            {"displayName", "Mock 1"},
            {"inputTokenLimit", 32768},
            {"outputTokenLimit", 8192},
            {"supportedGenerationMethods", Json::array({"generateContent", "countTokens"})}}));
  EXPECT_EQ((*models)[1]["name"], "models/mock-2");
}

TEST_F(MockBackendTest, ReportsHealthAndNoUnknownExtension) {
  llmp_backend* b = create();
  EXPECT_EQ(plugin_->backend.get_extension(b, "llmp.unknown.v1"), nullptr);
  auto* health =
      static_cast<const llmp_health_ext*>(plugin_->backend.get_extension(b, LLMP_EXT_HEALTH_V1));
  ASSERT_NE(health, nullptr);
  llmp::StringSink out;
  ASSERT_EQ(health->report(b, out.sink()), LLMP_OK);
  EXPECT_EQ(parseJson(out.value()).value_or(Json())["status"], "ok");
}

TEST_F(MockBackendTest, OneInstanceServesManyThreadsAtOnce) {
  llmp_backend* b = create();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string ir =
            request("thread " + std::to_string(t) + " call " + std::to_string(i)).dump();
        std::string text;
        llmp::EventSinkFn sink([&](uint32_t, std::string_view data) {
          auto chunk = parseJson(data);
          if (chunk) {
            text += (*chunk)["candidates"][0]["content"]["parts"][0].value("text", "");
          }
          return LLMP_OK;
        });
        llmp_generate_request req{sizeof(llmp_generate_request), {}, {ir.data(), ir.size()},
                                  LLMP_GENERATE_STREAM,          {}, {}};
        llmp::ErrorRecord err;
        if (plugin_->backend.generate(b, &req, sink.sink(), err.sink()) != LLMP_OK ||
            text != "mock: thread " + std::to_string(t) + " call " + std::to_string(i)) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace llmp::abitest
